"""HTTP building blocks of the server: OperationOutcomes, FHIR responses, instants and HTTP-dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from enum import StrEnum
from typing import Any

from starlette.responses import Response

from conformance import fhirjson
from conformance.fhirjson import parse_instant

ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # R4 datatypes.html#id
# R4 http.html#mime-type: "The correct mime type SHALL be used"; JSON is application/fhir+json.
FHIR_JSON_TYPE = "application/fhir+json"
FHIR_JSON = f"{FHIR_JSON_TYPE}; charset=utf-8"


class Rule(StrEnum):
    """What a refusal enforces, so that a fault can single out one kind of refusal."""

    ACCEPT = "accept"  # 406: no acceptable response type
    CONTENT_TYPE = "content-type"  # 415: the body is not UTF-8 FHIR JSON
    FHIR_VERSION = "fhir-version"  # 415: the body's fhirVersion is not R4
    TOO_LARGE = "too-large"  # 413
    UNKNOWN_TYPE = "unknown-type"  # 404
    NOT_OBJECT = "not-object"  # 400: empty, or JSON that is not an object
    UNPARSABLE = "unparsable"  # 400: not UTF-8 JSON
    TOO_DEEP = "too-deep"  # 400: JSON nested too deep to process safely
    DUPLICATE_NAMES = "duplicate-names"  # 400: an object repeats a name
    WRONG_TYPE = "wrong-type"  # 400: resourceType missing or not the URL's type
    CLIENT_ID = "client-id"  # 400: a client id that is not an R4 id (id policy respect)
    DUPLICATE_ID = "duplicate-id"  # 409 (id policy respect)
    MULTIPLE_MATCHES = "multiple-matches"  # 412: a condition (If-None-Exist, ifNoneExist) matches several
    INVALID = "invalid"  # 400/422: not valid R4
    PROFILE = "profile"  # 400/422: violates a profile the server enforces


class FhirError(Exception):
    """A request the server refuses: answered with `status` and an OperationOutcome."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        headers: Mapping[str, str] | None = None,
        rule: Rule | None = None,
        expression: str | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code  # from the R4 issue-type value set (valueset-issue-type.html)
        self.diagnostics = diagnostics
        self.headers = dict(headers or {})
        self.rule = rule
        self.expression = expression  # where in the request the problem is (a transaction's entry)


def operation_outcome(severity: str, code: str, diagnostics: str, expression: str | None = None) -> dict[str, Any]:
    """Build a one-issue OperationOutcome (R4 operationoutcome.html), pointing at `expression` if given."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression is not None:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def content_type(media: str) -> dict[str, str]:
    """The Content-Type header of a JSON body of media type `media` (FHIR JSON is UTF-8)."""
    return {"Content-Type": f"{media}; charset=utf-8"}


def fhir_response(status: int, body: Mapping[str, Any] | None, headers: Mapping[str, str] | None = None) -> Response:
    """Serialise `body` with fhirjson (decimals stay exact); no body means no Content-Type."""
    all_headers = dict(headers or {})
    named = [name for name in all_headers if name.lower() == "content-type"]
    if body is None:
        for name in named:
            del all_headers[name]
        return Response(b"", status_code=status, headers=all_headers)
    if not named:
        all_headers["Content-Type"] = FHIR_JSON
    return Response(fhirjson.dumps(body).encode("utf-8"), status_code=status, headers=all_headers)


def http_date(moment: datetime) -> str:
    """Format an RFC 7231 IMF-fixdate, as Last-Modified requires (R4 http.html#versioning)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def location(base: str, rtype: str, rid: str, vid: str | None) -> str:
    """[base]/[type]/[id]/_history/[vid] (R4 http.html#create), or [base]/[type]/[id]."""
    url = f"{base}/{rtype}/{rid}"
    return url if vid is None else f"{url}/_history/{vid}"


def version_headers(resource: Mapping[str, Any]) -> dict[str, str]:
    """ETag and Last-Modified of a stored resource (R4 http.html#versioning, #concurrency)."""
    meta = resource.get("meta", {})
    headers = {"ETag": f'W/"{meta["versionId"]}"'}
    moment = parse_instant(meta.get("lastUpdated"))
    if moment is not None:
        headers["Last-Modified"] = http_date(moment)
    return headers
