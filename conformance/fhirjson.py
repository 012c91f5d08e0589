"""FHIR JSON values: decimals kept exact (``1.50`` stays ``1.50``), instants, tags, identifiers, JSON media types."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

JSON_TYPES = ("application/fhir+json", "application/json")


def loads(text: str | bytes, **hooks: Any) -> Any:
    """Parse JSON, reading every non-integer number as a Decimal (FHIR decimals keep their precision).

    `hooks` go to json.loads as they are (object_pairs_hook, parse_constant).
    """
    return json.loads(text, parse_float=Decimal, **hooks)


def dumps(value: Any) -> str:
    """Serialise what ``loads`` returns, writing Decimals exactly as they were read."""
    try:
        return orjson.dumps(value, default=_decimal).decode()
    except orjson.JSONEncodeError:  # what orjson refuses: integers beyond 64 bits, lone surrogates
        return _dumps(value)


def _decimal(value: Any) -> orjson.Fragment:
    """Write a Decimal as it was read (orjson takes a Fragment as JSON text to include verbatim)."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON")


def _dumps(value: Any) -> str:
    """Serialise as ``dumps`` does, in Python: slower, but it writes anything json.dumps writes."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def pretty(value: Any, indent: str = "") -> str:
    """Serialise like ``dumps``, a member or an item a line, indented two spaces a level (for people to read)."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        members = (f"{inner}{json.dumps(key)}: {pretty(item, inner)}" for key, item in value.items())
        return "{\n" + ",\n".join(members) + f"\n{indent}}}"
    if isinstance(value, list) and value:
        return "[\n" + ",\n".join(f"{inner}{pretty(item, inner)}" for item in value) + f"\n{indent}]"
    return dumps(value)


def walk(value: Any) -> Iterator[tuple[Any, int]]:
    """Yield every value of a JSON document, object names included, with its depth (the root is 1)."""
    # Iterative, so a document as deep as the parser allows cannot exhaust the Python stack.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        if isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            stack.extend((part, depth + 1) for part in item)


def map_leaves(value: Any, change: Callable[[Any], Any]) -> Any:
    """Copy a JSON value with `change` applied to every string, number, boolean and null in it."""
    if isinstance(value, dict):
        return {key: map_leaves(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [map_leaves(item, change) for item in value]
    return change(value)


def parse_instant(text: object) -> datetime | None:
    """Parse a FHIR instant (a date, a time and a timezone); None when it is not one."""
    if not isinstance(text, str) or "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def tags(resource: Any) -> list[dict[str, Any]]:
    """Return a resource's meta.tag codings (none when it has none)."""
    meta = resource.get("meta") if isinstance(resource, dict) else None
    found = meta.get("tag") if isinstance(meta, dict) else None
    return [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []


def holds_identifier(resource: dict[str, Any], identifier: dict[str, Any]) -> bool:
    """Tell whether a resource carries the identifier (its system and value)."""
    found = resource.get("identifier")
    pairs = [(i.get("system"), i.get("value")) for i in found if isinstance(i, dict)] if isinstance(found, list) else []
    return (identifier.get("system"), identifier.get("value")) in pairs


def is_json_media_type(content_type: str | None) -> bool:
    """Tell whether a Content-Type header names a JSON media type FHIR accepts."""
    return media_type(content_type) in JSON_TYPES


def media_type(content_type: str | None) -> str:
    """Return the bare, lower-cased media type of a Content-Type header ('' when absent)."""
    return parse_media_type(content_type or "")[0]


def parse_media_type(text: str) -> tuple[str, dict[str, str]]:
    """Split a media type (or range) from its parameters: names lower-cased, values unquoted (RFC 9110 #5.6.6)."""
    media, *params = text.split(";")
    pairs = [param.partition("=") for param in params]
    return media.strip().lower(), {name.strip().lower(): value.strip().strip('"') for name, _, value in pairs}
