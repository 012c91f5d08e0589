"""Required terminology bindings of R4, which the fhir.resources models do not check.

A required binding (R4 codesystem-binding-strength.html): "To be conformant, the concept in this
element SHALL be from the specified value set." The table covers the seven resource types the suite creates (Patient,
Observation, Encounter, Condition, MedicationRequest, Practitioner, Organization) and the data
types they use; each value set's codes are those of its R4 page, valueset-[name].html.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class ValueSet:
    """The codes of an R4 value set; `system` is the code system a CodeableConcept's coding needs."""

    url: str
    codes: frozenset[str]
    system: str | None = None

    def allows(self, value: Any) -> bool:
        """Whether a code, or a CodeableConcept (one coding from the set suffices), is in the set."""
        if self.system is None:
            return value in self.codes
        return any(c.system == self.system and c.code in self.codes for c in getattr(value, "coding", None) or [])

    def outside(self, where: str, value: Any) -> str:
        """Say that the value at `where` is outside this value set."""
        if self.system is None:
            return f"{where}: {value!r} is not in the required value set {self.url}"
        return f"{where}: no coding of {self.system} in the required value set {self.url}"


def _value_set(name: str, codes: str, system: str | None = None) -> ValueSet:
    return ValueSet(f"http://hl7.org/fhir/ValueSet/{name}", frozenset(codes.split()), system)


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
}


def violation(resource: BaseModel) -> str | None:
    """Describe the first element of a validated resource model outside its required binding, or None."""
    for model, path in _models(resource, type(resource).__name__):
        for name in sorted(model.model_fields_set):
            binding = _binding(type(model), name)
            if binding is None:
                continue
            for index, value in _items(getattr(model, name)):
                if not binding.allows(value):
                    return binding.outside(f"{path}.{_alias(model, name)}{index}", value)
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
