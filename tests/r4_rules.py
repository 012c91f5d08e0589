"""R4 rules a generated resource must keep that neither validator checks: the self-tests' own judge
(R4 datatypes.html regexes, json.html, the dom-, ext-, txt-, per- and rng- invariants)."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ElementTree
from datetime import date
from decimal import Decimal
from typing import Any

from conformance.server.r4types import RESOURCE_TYPES
from conformance.strategies import schema
from conformance.strategies.valuesets import REQUIRED

ID = r"[A-Za-z0-9\-\.]{1,64}"
YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
MONTH_DAY = r"-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
PATTERNS = {
    "id": ID,
    "code": r"[^\s]+( [^\s]+)*",
    "date": YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?",
    "dateTime": YEAR + rf"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T{TIME}{ZONE})?)?)?",
    "instant": rf"{YEAR}{MONTH_DAY}T{TIME}{ZONE}",
    "time": TIME,
    "decimal": r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?",
    "oid": r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+",
    "uuid": r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "base64Binary": r"([0-9a-zA-Z+/=]{4})+",
    "uri": r"\S+",
    "url": r"\S+",
    "canonical": r"\S+",
}
# R4 references.html#literal: [base/]Type/id[/_history/version], or #id for a contained resource.
LITERAL = rf"((http|https)://([A-Za-z0-9\-\\\.\:\%\$]*/)+)?({'|'.join(sorted(RESOURCE_TYPES))})/{ID}(/_history/{ID})?"
BOUNDS = {"integer": (-(2**31), 2**31 - 1), "positiveInt": (1, 2**31 - 1), "unsignedInt": (0, 2**31 - 1)}
# The brief's rule for strings: no surrogates, controls, unassigned or private use; of whitespace only U+0020.
REFUSED = {"Cs", "Cc", "Cn", "Co", "Zl", "Zp"}
XHTML = "{http://www.w3.org/1999/xhtml}"
TAGS = {"div", "p", "b", "i", "em", "strong", "span", "code", "sub", "sup", "small", "br", "ul", "li", "table", "tr"}
TAGS |= {"td", "a", "h1", "h2", "h3", "h4", "h5", "h6"}


def _string(site: schema.Site) -> list[str]:
    text, kind = site.value, site.field.type
    where = f"{site.field.key} {text[:40]!r}"
    if not text.strip() or text != text.strip():
        return [f"{where}: empty, or whitespace at an end"]
    if any(unicodedata.category(c) in REFUSED or (c.isspace() and c != " ") for c in text):
        return [f"{where}: a refused character"]
    if kind in PATTERNS and not re.fullmatch(PATTERNS[kind], text):
        return [f"{where}: not a FHIR {kind}"]
    if kind in ("date", "dateTime", "instant") and len(text) >= 10:
        date.fromisoformat(text[:10])  # R4: a real calendar date; raises if not
    if site.field.key in REQUIRED and text not in REQUIRED[site.field.key]:
        return [f"{where}: outside its required binding"]
    return []


def _number(site: schema.Site) -> list[str]:
    value, kind = site.value, site.field.type
    if isinstance(value, Decimal):
        digits = len(value.as_tuple().digits)
        return [] if re.fullmatch(PATTERNS["decimal"], str(value)) and digits <= 18 else [f"{site.field.key} {value}"]
    low, high = BOUNDS.get(kind, (-(2**31), 2**31 - 1))
    return [] if isinstance(value, bool) or low <= value <= high else [f"{site.field.key}: {value} out of range"]


def _narrative(div: str) -> list[str]:
    """R4 txt-1, txt-2: basic XHTML in a div of the XHTML namespace, with some text."""
    root = ElementTree.fromstring(div)
    tags = {element.tag.removeprefix(XHTML) for element in root.iter()}
    if root.tag != f"{XHTML}div" or not tags <= TAGS or not "".join(root.itertext()).strip():
        return [f"narrative {div[:60]!r}"]
    return []


def _element(site: schema.Site) -> list[str]:
    value, kind = site.value, site.field.type
    if not value:
        return [f"{site.field.key}: empty (R4 ele-1)"]
    if kind == "Extension" and ("extension" in value) == any(k.startswith("value") for k in value):
        return [f"{site.field.key}: extensions and a value, or neither (R4 ext-1)"]
    if kind == "Narrative":
        return _narrative(value["div"])
    if kind == "Reference":
        return _reference(value)
    if kind == "Period" and {"start", "end"} <= value.keys() and value["start"][:4] > value["end"][:4]:
        return [f"{site.field.key}: ends before it starts (R4 per-1)"]
    if kind == "Range" and {"low", "high"} <= value.keys() and value["low"]["value"] > value["high"]["value"]:
        return [f"{site.field.key}: low above high (R4 rng-2)"]
    return _nulls(value)


def _nulls(value: dict[str, Any]) -> list[str]:
    """R4 json.html#primitive: null only pads an array against a non-null entry of its `_name` twin."""
    for name, items in value.items():
        twin = value.get(name[1:] if name.startswith("_") else f"_{name}")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if item is None and not (isinstance(twin, list) and len(twin) == len(items) and twin[index] is not None):
                return [f"{name}[{index}]: a null without a twin"]
    return []


def _reference(value: dict[str, Any]) -> list[str]:
    """R4 references.html: a reference is #id or a literal one, of the type Reference.type names if both are there."""
    reference, kind = value.get("reference"), value.get("type")
    if reference is None or reference.startswith("#"):
        return []
    match = re.fullmatch(LITERAL, reference)
    if not match or (kind is not None and match.group(4) != kind):
        return [f"reference {reference!r} (type {kind})"]
    return []


def _contained(resource: dict[str, Any], references: list[str]) -> list[str]:
    """R4 dom-2..5 and ref-1: contained resources are flat, plain, referred to, and every #id is one."""
    ids = [item["id"] for item in resource.get("contained", [])]
    found = [f"#{name} is not referred to (R4 dom-3)" for name in ids if f"#{name}" not in references]
    local = [ref for ref in references if ref.startswith("#")]
    found += [f"{ref} names no contained resource (R4 ref-1)" for ref in local if ref[1:] not in ids]
    for item in resource.get("contained", []):
        if "contained" in item or "meta" in item or "text" in item:
            found.append(f"#{item['id']} holds contained, meta or text (R4 dom-2, dom-4, dom-5)")
    return found


def problems(resource: dict[str, Any], sites: list[schema.Site]) -> list[str]:
    """Return the R4 rules the resource (walked as `sites`) breaks, or an empty list."""
    found: list[str] = []
    references = []
    for site in sites:
        value = site.value
        if isinstance(value, str):
            found += _string(site)
        elif isinstance(value, int | Decimal):
            found += _number(site)
        elif isinstance(value, dict | list):
            found += _element(site) if isinstance(value, dict) else ([] if value else [f"{site.field.key}: []"])
        if site.field.key == "Reference.reference":
            references.append(value)
    return found + _contained(resource, references)
