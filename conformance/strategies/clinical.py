"""The elements of Observation and Condition (R4 observation.html, condition.html), with their
invariants, but those every resource has (see resource.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.strategies import datatypes as d
from conformance.strategies import primitives as p
from conformance.strategies.dosage import timings
from conformance.strategies.elements import Either, Json, either, many, obj, often, one, prim
from conformance.strategies.extensions import backbone
from conformance.strategies.valuesets import REQUIRED

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
PANEL = ("85354-9", "29463-7", "8867-4", "8310-5")  # LOINC: blood pressure panel, weight, heart rate, temperature
COMPONENTS = ("8480-6", "8462-4")  # LOINC: systolic, diastolic: never an Observation.code (R4 obs-7)
_values = (
    *(one("valueQuantity", d.quantities), one("valueCodeableConcept", d.codeable_concepts)),
    *(prim("valueString", p.strings), prim("valueBoolean", p.booleans), prim("valueInteger", p.integers)),
    *(one("valueRange", d.ranges()), one("valueRatio", d.ratios), one("valueSampledData", d.sampled_data)),
    *(prim("valueTime", p.times), prim("valueDateTime", p.date_times), one("valuePeriod", d.periods)),
)
# R4 obs-6: dataAbsentReason only when there is no value.
_absent = one("dataAbsentReason", d.concept(f"{TERMINOLOGY}data-absent-reason", ("unknown", "asked-unknown", "masked")))
_interpretations = many("interpretation", d.concept(f"{TERMINOLOGY}v3-ObservationInterpretation", ("N", "H", "L")), 2)
# R4 obs-3: a reference range has a low, a high or a text.
_reference_range = backbone(
    [either(one("low", d.simple_quantities), one("high", d.simple_quantities), prim("text", p.strings))],
    [one("type", d.codeable_concepts), many("appliesTo", d.codeable_concepts, 2), one("age", d.ranges(d.TIMES))],
)
_component = backbone(
    [one("code", d.concept("http://loinc.org", COMPONENTS))],
    [*often(either(*_values, _absent)), _interpretations, many("referenceRange", _reference_range, 2)],
)
_observed = (
    one("encounter", d.reference("Encounter")),
    *often(
        either(
            *(prim("effectiveDateTime", p.date_times), one("effectivePeriod", d.periods)),
            *(*often(one("effectiveTiming", timings), 2), prim("effectiveInstant", p.instants)),
        ),
        # Often: a Timing reaches its datatypes (Duration, TimingRepeat) in Observations by this path alone.
        4,
    ),
    prim("issued", p.instants),
    many("performer", d.reference("Practitioner", "Organization", "Patient", "CareTeam"), 2),
)
observations = obj(
    [prim("status", p.bound(REQUIRED["Observation.status"])), one("code", d.concept("http://loinc.org", PANEL))],
    [
        *(many("basedOn", d.reference("ServiceRequest", "CarePlan"), 2), many("partOf", d.reference("Procedure"), 2)),
        *(many("category", d.codeable_concepts, 2), one("subject", d.reference("Patient", "Group", "Device"))),
        *(many("focus", d.reference(), 2), *_observed, *often(either(*_values, _absent), 4), _interpretations),
        *(many("note", d.notes, 2), one("bodySite", d.codeable_concepts), one("method", d.codeable_concepts)),
        *(one("specimen", d.reference("Specimen")), one("device", d.reference("Device", "DeviceMetric"))),
        *(many("referenceRange", _reference_range, 2), many("hasMember", d.reference("Observation"), 2)),
        *(
            many("derivedFrom", d.reference("Observation", "DocumentReference"), 2),
            *often(many("component", _component, 3), 2),
        ),
    ],
    most=3,
)
CLINICAL = f"{TERMINOLOGY}condition-clinical"
VERIFICATION = f"{TERMINOLOGY}condition-ver-status"
CLINICAL_STATUS = ("active", "recurrence", "relapse", "inactive", "remission", "resolved")
VERIFICATION_STATUS = ("unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error")


def _when(name: str) -> Either:
    """Draw onset[x] or abatement[x]: dateTime, Age, Period, Range or string."""
    return either(
        *(prim(f"{name}DateTime", p.date_times), one(f"{name}Age", d.ages), one(f"{name}Period", d.periods)),
        *(one(f"{name}Range", d.ranges(d.TIMES)), prim(f"{name}String", p.strings)),
    )


_assessments = many("assessment", d.reference("ClinicalImpression", "DiagnosticReport", "Observation"), 2)
_evidence_codes = many("code", d.codeable_concepts, 2)
_condition = obj(
    [one("subject", d.reference("Patient", "Group"))],
    [
        many("category", d.concept(f"{TERMINOLOGY}condition-category", ("problem-list-item", "encounter-diagnosis"))),
        *(
            one("severity", d.codeable_concepts),
            one("code", d.codeable_concepts),
            many("bodySite", d.codeable_concepts, 2),
        ),
        *(
            one("encounter", d.reference("Encounter")),
            *often(_when("onset"), 2),
            _when("abatement"),
            prim("recordedDate", p.date_times),
        ),
        *(
            one("recorder", d.reference("Practitioner", "Patient")),
            one("asserter", d.reference("Practitioner", "Patient")),
        ),
        # R4 con-1: a stage has a summary or assessments; con-2: evidence has codes or details.
        many(
            "stage",
            backbone([either(one("summary", d.codeable_concepts), _assessments)], [one("type", d.codeable_concepts)]),
            2,
        ),
        many("evidence", backbone([either(_evidence_codes, many("detail", d.reference(), 2))], [_evidence_codes]), 2),
        many("note", d.notes, 2),
    ],
    most=3,
)


def _codes(concepts: list[Json]) -> set[str]:
    return {coding.get("code", "") for concept in concepts for coding in concept.get("coding", [])}


@st.composite
def conditions(draw: st.DrawFn) -> Json:
    """Draw a Condition whose statuses agree with its category and abatement (R4 con-3, con-4, con-5)."""
    body = draw(_condition)
    verification = draw(st.one_of(st.none(), p.bound(VERIFICATION_STATUS)))
    statuses = {"verificationStatus": draw(d.concept(VERIFICATION, (verification,)))} if verification else {}
    if verification == "entered-in-error":  # no clinicalStatus, so no abatement either
        body = {key: value for key, value in body.items() if not key.lstrip("_").startswith("abatement")}
    else:
        abated = any(key.lstrip("_").startswith("abatement") for key in body)
        listed = "problem-list-item" in _codes(body.get("category", []))
        if listed or abated or draw(st.booleans()):
            codes = ("inactive", "remission", "resolved") if abated else CLINICAL_STATUS
            statuses["clinicalStatus"] = draw(d.concept(CLINICAL, codes))
    return {**body, **statuses}


BODIES: dict[str, st.SearchStrategy[Json]] = {"Observation": observations, "Condition": conditions()}
