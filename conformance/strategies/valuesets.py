"""Codes of the R4 required bindings the generated resources use, keyed by model element (Owner.element).

The keys name elements as the fhir.resources R4B models do (a backbone element is its class name,
e.g. ``PatientContact.gender``), so the same table tells the strategies which codes are valid and
the mutations which elements a code outside the value set breaks (R4 terminologies.html#required).
"""

from __future__ import annotations

from conformance.resources import TYPES

GENDER = ("male", "female", "other", "unknown")  # R4 valueset-administrative-gender
ENCOUNTER_STATUS = (
    *("planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled"),
    *("entered-in-error", "unknown"),
)
UNITS_OF_TIME = ("s", "min", "h", "d", "wk", "mo", "a")  # R4 valueset-units-of-time
ADDRESS_USE = ("home", "work", "temp", "old", "billing")
CONTACT_POINT_USE = ("home", "work", "temp", "old", "mobile")
# R4 valueset-event-timing: the v3 TimingEvent codes plus the FHIR additions.
EVENT_TIMING = (
    *("MORN", "MORN.early", "MORN.late", "NOON", "AFT", "AFT.early", "AFT.late", "EVE", "EVE.early"),
    *("EVE.late", "NIGHT", "PHS", "HS", "WAKE", "C", "CM", "CD", "CV", "AC", "ACM", "ACD", "ACV"),
    *("PC", "PCM", "PCD", "PCV"),
)
# A sample of BCP 13 media types (R4 valueset-mimetypes is all of them), with a parameter.
MIME_TYPES = ("text/plain", "text/plain; charset=UTF-8", "application/pdf", "image/png", "application/fhir+json")
# A sample of BCP 47 tags (R4 valueset-all-languages is all of them): regions, scripts, variants.
LANGUAGES = ("en", "en-US", "fr-CA", "de-CH-1901", "zh-Hans-CN", "sr-Latn-RS", "ar-EG", "ja", "haw", "es-419")
# A sample of ISO 4217 currencies (R4 valueset-currencies), with zero and three minor-unit digits.
CURRENCIES = ("USD", "EUR", "JPY", "CHF", "GBP", "BHD", "INR")
# A sample of R4 FHIRAllTypes (valueset-all-types): data types and resource types.
ALL_TYPES = ("string", "Quantity", "CodeableConcept", "Patient", "Observation", "Encounter")

REQUIRED: dict[str, tuple[str, ...]] = {
    "Patient.gender": GENDER,
    "PatientContact.gender": GENDER,
    "PatientLink.type": ("replaced-by", "replaces", "refer", "seealso"),
    "Practitioner.gender": GENDER,
    "Observation.status": (
        *("registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error"),
        "unknown",
    ),
    "Encounter.status": ENCOUNTER_STATUS,
    "EncounterStatusHistory.status": ENCOUNTER_STATUS,
    "EncounterLocation.status": ("planned", "active", "reserved", "completed"),
    "MedicationRequest.status": (
        *("active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown"),
    ),
    "MedicationRequest.intent": (
        *("proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option"),
    ),
    "MedicationRequest.priority": ("routine", "urgent", "asap", "stat"),
    "Narrative.status": ("generated", "extensions", "additional", "empty"),
    "HumanName.use": ("usual", "official", "temp", "nickname", "anonymous", "old", "maiden"),
    "Identifier.use": ("usual", "official", "temp", "secondary", "old"),
    "Address.use": ADDRESS_USE,
    "Address.type": ("postal", "physical", "both"),
    "ContactPoint.system": ("phone", "fax", "email", "pager", "url", "sms", "other"),
    "ContactPoint.use": CONTACT_POINT_USE,
    "Quantity.comparator": ("<", "<=", ">=", ">"),
    "Age.comparator": ("<", "<=", ">=", ">"),
    "Duration.comparator": ("<", "<=", ">=", ">"),
    "Count.comparator": ("<", "<=", ">=", ">"),
    "Distance.comparator": ("<", "<=", ">=", ">"),
    "TimingRepeat.durationUnit": UNITS_OF_TIME,
    "TimingRepeat.periodUnit": UNITS_OF_TIME,
    "TimingRepeat.dayOfWeek": ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
    "TimingRepeat.when": EVENT_TIMING,
    "Attachment.contentType": MIME_TYPES,
    "Attachment.language": LANGUAGES,
    "Signature.targetFormat": MIME_TYPES,
    "Signature.sigFormat": MIME_TYPES,
    "Money.currency": CURRENCIES,
    "Contributor.type": ("author", "editor", "reviewer", "endorser"),
    "ParameterDefinition.use": ("in", "out"),
    "ParameterDefinition.type": ALL_TYPES,
    "RelatedArtifact.type": (
        *("documentation", "justification", "citation", "predecessor", "successor", "derived-from"),
        *("depends-on", "composed-of"),
    ),
    "TriggerDefinition.type": (
        *("named-event", "periodic", "data-changed", "data-added", "data-modified", "data-removed"),
        *("data-accessed", "data-access-ended"),
    ),
    "DataRequirement.type": ALL_TYPES,
    "DataRequirementSort.direction": ("ascending", "descending"),
}
# Resource.language is bound to all languages on every resource (R4 resource.html#language).
REQUIRED.update({f"{resource_type}.language": LANGUAGES for resource_type in TYPES})
