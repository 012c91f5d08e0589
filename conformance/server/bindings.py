"""Required terminology bindings of R4, which the fhir.resources models do not check.

A required binding (R4 codesystem-binding-strength.html): "To be conformant, the concept in this
element SHALL be from the specified value set." The table covers the seven resource types the suite creates (Patient,
Observation, Encounter, Condition, MedicationRequest, Practitioner, Organization) and the data
types they use, those of extension values too; each value set's codes are those of its R4 page,
valueset-[name].html. Value sets drawn from outside FHIR (all languages, all media types, all
currencies) are checked by the grammar of their codes, not against a registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from conformance.server.r4types import ALL_TYPES


@dataclass(frozen=True)
class ValueSet:
    """The codes of an R4 value set; `system` is the code system a CodeableConcept's coding needs."""

    url: str
    codes: frozenset[str]
    system: str | None = None
    grammar: re.Pattern[str] | None = None  # the form of every code, for a value set of another standard's codes

    def allows(self, value: Any) -> bool:
        """Whether a code, or a CodeableConcept (one coding from the set suffices), is in the set."""
        if self.grammar is not None:
            return isinstance(value, str) and self.grammar.fullmatch(value) is not None
        if self.system is None:
            return value in self.codes
        return any(c.system == self.system and c.code in self.codes for c in getattr(value, "coding", None) or [])

    def outside(self, value: Any) -> str:
        """Say that a value is outside this value set."""
        if self.system is None:
            return f"{value!r} is not in the required value set {self.url}"
        return f"no coding of {self.system} in the required value set {self.url}"


def _value_set(name: str, codes: str, system: str | None = None) -> ValueSet:
    return ValueSet(f"http://hl7.org/fhir/ValueSet/{name}", frozenset(codes.split()), system)


def _grammar(name: str, pattern: str) -> ValueSet:
    return ValueSet(f"http://hl7.org/fhir/ValueSet/{name}", frozenset(), grammar=re.compile(pattern))


