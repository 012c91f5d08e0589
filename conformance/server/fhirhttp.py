"""HTTP building blocks of the server: OperationOutcomes, FHIR responses, instants and HTTP-dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from starlette.responses import Response

from conformance import fhirjson
from conformance.fhirjson import parse_instant

ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # R4 datatypes.html#id
# R4 http.html#mime-type: "The correct mime type SHALL be used"; JSON is application/fhir+json.
FHIR_JSON = "application/fhir+json; charset=utf-8"


class FhirError(Exception):
    """A request the server refuses: answered with `status` and an OperationOutcome."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        headers: Mapping[str, str] | None = None,
        expression: str | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = dict(headers or {})
        self.expression = expression


def operation_outcome(severity: str, code: str, diagnostics: str, expression: str | None = None) -> dict[str, Any]:
    """Build a one-issue OperationOutcome (R4 operationoutcome.html), pointing at `expression` if given."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression is not None:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(status: int, body: Mapping[str, Any] | None, headers: Mapping[str, str] | None = None) -> Response:
    """Serialise `body` with fhirjson (decimals stay exact); no body means no Content-Type."""
    all_headers = dict(headers or {})
    if body is None:
        return Response(b"", status_code=status, headers=all_headers)
    if not any(name.lower() == "content-type" for name in all_headers):
        all_headers["Content-Type"] = FHIR_JSON
    return Response(fhirjson.dumps(body).encode("utf-8"), status_code=status, headers=all_headers)


def error_outcome(error: FhirError) -> dict[str, Any]:
    """The OperationOutcome of a refusal; R4 http.html: one SHOULD accompany an error."""
    return operation_outcome("error", error.code, error.diagnostics, error.expression)


def error_response(error: FhirError) -> Response:
    """Render a refusal with its OperationOutcome."""
    return fhir_response(error.status, error_outcome(error), error.headers)


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
