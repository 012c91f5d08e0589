"""Structurally invalid and profile-violating resources are refused with the status the profile claims
(--invalid-status), with an OperationOutcome, and nothing is stored (FHIR R4 http.html#create). Accepting one
fails a SHALL where the profile claims validation (--validates), and warns where it does not."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from conformance.cases import Case, refusals
from conformance.refused import Attempt, Refusal, as_json

# The profile the reference server enforces and lists in Patient's supportedProfile: it requires birthDate.
PATIENT_WITH_BIRTHDATE = "https://example.org/fhir-create-conformance/StructureDefinition/patient-with-birthdate"
STATUS = "reject.validation.status"


def invalid(name: str, description: str, change: Callable[[dict[str, Any]], dict[str, Any]], **more: Any) -> Attempt:
    """A marked sample made invalid by one change, graded by the validation claim and the claimed status."""
    return Attempt(
        name,
        description,
        "reject.validation.rejected",
        lambda resource: as_json(change(resource)),
        statuses=None,
        status=STATUS,
        unclaimed="reject.validation.unclaimed",
        **more,
    )


def without(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Drop one element."""
    return lambda resource: {key: value for key, value in resource.items() if key != name}


def enforces_profile(capabilities: Mapping[str, Any]) -> str | None:
    """Say why the profile case does not apply: Patient's supportedProfile does not list the suite's profile."""
    resources = [r for rest in capabilities.get("rest", []) for r in rest.get("resource", [])]
    profiles = [p for r in resources if r.get("type") == "Patient" for p in r.get("supportedProfile", [])]
    if PATIENT_WITH_BIRTHDATE in profiles:
        return None
    return f"the server's CapabilityStatement does not list {PATIENT_WITH_BIRTHDATE} for Patient"


def violating_profile(resource: dict[str, Any]) -> bytes:
    """Claim the profile in meta.profile, and leave out the birthDate it requires."""
    meta = {**resource["meta"], "profile": [PATIENT_WITH_BIRTHDATE]}
    return as_json({**without("birthDate")(resource), "meta": meta})


OBSERVATION = {"type": "Observation"}
ATTEMPTS = (
    invalid("name-string", "a Patient whose name is a string (Bob), not a list", lambda r: {**r, "name": "Bob"}),
    invalid("unknown-element", "a Patient with an element R4 does not define", lambda r: {**r, "nickname": "Bo"}),
    invalid("null-value", "a Patient with a null value", lambda r: {**r, "active": None}),
    invalid("empty-string", "a Patient with an empty string", lambda r: {**r, "name": [{"family": ""}]}),
    invalid("empty-object", "a Patient with an empty object", lambda r: {**r, "name": [{}]}),
    invalid("empty-array", "a Patient with an empty array", lambda r: {**r, "name": []}),
    invalid(
        "gender-banana", "a Patient whose gender is outside its required binding", lambda r: {**r, "gender": "banana"}
    ),
    invalid("date-month-13", "a Patient born on 1990-13-45", lambda r: {**r, "birthDate": "1990-13-45"}),
    invalid(
        "time-without-timezone",
        "an Observation whose dateTime has a time but no timezone",
        lambda r: {**r, "effectiveDateTime": "2026-11-20T10:00:00"},
        **OBSERVATION,
    ),
    invalid("status-missing", "an Observation without its required status", without("status"), **OBSERVATION),
    invalid(
        "choice-two-variants",
        "an Observation with two variants of value[x]",
        lambda r: {**r, "valueString": "heavy"},
        **OBSERVATION,
    ),
    Attempt(
        "profile-violated",
        "a Patient claiming an enforced profile it breaks",
        "reject.validation.profile-422",
        violating_profile,
        statuses=None,
        status=STATUS,
        skip=enforces_profile,
    ),
)


@pytest.mark.parametrize(("refusal", "case"), refusals(ATTEMPTS), indirect=["refusal"])
def test_refuse(refusal: Refusal, case: Case) -> None:
    """Each case checks one requirement of one invalid resource, sent once."""
    case.check(refusal)
