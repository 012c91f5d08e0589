"""The search parameters the server supports: what it indexes and how it reads a query."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from conformance.server.fhirhttp import FhirError
from conformance.server.storage import Criterion, IndexEntry, Match

# Every type: R4 search.html#all (_id, _tag) and the common `identifier` token.
COMMON_PARAMS = {"_id": "token", "identifier": "token", "_tag": "token"}
# `name` (string): R4 patient.html#search and practitioner.html#search match any part of a
# HumanName; organization.html#search matches the name or an alias.
NAME_PARTS = {
    "Patient": ("text", "family", "given", "prefix", "suffix"),
    "Practitioner": ("text", "family", "given", "prefix", "suffix"),
}
ORGANIZATION_NAMES = ("name", "alias")


def supported_params(rtype: str) -> dict[str, str]:
    """Name -> type of the search parameters of `rtype`, as the CapabilityStatement lists them."""
    if rtype in NAME_PARTS or rtype == "Organization":
        return {**COMMON_PARAMS, "name": "string"}
    return dict(COMMON_PARAMS)


def index_entries(resource: dict[str, Any]) -> list[IndexEntry]:
    """Everything of `resource` the supported parameters can find."""
    entries = [IndexEntry("_id", "", str(resource["id"]))]
    for ident in _dicts(resource.get("identifier")):
        entries.append(IndexEntry("identifier", _text(ident.get("system")), _text(ident.get("value"))))
    meta = resource.get("meta")
    for tag in _dicts(meta.get("tag") if isinstance(meta, dict) else None):
        entries.append(IndexEntry("_tag", _text(tag.get("system")), _text(tag.get("code"))))
    entries.extend(IndexEntry("name", "", _fold(name)) for name in _names(resource))
    return entries


def parse_query(rtype: str, items: Iterable[tuple[str, str]]) -> list[Criterion]:
    """Read the supported parameters of a query; repeats AND, commas OR (R4 search.html#combining)."""
    supported = supported_params(rtype)
    criteria = []
    for key, raw in items:
        name, _, modifier = key.partition(":")
        if name not in supported:
            continue  # R4 search.html#errors: unknown parameters are ignored (lenient handling).
        if modifier:
            # R4 search.html#modifiers: a server rejects a modifier it does not support.
            raise FhirError(400, "not-supported", f"search modifier :{modifier} is not supported")
        alternatives = tuple(_alternative(supported[name], part) for part in _split(raw, ",") if part)
        if alternatives:  # R4 search.html#errors: an empty parameter value is ignored.
            criteria.append(Criterion(name, alternatives))
    return criteria


def _alternative(kind: str, text: str) -> Match:
    """One value: a token (R4 search.html#token) or a string matched from its start (#string)."""
    if kind == "string":
        return Match(value=_fold(_unescape(text)), prefix=True)
    parts = [_unescape(part) for part in _split(text, "|")]
    if len(parts) == 1:
        return Match(value=parts[0])  # [code]: any system
    system, code = parts[0], "|".join(parts[1:])
    return Match(system=system, value=code or None)  # system|code, |code, system|


def _split(text: str, separator: str) -> list[str]:
    """Split on unescaped `separator`s, keeping escapes (R4 search.html#escaping)."""
    parts, current, escaped = [], "", False
    for char in text:
        if char == separator and not escaped:
            parts.append(current)
            current = ""
            continue
        current += char
        escaped = char == "\\" and not escaped
    return [*parts, current]


def _unescape(text: str) -> str:
    """Drop the backslash of each escape: \\, \\| \\$ \\\\."""
    out, escaped = "", False
    for char in text:
        if char == "\\" and not escaped:
            escaped = True
            continue
        out, escaped = out + char, False
    return out


def _names(resource: dict[str, Any]) -> list[str]:
    rtype = resource.get("resourceType")
    if rtype == "Organization":
        names = [resource.get("name"), *_list(resource.get("alias"))]
        return [name for name in names if isinstance(name, str)]
    found: list[str] = []
    for human in _dicts(resource.get("name")) if rtype in NAME_PARTS else []:
        for part in NAME_PARTS[str(rtype)]:
            found.extend(value for value in _list(human.get(part)) if isinstance(value, str))
    return found


def _fold(text: str) -> str:
    """Case- and accent-insensitive form (R4 search.html#string)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in _list(value) if isinstance(item, dict)]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
