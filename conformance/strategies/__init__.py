"""Hypothesis strategies for FHIR R4 resources of the seven types the suite creates: valid ones that
reach the corners servers get wrong, and invalid ones that break one labelled rule each.

    valid("Patient", marker)            # valid R4 Patients carrying the run's tag and identifier
    invalid("Patient", marker)          # Invalid(resource, rule, path, element), one rule broken
    datatype("HumanName")               # values of one R4 datatype, primitive or complex

Every strategy is hand-written (R4 json.html forms, the types' invariants and required bindings);
NOT_GENERATED lists the R4 elements valid resources do not carry, and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from conformance.resources import TYPES, Marker
from conformance.strategies.elements import Json
from conformance.strategies.extensions import datatype
from conformance.strategies.mutations import RULES, Invalid, broken
from conformance.strategies.resource import valid

_SERVER_MANAGED = "the server sets it on create (R4 http.html#create); a scenario that wants one sets it"
NOT_GENERATED: dict[str, str] = {
    "modifierExtension": "R4 extensibility.html#modifierExtension: a server may refuse modifiers it does not know",
    "implicitRules": "R4 resource.html#Resource: a modifier; a server may refuse rules it does not know",
    "Meta.versionId": _SERVER_MANAGED,
    "Meta.lastUpdated": _SERVER_MANAGED,
    # A contained resource has an id: what refers to it names it (R4 references.html#contained).
    **{f"{resource_type}.id": _SERVER_MANAGED for resource_type in TYPES},
}


def invalid(resource_type: str, marker: Marker, rules: Sequence[str] = RULES) -> st.SearchStrategy[Invalid]:
    """Draw resources of the type that break exactly one of `rules`, each carrying the run's marker."""
    unknown = set(rules) - set(RULES)
    if unknown:
        raise ValueError(f"unknown rules {sorted(unknown)}; the rules are {', '.join(RULES)}")
    return broken(resource_type, marker, tuple(rules))


__all__ = ["NOT_GENERATED", "RULES", "TYPES", "Invalid", "Json", "datatype", "invalid", "valid"]
