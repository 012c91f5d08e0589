"""Extensions of every R4 value type, nested ones, and backbone elements that carry them
(R4 extensibility.html); the metadata datatypes appear here only as extension values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from conformance.strategies import datatypes as d
from conformance.strategies import primitives as p
from conformance.strategies.dosage import dosages, timings
from conformance.strategies.elements import (
    EXTENSION_URLS,
    PART_NAMES,
    PRIMITIVE_VALUES,
    Json,
    Part,
    either,
    element,
    extension_parts,
    many,
    obj,
    one,
    prim,
    prims,
    simple_extensions,
)
from conformance.strategies.valuesets import MIME_TYPES, REQUIRED

FHIR_PATH = "Patient.name.given.first()"
contact_details = element(optional=[prim("name", p.strings), many("telecom", d.contact_points(), 2)])
contributors = element(
    [prim("type", p.bound(REQUIRED["Contributor.type"])), prim("name", p.strings)],
    [many("contact", contact_details, 2)],
)
expressions = element(
    # R4 exp-1: an expression or a reference.
    [
        prim("language", st.just("text/fhirpath")),
        either(prim("expression", st.just(FHIR_PATH)), prim("reference", p.urls)),
    ],
    [prim("description", p.strings), prim("name", p.ids)],
)
parameter_definitions = element(
    [
        prim("use", p.bound(REQUIRED["ParameterDefinition.use"])),
        prim("type", p.bound(REQUIRED["ParameterDefinition.type"])),
    ],
    [prim("name", p.codes), prim("min", st.integers(0, 9)), prim("max", st.sampled_from(("*", "1", "9")))],
)
related_artifacts = element(
    [prim("type", p.bound(REQUIRED["RelatedArtifact.type"]))],
    [prim("label", p.strings), prim("display", p.strings), prim("citation", p.markdown), prim("url", p.urls)],
)
_signers = ("Practitioner", "Patient", "Organization")
signatures = element(
    [
        many(
            "type", d.coding_of("urn:iso-astm:E1762-95:2013", ("1.2.840.10065.1.12.1.1", "1.2.840.10065.1.12.1.5")), 2
        ),
        prim("when", p.instants),
        one("who", d.reference(*_signers)),
    ],
    [
        one("onBehalfOf", d.reference(*_signers)),
        prim("targetFormat", p.bound(MIME_TYPES)),
        prim("sigFormat", p.bound(MIME_TYPES)),
        prim("data", p.base64_binaries),
    ],
)
_filters = (
    # R4 drq-1, drq-2: a filter names a path.
    many(
        "codeFilter",
        element([prim("path", p.strings)], [prim("valueSet", p.canonicals), many("code", d.codings)]),
        2,
    ),
    many(
        "dateFilter",
        element(
            [prim("path", p.strings)],
            [either(prim("valueDateTime", p.date_times), one("valuePeriod", d.periods))],
        ),
        2,
    ),
)
data_requirements = element(
    [prim("type", p.bound(REQUIRED["DataRequirement.type"]))],
    [
        prims("profile", p.canonicals),
        one("subjectReference", d.reference("Group")),
        *_filters,
        prim("limit", p.positive_ints),
    ],
)
# R4 trd-1..3: a named event has a name, a periodic one a timing, a data event its data (and only it a condition).
trigger_definitions = st.one_of(
    element([prim("type", st.just("named-event")), prim("name", p.strings)]),
    element(
        [
            prim("type", st.just("periodic")),
            either(one("timingTiming", timings), prim("timingDate", p.dates), prim("timingDateTime", p.date_times)),
        ]
    ),
    element(
        [prim("type", st.sampled_from(REQUIRED["TriggerDefinition.type"][2:])), many("data", data_requirements, 2)],
        [one("condition", expressions)],
    ),
)
usage_contexts = element(
    [
        one(
            "code", d.coding_of("http://terminology.hl7.org/CodeSystem/usage-context-type", ("gender", "age", "venue"))
        ),
        either(
            one("valueCodeableConcept", d.codeable_concepts),
            one("valueQuantity", d.quantities),
            one("valueRange", d.ranges()),
            one("valueReference", d.reference("Organization")),
        ),
    ]
)
# Extension.value[x] of every complex type R4 allows but Meta, which the R4B models refuse.
COMPLEX_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "Address": d.addresses(),
    "Age": d.ages,
    "Annotation": d.notes,
    "Attachment": d.attachments,
    "CodeableConcept": d.codeable_concepts,
    "Coding": d.codings,
    "ContactPoint": d.contact_points(),
    "Count": d.counts,
    "Distance": d.distances,
    "Duration": d.durations,
    "HumanName": d.human_names,
    "Identifier": d.identifiers,
    "Money": d.moneys,
    "Period": d.periods,
    "Quantity": d.quantities,
    "Range": d.ranges(),
    "Ratio": d.ratios,
    "Reference": d.reference(),
    "SampledData": d.sampled_data,
    "Signature": signatures,
    "Timing": timings,
    "ContactDetail": contact_details,
    "Contributor": contributors,
    "DataRequirement": data_requirements,
    "Expression": expressions,
    "ParameterDefinition": parameter_definitions,
    "RelatedArtifact": related_artifacts,
    "TriggerDefinition": trigger_definitions,
    "UsageContext": usage_contexts,
    "Dosage": dosages,
}


def _valued(url: st.SearchStrategy[str]) -> st.SearchStrategy[Json]:
    values = [one(f"value{name}", strategy) for name, strategy in COMPLEX_VALUES.items()]
    return obj([one("url", url), either(*values)], [one("id", p.tokens)], most=1)


def _nested(url: st.SearchStrategy[str], parts: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    """Draw a complex extension: parts, no value (R4 ext-1: extensions or a value, not both)."""
    return obj([one("url", url), many("extension", parts, 3)], [one("id", p.tokens)], most=1)


_parts = st.one_of(extension_parts, _valued(PART_NAMES), _nested(PART_NAMES, extension_parts))
# Complex values twice as often: they are the many types of Extension.value[x].
_complex = _valued(EXTENSION_URLS)
extensions = st.one_of(simple_extensions, _complex, _complex, _nested(EXTENSION_URLS, _parts))


def backbone(required: Sequence[Part] = (), optional: Sequence[Part] = (), most: int = 3) -> st.SearchStrategy[Json]:
    """Draw a backbone element: its parts, an id and extensions of any kind among them (R4 backboneelement.html)."""
    return obj(required, (*optional, one("id", p.tokens), many("extension", extensions)), most)


def datatype(name: str) -> st.SearchStrategy[Any]:
    """Return the strategy for values of an R4 datatype, by its name (``"string"``, ``"HumanName"``)."""
    primitive = name[:1].upper() + name[1:]
    return PRIMITIVE_VALUES[primitive] if primitive in PRIMITIVE_VALUES else COMPLEX_VALUES[name]
