"""The elements of Encounter and MedicationRequest (R4 encounter.html, medicationrequest.html),
but those every resource has (see resource.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.strategies import datatypes as d
from conformance.strategies import primitives as p
from conformance.strategies.dosage import dosages
from conformance.strategies.elements import Json, either, many, obj, often, one, prim, prims
from conformance.strategies.extensions import backbone
from conformance.strategies.valuesets import REQUIRED

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
_classes = d.coding_of(f"{TERMINOLOGY}v3-ActCode", ("AMB", "EMER", "IMP", "HH", "VR"))
_status_history = backbone(
    [prim("status", p.bound(REQUIRED["EncounterStatusHistory.status"])), one("period", d.periods)]
)
_participant = backbone(
    optional=[
        many("type", d.concept(f"{TERMINOLOGY}v3-ParticipationType", ("ADM", "ATND", "CON", "PPRF")), 2),
        one("period", d.periods),
        one("individual", d.reference("Practitioner", "PractitionerRole", "RelatedPerson")),
    ]
)
_diagnosis = backbone(
    [one("condition", d.reference("Condition", "Procedure"))],
    [one("use", d.concept(f"{TERMINOLOGY}diagnosis-role", ("AD", "DD", "CC", "CM"))), prim("rank", p.positive_ints)],
)
_places = d.reference("Location", "Organization")
_hospitalization = backbone(
    optional=[
        *(
            one("preAdmissionIdentifier", d.identifiers),
            one("origin", _places),
            one("admitSource", d.codeable_concepts),
        ),
        *(one("reAdmission", d.codeable_concepts), many("dietPreference", d.codeable_concepts, 2)),
        *(many("specialCourtesy", d.codeable_concepts, 2), many("specialArrangement", d.codeable_concepts, 2)),
        *(one("destination", _places), one("dischargeDisposition", d.codeable_concepts)),
    ]
)
_location = backbone(
    [one("location", d.reference("Location"))],
    [
        d.required_code("status", "EncounterLocation.status"),
        one("physicalType", d.codeable_concepts),
        one("period", d.periods),
    ],
)
encounters = obj(
    [prim("status", p.bound(REQUIRED["Encounter.status"])), one("class", _classes)],
    [
        *(
            many("statusHistory", _status_history, 2),
            many("classHistory", backbone([one("class", _classes), one("period", d.periods)]), 2),
        ),
        *(
            many("type", d.codeable_concepts, 2),
            one("serviceType", d.codeable_concepts),
            one("priority", d.codeable_concepts),
        ),
        *(one("subject", d.reference("Patient", "Group")), many("episodeOfCare", d.reference("EpisodeOfCare"), 2)),
        *(many("basedOn", d.reference("ServiceRequest"), 2), many("participant", _participant, 2)),
        *(many("appointment", d.reference("Appointment"), 2), one("period", d.periods), one("length", d.durations)),
        *(
            many("reasonCode", d.codeable_concepts, 2),
            many("reasonReference", d.reference("Condition", "Observation"), 2),
        ),
        *(
            many("diagnosis", _diagnosis, 2),
            many("account", d.reference("Account"), 2),
            one("hospitalization", _hospitalization),
        ),
        *(
            many("location", _location, 2),
            one("serviceProvider", d.reference("Organization")),
            one("partOf", d.reference("Encounter")),
        ),
    ],
    most=3,
)
_fill = backbone(optional=[one("quantity", d.simple_quantities), one("duration", d.durations)])
_dispense = backbone(
    optional=[
        *(one("initialFill", _fill), one("dispenseInterval", d.durations), one("validityPeriod", d.periods)),
        *(prim("numberOfRepeatsAllowed", p.unsigned_ints), one("quantity", d.simple_quantities)),
        *(one("expectedSupplyDuration", d.durations), one("performer", d.reference("Organization"))),
    ]
)
_substitution = backbone(
    [either(prim("allowedBoolean", p.booleans), one("allowedCodeableConcept", d.codeable_concepts))],
    [one("reason", d.codeable_concepts)],
)
_actors = ("Practitioner", "PractitionerRole", "Organization", "Patient", "RelatedPerson")
medication_requests = obj(
    [
        *(
            prim("status", p.bound(REQUIRED["MedicationRequest.status"])),
            prim("intent", p.bound(REQUIRED["MedicationRequest.intent"])),
        ),
        either(
            one("medicationCodeableConcept", d.codeable_concepts), one("medicationReference", d.reference("Medication"))
        ),
        one("subject", d.reference("Patient", "Group")),
    ],
    [
        *(one("statusReason", d.codeable_concepts), many("category", d.codeable_concepts, 2)),
        *(d.required_code("priority", "MedicationRequest.priority"), prim("doNotPerform", p.booleans)),
        either(prim("reportedBoolean", p.booleans), one("reportedReference", d.reference(*_actors))),
        *(one("encounter", d.reference("Encounter")), many("supportingInformation", d.reference(), 2)),
        *(
            prim("authoredOn", p.date_times),
            one("requester", d.reference(*_actors)),
            one("performer", d.reference(*_actors)),
        ),
        *(one("performerType", d.codeable_concepts), one("recorder", d.reference("Practitioner", "PractitionerRole"))),
        *(
            many("reasonCode", d.codeable_concepts, 2),
            many("reasonReference", d.reference("Condition", "Observation"), 2),
        ),
        *(prims("instantiatesCanonical", p.canonicals), prims("instantiatesUri", p.uris)),
        *(
            many("basedOn", d.reference("CarePlan", "MedicationRequest", "ServiceRequest"), 2),
            one("groupIdentifier", d.identifiers),
        ),
        *(
            one("courseOfTherapyType", d.codeable_concepts),
            many("insurance", d.reference("Coverage", "ClaimResponse"), 2),
        ),
        many("note", d.notes, 2),
        *often(many("dosageInstruction", dosages, 2)),
        *often(one("dispenseRequest", _dispense), 2),
        *(one("substitution", _substitution), one("priorPrescription", d.reference("MedicationRequest"))),
        *(many("detectedIssue", d.reference("DetectedIssue"), 2), many("eventHistory", d.reference("Provenance"), 2)),
    ],
    most=3,
)
BODIES: dict[str, st.SearchStrategy[Json]] = {"Encounter": encounters, "MedicationRequest": medication_requests}
