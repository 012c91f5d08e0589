"""A body that is not one FHIR JSON resource of the URL's type is refused with 400 and an OperationOutcome,
nothing is stored, and no 5xx is sent (FHIR R4 http.html#create: 400 when the resource "could not be parsed")."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.cases import Case, refusals
from conformance.refused import Attempt, Refusal, as_json

UNPARSABLE = "reject.parse.unparsable"
NOT_OBJECT = "reject.body.not-object"
MISMATCH = "reject.type.mismatch"


def truncated(resource: dict[str, Any]) -> bytes:
    """Cut the JSON off after its first member."""
    return as_json(resource)[:30]


def trailing_garbage(resource: dict[str, Any]) -> bytes:
    """Follow the object with text that is not JSON."""
    return as_json(resource) + b" trailing"


def single_quotes(resource: dict[str, Any]) -> bytes:
    """Quote every name and string with ' (JavaScript, not JSON)."""
    return as_json(resource).replace(b'"', b"'")


def nan(resource: dict[str, Any]) -> bytes:
    """Write a decimal as NaN, which no JSON number can be (RFC 8259 #6)."""
    extension = {"url": "https://example.org/fhir/StructureDefinition/score", "valueDecimal": "not-a-number"}
    return as_json({**resource, "extension": [extension]}).replace(b'"not-a-number"', b"NaN")


def duplicate_key(resource: dict[str, Any]) -> bytes:
    """Repeat a name in the object: "active" again, after the sample's own."""
    return as_json(resource)[:-1] + b',"active":false}'


def latin_1(resource: dict[str, Any]) -> bytes:
    """Encode the JSON text as Latin-1: its non-ASCII names are then not UTF-8."""
    return as_json(resource).decode("utf-8").encode("latin-1")


def without_type(resource: dict[str, Any]) -> bytes:
    """Leave resourceType out."""
    return as_json({k: v for k, v in resource.items() if k != "resourceType"})


ATTEMPTS = (
    Attempt("invalid-json-truncated", "a truncated JSON body", UNPARSABLE, truncated, searchable=False),
    Attempt(
        "invalid-json-truncated-prefer-minimal",
        "a truncated JSON body sent with Prefer: return=minimal",
        UNPARSABLE,
        truncated,
        headers={"Prefer": "return=minimal"},
        outcome="reject.outcome.always",
        searchable=False,
    ),
    Attempt("invalid-json-trailing-garbage", "a JSON object followed by text", UNPARSABLE, trailing_garbage),
    Attempt("invalid-json-single-quotes", "a body quoted with single quotes", UNPARSABLE, single_quotes),
    Attempt("invalid-json-nan", "a body holding NaN as a decimal", UNPARSABLE, nan),
    Attempt("duplicate-keys", "an object that repeats a name", "reject.parse.duplicate-names", duplicate_key),
    Attempt("not-utf-8", "a body in Latin-1, not UTF-8", UNPARSABLE, latin_1),
    Attempt("empty-body", "an empty body", NOT_OBJECT, lambda resource: b"", searchable=False),
    Attempt("json-array", "a JSON array holding the resource", NOT_OBJECT, lambda r: b"[" + as_json(r) + b"]"),
    Attempt("json-string", "a JSON string", NOT_OBJECT, lambda resource: b'"Patient"', searchable=False),
    Attempt("json-number", "a JSON number", NOT_OBJECT, lambda resource: b"42", searchable=False),
    Attempt("resource-type-missing", "a resource without resourceType", MISMATCH, without_type),
    Attempt("resource-type-mismatch", "an Observation sent to [base]/Patient", MISMATCH, sample="Observation"),
)


@pytest.mark.parametrize(("refusal", "case"), refusals(ATTEMPTS), indirect=["refusal"])
def test_refuse(refusal: Refusal, case: Case) -> None:
    """Each case checks one requirement of one refused body, sent once."""
    case.check(refusal)