# RFC 5646 #2.1: subtags of 1 to 8 letters or digits joined by hyphens, the first of letters.
LANGUAGES = _grammar("all-languages", r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
# RFC 6838 #4.2 names (type/subtype), then RFC 9110 #5.6.6 parameters (; name=value).
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
MIME_TYPES = _grammar("mimetypes", rf"{_NAME}/{_NAME}(\s*;\s*{_NAME}=(\"[^\"]*\"|[^;\s\"]+))*")
ALL_TYPES_SET = ValueSet("http://hl7.org/fhir/ValueSet/all-types", ALL_TYPES)
GENDER = _value_set("administrative-gender", "male female other unknown")
ENCOUNTER_STATUS = _value_set(
    "encounter-status", "planned arrived triaged in-progress onleave finished cancelled entered-in-error unknown"
)
UNITS_OF_TIME = _value_set("units-of-time", "s min h d wk mo a")
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
# (model class, element) -> value set; a class also stands for its subclasses (Age is a Quantity).
REQUIRED: dict[tuple[str, str], ValueSet] = {
    ("Patient", "gender"): GENDER,
    ("PatientContact", "gender"): GENDER,
    ("PatientLink", "type"): _value_set("link-type", "replaced-by replaces refer seealso"),
    ("Practitioner", "gender"): GENDER,
    ("Observation", "status"): _value_set(
        "observation-status", "registered preliminary final amended corrected cancelled entered-in-error unknown"
    ),
    ("Encounter", "status"): ENCOUNTER_STATUS,
    ("EncounterStatusHistory", "status"): ENCOUNTER_STATUS,
    ("EncounterLocation", "status"): _value_set("encounter-location-status", "planned active reserved completed"),
    ("Condition", "clinicalStatus"): _value_set(
        "condition-clinical",
        "active recurrence relapse inactive remission resolved",
        f"{TERMINOLOGY}/condition-clinical",
    ),
    ("Condition", "verificationStatus"): _value_set(
        "condition-ver-status",
        "unconfirmed provisional differential confirmed refuted entered-in-error",
        f"{TERMINOLOGY}/condition-ver-status",
    ),
    ("MedicationRequest", "status"): _value_set(
        "medicationrequest-status", "active on-hold cancelled completed entered-in-error stopped draft unknown"
    ),
    ("MedicationRequest", "intent"): _value_set(
        "medicationrequest-intent",
        "proposal plan order original-order reflex-order filler-order instance-order option",
    ),
    ("MedicationRequest", "priority"): _value_set("request-priority", "routine urgent asap stat"),
    ("HumanName", "use"): _value_set("name-use", "usual official temp nickname anonymous old maiden"),
    ("ContactPoint", "system"): _value_set("contact-point-system", "phone fax email pager url sms other"),
    ("ContactPoint", "use"): _value_set("contact-point-use", "home work temp old mobile"),
    ("Identifier", "use"): _value_set("identifier-use", "usual official temp secondary old"),
    ("Address", "use"): _value_set("address-use", "home work temp old billing"),
    ("Address", "type"): _value_set("address-type", "postal physical both"),
    ("Quantity", "comparator"): _value_set("quantity-comparator", "< <= >= >"),
    ("Narrative", "status"): _value_set("narrative-status", "generated extensions additional empty"),
    ("TimingRepeat", "durationUnit"): UNITS_OF_TIME,
    ("TimingRepeat", "periodUnit"): UNITS_OF_TIME,
    ("TimingRepeat", "dayOfWeek"): _value_set("days-of-week", "mon tue wed thu fri sat sun"),
    ("TimingRepeat", "when"): _value_set(
        "event-timing",
        "MORN MORN.early MORN.late NOON AFT AFT.early AFT.late EVE EVE.early EVE.late NIGHT PHS"
        " HS WAKE C CM CD CV AC ACM ACD ACV PC PCM PCD PCV",
    ),
    ("Resource", "language"): LANGUAGES,
    ("Attachment", "language"): LANGUAGES,
    ("Attachment", "contentType"): MIME_TYPES,
    ("Signature", "targetFormat"): MIME_TYPES,
    ("Signature", "sigFormat"): MIME_TYPES,
    ("Money", "currency"): _grammar("currencies", "[A-Z]{3}"),  # ISO 4217 codes
    ("Contributor", "type"): _value_set("contributor-type", "author editor reviewer endorser"),
    ("ParameterDefinition", "use"): _value_set("operation-parameter-use", "in out"),
    ("ParameterDefinition", "type"): ALL_TYPES_SET,
    ("RelatedArtifact", "type"): _value_set(
        "related-artifact-type",
        "documentation justification citation predecessor successor derived-from depends-on composed-of",
    ),
    ("TriggerDefinition", "type"): _value_set(
        "trigger-type",
        "named-event periodic data-changed data-added data-modified data-removed data-accessed data-access-ended",
    ),
    ("DataRequirement", "type"): ALL_TYPES_SET,
    ("DataRequirementSort", "direction"): _value_set("sort-direction", "ascending descending"),
}


def violation(resource: BaseModel) -> tuple[str, str] | None:
    """Find the first element of a validated resource model outside its required binding: (where, why)."""
    for model, path in _models(resource, type(resource).__name__):
        for name in sorted(model.model_fields_set):
            binding = _binding(type(model), name)
            if binding is None:
                continue
            for index, value in _items(getattr(model, name)):
                if not binding.allows(value):
                    return f"{path}.{_alias(model, name)}{index}", binding.outside(value)
    return None


def _models(model: BaseModel, path: str) -> Iterator[tuple[BaseModel, str]]:
    """The model and every model inside it, each with its path."""
    yield model, path
    for name in sorted(model.model_fields_set):
        for index, value in _items(getattr(model, name)):
            if isinstance(value, BaseModel):
                yield from _models(value, f"{path}.{_alias(model, name)}{index}")


def _binding(cls: type[BaseModel], name: str) -> ValueSet | None:
    return next((REQUIRED[k.__name__, name] for k in cls.__mro__ if (k.__name__, name) in REQUIRED), None)


def _items(value: Any) -> list[tuple[str, Any]]:
    """A repeating element's items with their [index]; a single value with no index."""
    return [(f"[{i}]", item) for i, item in enumerate(value)] if isinstance(value, list) else [("", value)]


def _alias(model: BaseModel, name: str) -> str:
    """The JSON name of a model field (fhir.resources renames a few, e.g. class -> class_fhir)."""
    return type(model).model_fields[name].alias or name
