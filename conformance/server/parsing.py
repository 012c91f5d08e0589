"""Reading a create body: UTF-8 JSON (RFC 8259) holding one resource object (R4 json.html)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from conformance import fhirjson
from conformance.server.fhirhttp import FhirError, Rule

# Deeper documents are refused before anything recursive (validation, copies, serialising) sees
# them: it bounds the Python stack, and still leaves room for extensions nested 60 levels deep
# (two JSON levels each).
MAX_DEPTH = 128
JSON_KINDS = {list: "array", str: "string", bool: "boolean", type(None): "null"}


@dataclass(frozen=True)
class ParsedJson:
    """A parsed body, and the names that some object in it repeats."""

    value: Any
    repeated: tuple[str, ...]


def read_json(body: bytes) -> ParsedJson:
    """Parse a body; 400 unless it is UTF-8 JSON (R4 http.html#create: "could not be parsed")."""
    if not body.strip():
        raise FhirError(400, "structure", "the request body is empty", rule=Rule.NOT_OBJECT)
    repeated: list[str] = []
    try:
        value = fhirjson.loads(
            body.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=lambda p: _object(p, repeated)
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FhirError(400, "structure", f"the request body is not UTF-8 JSON: {exc}", rule=Rule.UNPARSABLE) from None
    _check_document(value)
    return ParsedJson(value, tuple(dict.fromkeys(repeated)))


def as_object(value: Any) -> dict[str, Any]:
    """The body as a JSON object, the form R4 json.html gives every resource; else 400."""
    if not isinstance(value, dict):
        kind = JSON_KINDS.get(type(value), "number")
        raise FhirError(400, "structure", f"the body is a JSON {kind}, not an object", rule=Rule.NOT_OBJECT)
    return value


def repeated_names(names: tuple[str, ...]) -> FhirError | None:
    """A refusal for an object that repeats a name: RFC 8259 #4 "names within an object SHOULD be unique"."""
    if not names:
        return None
    listed = ", ".join(repr(name) for name in names)
    return FhirError(400, "structure", f"an object repeats the name(s) {listed}", rule=Rule.DUPLICATE_NAMES)


def check_type(resource: dict[str, Any], url_type: str) -> None:
    """400 unless resourceType is the URL's type (R4 http.html#create: POST [base]/[type])."""
    found = resource.get("resourceType")
    if found is None:
        raise FhirError(400, "required", "the body has no resourceType", rule=Rule.WRONG_TYPE)
    if found != url_type:
        message = f"resourceType {found!r} does not match the URL type {url_type!r}"
        raise FhirError(400, "invalid", message, rule=Rule.WRONG_TYPE)


def _object(pairs: list[tuple[str, Any]], repeated: list[str]) -> dict[str, Any]:
    """Build one object, noting the names it repeats (json keeps the last value)."""
    repeated.extend(name for name, count in Counter(name for name, _ in pairs).items() if count > 1)
    return dict(pairs)


def _no_constant(name: str) -> Any:
    """Refuse NaN and Infinity: json reads them, but they are not JSON (RFC 8259 #6) nor FHIR decimals."""
    raise ValueError(f"{name} is not a JSON number")


def _check_document(value: Any) -> None:
    """400 for a document nested deeper than MAX_DEPTH, or with strings that are not Unicode text."""
    for item, depth in fhirjson.walk(value):
        if depth > MAX_DEPTH:
            raise FhirError(400, "too-costly", f"the body nests deeper than {MAX_DEPTH} levels", rule=Rule.TOO_DEEP)
        if isinstance(item, str) and not _is_unicode(item):
            # A \ud800 escape decodes to a lone surrogate, which no UTF-8 text can hold (RFC 8259 #8.2).
            raise FhirError(400, "structure", "a string holds an unpaired surrogate escape", rule=Rule.UNPARSABLE)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
