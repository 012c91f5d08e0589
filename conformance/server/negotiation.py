"""Content negotiation of requests: Accept and _format, Prefer, and bounded request bodies."""

from __future__ import annotations

import re

from starlette.requests import Request

from conformance import fhirjson
from conformance.server.fhirhttp import FhirError

# R4 http.html#mime-type: what a client may ask for and still get FHIR JSON.
ACCEPTABLE = {"application/fhir+json", "application/json", "*/*", "application/*"}
FORMATS = {"json", "application/json", "application/fhir+json"}
# R4 http.html#prefer: the return= values, matched case-insensitively.
PREFER_RETURNS = {v.lower(): v for v in ("minimal", "representation", "OperationOutcome")}
MAX_BODY = 16 * 1024 * 1024  # larger bodies get 413 rather than tying up the server


def check_accept(request: Request) -> None:
    """406 unless the client can take FHIR JSON; `_format` overrides Accept (R4 http.html#mime-type)."""
    fmt = request.query_params.get("_format")
    if fmt is not None:
        # A '+' left unencoded in a query string arrives as a space.
        acceptable = fhirjson.media_type(fmt.replace(" ", "+")) in FORMATS
    else:
        acceptable = _accepts(request.headers.get("accept", ""))
    if not acceptable:
        raise FhirError(406, "not-supported", "this server only answers application/fhir+json")


def check_content_type(request: Request) -> None:
    """415 unless the body is FHIR JSON; `_format` does not change how a POST body is read."""
    content_type = request.headers.get("content-type")
    if not fhirjson.is_json_media_type(content_type):  # R4 http.html#mime-type
        raise FhirError(415, "not-supported", f"Content-Type {content_type!r} is not FHIR JSON")


def _accepts(accept: str) -> bool:
    """Whether an Accept header allows FHIR JSON; an absent or empty one allows anything."""
    if not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = item.split(";")
        weights = [p.partition("=")[2] for p in params if p.strip().lower().startswith("q=")]
        if media.strip().lower() in ACCEPTABLE and _weight(weights) > 0:
            return True
    return False


def _weight(weights: list[str]) -> float:
    try:
        return float(weights[0]) if weights else 1.0
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
    too_large = FhirError(413, "too-costly", f"the body exceeds {MAX_BODY} bytes")
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
