"""Content negotiation of requests: Accept and _format, Content-Type, Prefer, and bounded request bodies."""

from __future__ import annotations

import re

from starlette.requests import Request

from conformance import fhirjson
from conformance.server.fhirhttp import FHIR_JSON_TYPE, FhirError, Rule

# R4 http.html#mime-type: "If a client provides a generic mime type in the Accept header
# (application/xml, text/json, or application/json), the server SHOULD respond with the requested
# mime type"; wildcards get the formal type. Each acceptable media range -> the type answered.
ANSWERS = {
    FHIR_JSON_TYPE: FHIR_JSON_TYPE,
    "application/json": "application/json",
    "text/json": "text/json",
    "*/*": FHIR_JSON_TYPE,
    "application/*": FHIR_JSON_TYPE,
}
# R4 http.html#mime-type, _format: "the codes json, application/json and application/fhir+json
# SHALL be interpreted to mean the JSON format".
FORMATS = {"json": FHIR_JSON_TYPE, "application/json": "application/json", FHIR_JSON_TYPE: FHIR_JSON_TYPE}
# R4 http.html#version-parameter: "The value of this parameter is the publication and major
# version number for the specification": 4.0 for R4 (4.0.1, a full R4 version, is tolerated).
FHIR_VERSION = "4.0"
# R4 http.html#prefer: the return= values, matched case-insensitively.
PREFER_RETURNS = {v.lower(): v for v in ("minimal", "representation", "OperationOutcome")}
MAX_BODY = 16 * 1024 * 1024  # larger bodies get 413 rather than tying up the server


def response_type(request: Request) -> str | None:
    """The JSON media type to answer with; `_format` overrides Accept; None when nothing acceptable."""
    fmt = request.query_params.get("_format")
    if fmt is None:
        return _negotiate(request.headers.get("accept", ""))
    media, params = fhirjson.parse_media_type(fmt.replace(" ", "+"))  # a '+' left unencoded arrives as a space
    return FORMATS.get(media) if _is_r4(params) else None


def not_acceptable() -> FhirError:
    """406 for a request that accepts no response this server makes (R4 http.html#mime-type)."""
    answers = ", ".join(dict.fromkeys(ANSWERS.values()))
    message = f"this server answers FHIR R4 (fhirVersion={FHIR_VERSION}) JSON only: {answers}"
    return FhirError(406, "not-supported", message, rule=Rule.ACCEPT)


def content_type_problem(header: str | None) -> FhirError | None:
    """415 unless the body is UTF-8 FHIR JSON of R4; `_format` does not change how a body is read."""
    # R4 http.html#mime-type: "415 Unsupported Media Type when the client posts a format that is
    # not supported to the server"; "the _format parameter does not override the Content-Type
    # header for the type of the body of a POST request".
    media, params = fhirjson.parse_media_type(header or "")
    if media not in fhirjson.JSON_TYPES or params.get("charset", "utf-8").lower() != "utf-8":
        message = f"Content-Type {header!r} is not UTF-8 FHIR JSON"
        return FhirError(415, "not-supported", message, rule=Rule.CONTENT_TYPE)
    if not _is_r4(params):
        # R4 http.html#version-parameter defines no status for a version the server lacks;
        # versioning.html#mt-version: the client "will know that the server doesn't support R3
        # if it gets an error in return". A body in another version is an unsupported format.
        message = f"fhirVersion {params['fhirversion']!r} is not supported; this server speaks {FHIR_VERSION}"
        return FhirError(415, "not-supported", message, rule=Rule.FHIR_VERSION)
    return None


def _negotiate(accept: str) -> str | None:
    """The best answer an Accept header allows (highest q, then FHIR JSON); an empty one allows anything."""
    if not accept.strip():
        return FHIR_JSON_TYPE
    offers = []
    for item in accept.split(","):
        media, params = fhirjson.parse_media_type(item)
        weight = _weight(params.get("q", "1"))
        if media in ANSWERS and weight > 0 and _is_r4(params):
            offers.append((weight, ANSWERS[media] == FHIR_JSON_TYPE, ANSWERS[media]))
    return max(offers)[2] if offers else None


def _is_r4(params: dict[str, str]) -> bool:
    """Whether media type parameters name no fhirVersion, or R4's."""
    version = params.get("fhirversion", FHIR_VERSION)
    return version == FHIR_VERSION or version.startswith(f"{FHIR_VERSION}.")


def _weight(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def prefer_return(header: str | None) -> str | None:
    """The return= preference of a Prefer header (RFC 7240), or None."""
    for token in re.split(r"[,;]", header or ""):
        name, _, value = token.partition("=")
        if name.strip().lower() == "return":
            return PREFER_RETURNS.get(value.strip().strip('"').lower())
    return None


async def read_body(request: Request) -> bytes:
    """The request body, refused with 413 past MAX_BODY (before reading it, when declared)."""
    too_large = FhirError(413, "too-costly", f"the body exceeds {MAX_BODY} bytes", rule=Rule.TOO_LARGE)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
