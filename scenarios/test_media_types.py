"""Media types and versions: a body of an unsupported type gets 415, an unsatisfiable Accept 406, an unknown
resource type 404, and _format does not change how a body is read; application/json and the charset and
fhirVersion parameters are accepted (FHIR R4 http.html#mime-type, #version-parameter, #create)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from conformance import checks
from conformance.cases import Case, refusals, table
from conformance.created import Created
from conformance.refused import CLIENT_ERRORS, Attempt, Refusal, as_json

UNSUPPORTED = "reject.mime.content-type-415"


def claims_xml(capabilities: Mapping[str, Any]) -> str | None:
    """Say why an XML case does not apply: the CapabilityStatement's format claims XML."""
    formats = capabilities.get("format") or []
    if any("xml" in str(media) for media in formats):
        return "the server's CapabilityStatement.format claims XML"
    return None


def unsupported(name: str, description: str, content_type: str, **more: Any) -> Attempt:
    """A valid JSON body sent under a Content-Type the server does not read."""
    headers = {"Content-Type": content_type}
    return Attempt(name, description, UNSUPPORTED, headers=headers, statuses=(415,), tolerates_5xx=False, **more)


TEXT_PLAIN = unsupported("content-type-text-plain", "a JSON body sent as text/plain", "text/plain")
ATTEMPTS = (
    Attempt(
        "unknown-type",
        "a resource of a type R4 does not define, sent to [base]/NotAType",
        "reject.type.unknown",
        lambda resource: as_json({**resource, "resourceType": "NotAType"}),
        type="NotAType",
        sample="Patient",
        statuses=(404,),
        status="reject.type.unknown-404",
        searchable=False,
    ),
    TEXT_PLAIN,
    unsupported("content-type-form", "a JSON body sent as a form", "application/x-www-form-urlencoded"),
    unsupported("content-type-fhir-xml", "a JSON body sent as FHIR XML", "application/fhir+xml", skip=claims_xml),
    Attempt(
        "format-no-override",
        "a text/plain body sent with _format=json",
        "reject.format.no-override",
        query="?_format=json",
        headers={"Content-Type": "text/plain"},
        tolerates_5xx=False,
        baseline=TEXT_PLAIN,
    ),
    Attempt(
        "accept-fhir-xml",
        "a create that accepts only FHIR XML",
        "reject.mime.accept-406",
        headers={"Accept": "application/fhir+xml"},
        statuses=(406,),
        tolerates_5xx=False,
        skip=claims_xml,
    ),
    Attempt(
        "fhir-version-unsupported",
        "a body whose Content-Type names fhirVersion=3.0",
        "reject.mime.version-unsupported",
        headers={"Content-Type": "application/fhir+json; fhirVersion=3.0"},
        statuses=CLIENT_ERRORS,
        tolerates_5xx=False,
        may_accept=True,
    ),
)


def generic_json(c: Created) -> None:
    """A create sent and accepted as application/json is answered as application/json."""
    checks.success(c.exchange)
    if not c.exchange.response_body.strip():
        checks.not_applicable("the response has no body")
    checks.media_type(c.exchange, "application/json")


CASES = (
    Case(
        "generic-json",
        "a create sent as application/json, accepting it, gets application/json",
        "reject.mime.generic-json",
        generic_json,
        requests=("json",),
    ),
    Case(
        "accepted",
        "a create whose Content-Type names charset=utf-8 is accepted",
        "reject.mime.charset",
        lambda c: checks.success(c.exchange),
        requests=("charset",),
    ),
    Case(
        "accepted",
        "a create whose Content-Type and Accept name fhirVersion=4.0 is accepted",
        "reject.mime.version-parameter",
        lambda c: checks.success(c.exchange),
        requests=("fhir-version",),
    ),
)


@pytest.mark.parametrize(("refusal", "case"), refusals(ATTEMPTS), indirect=["refusal"])
def test_refuse(refusal: Refusal, case: Case) -> None:
    """Each case checks one requirement of one refused request, sent once."""
    case.check(refusal)


@pytest.mark.parametrize(("created", "case"), table(CASES, ("Patient",)), indirect=["created"])
def test_accept(created: Created, case: Case) -> None:
    """Each case checks that a create with another media type or parameter is accepted."""
    case.check(created)
