"""Strategies for the general-purpose R4 datatypes of the seven resources (R4 datatypes.html)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import strategies as st

from conformance.strategies import primitives as p
from conformance.strategies.elements import Either, Json, Member, Part, either, element, many, one, prim, prims
from conformance.strategies.valuesets import ADDRESS_USE, CONTACT_POINT_USE, MIME_TYPES, REQUIRED

ANY_TARGET = ("Patient", "Practitioner", "Organization", "Observation", "Condition", "Encounter", "Location", "Device")
UCUM = "http://unitsofmeasure.org"
MEASURES = (
    *(("kg", "kg"), ("mg/dL", "mg/dL"), ("mmol/L", "mmol/L"), ("%", "%"), ("beats/minute", "/min")),
    *(("°C", "Cel"), ("mm[Hg]", "mm[Hg]"), ("[in_i]", "[in_i]")),
)
TIMES = (("years", "a"), ("months", "mo"), ("weeks", "wk"), ("days", "d"), ("hours", "h"), ("minutes", "min"))
LENGTHS = (("m", "m"), ("cm", "cm"), ("km", "km"), ("miles", "[mi_i]"))
KNOWN_CODINGS = (
    ("http://loinc.org", "29463-7", "Body weight"),
    ("http://loinc.org", "8867-4", "Heart rate"),
    ("http://snomed.info/sct", "38341003", "Hypertensive disorder"),
    ("http://hl7.org/fhir/sid/icd-10", "E11.9", "Type 2 diabetes mellitus without complications"),
    ("http://www.nlm.nih.gov/research/umls/rxnorm", "308182", "Amoxicillin 250 MG Oral Capsule"),
    ("urn:oid:1.2.36.146.595.217.0.1", "ABC-123", "Überweisung für 田中さん"),
)


def required_code(name: str, key: str) -> Member:
    """Draw a code member from the R4 required binding of element `key`."""
    return prim(name, p.bound(REQUIRED[key]))


_free_codings = element(
    optional=[
        *(prim("system", p.uris), prim("version", p.strings), prim("code", p.codes)),
        *(prim("display", p.strings), prim("userSelected", p.booleans)),
    ]
)
codings = st.one_of(
    _free_codings, st.sampled_from(KNOWN_CODINGS).map(lambda c: {"system": c[0], "code": c[1], "display": c[2]})
)
codeable_concepts = element(optional=[many("coding", codings, 2), prim("text", p.strings)])


@cache
def coding_of(system: str, codes: Sequence[str]) -> st.SearchStrategy[Json]:
    """Draw a Coding of a code system, from the codes given."""
    return element([prim("system", st.just(system)), prim("code", p.bound(codes))], [prim("display", p.strings)])


@cache
def concept(system: str, codes: Sequence[str]) -> st.SearchStrategy[Json]:
    """Draw a CodeableConcept carrying a coding of `system` (for bound concepts)."""
    return element([many("coding", coding_of(system, codes), 1)], [prim("text", p.strings)])


def _dated(pair: tuple[tuple[int, int], Json]) -> Json:
    """Write a period's bounds, the end at least two years after the start (R4 per-1: start <= end)."""
    numbers, period = pair
    (first, first_day), (last, last_day) = sorted(map(p.day_of, numbers))
    # Two years apart keeps start <= end true whatever the precisions and the timezones (±14:00).
    first, last = (first, max(last, first + 2)) if first <= 9997 else (min(first, last - 2), last)
    days = {"start": (first, first_day), "end": (last, last_day)}
    return {key: p.moment_text(*days[key], value) if key in days else value for key, value in period.items()}


_bounds = element(optional=[prim("start", p.MOMENTS), prim("end", p.MOMENTS)])
periods = st.tuples(st.tuples(p.DAY_NUMBERS, p.DAY_NUMBERS), _bounds).map(_dated)


class LiteralReference(str):
    """A literal reference (``Patient/abc``): valid() keeps it as a plain string only when asked to."""


def _literal(target: str) -> st.SearchStrategy[LiteralReference]:
    """Draw a literal reference: relative, versioned or absolute (R4 references.html#literal)."""
    relative = p.ids.map(f"{target}/{{}}".format)
    versioned = st.builds("{}/_history/{}".format, relative, p.positive_ints)
    absolute = relative.map("https://other.example.org/fhir/{}".format)
    return st.one_of(relative, versioned, absolute).map(LiteralReference)


def plain_references(value: Any, literal: bool) -> Any:
    """Return a copy of a JSON value with its literal references kept as strings, or made logical ones
    (an identifier whose value is the reference: a server may refuse references it cannot resolve)."""
    if isinstance(value, list):
        return [plain_references(item, literal) for item in value]
    if not isinstance(value, dict):
        return str(value) if isinstance(value, LiteralReference) else value
    copied = {key: plain_references(item, literal) for key, item in value.items()}
    if isinstance(value.get("reference"), LiteralReference) and not literal:
        copied.setdefault("identifier", {"value": copied.pop("reference")})
        copied.pop("reference", None)
    return copied


def _identifier(assigner: Sequence[Part]) -> st.SearchStrategy[Json]:
    kinds = concept("http://terminology.hl7.org/CodeSystem/v2-0203", ("MR", "SS", "DL", "PPN", "TAX"))
    parts = (required_code("use", "Identifier.use"), one("type", kinds), prim("system", p.uris))
    return element(optional=[*parts, prim("value", p.strings), one("period", periods), *assigner])


shallow_identifiers = _identifier(())


@cache
def _reference(target: str) -> st.SearchStrategy[Json]:
    ways = either(
        one("identifier", shallow_identifiers), prim("display", p.strings), prim("reference", _literal(target))
    )
    return element([ways], [prim("type", st.just(target)), prim("display", p.strings)])


def reference(*targets: str) -> st.SearchStrategy[Json]:
    """Draw a Reference to one of `targets` (any type when none): by identifier, by display, or literal."""
    return st.sampled_from(targets or ANY_TARGET).flatmap(_reference)


identifiers = _identifier([one("assigner", reference("Organization"))])


def _units(units: Sequence[tuple[str, str]]) -> Either:
    """Draw a UCUM unit: system and code, sometimes its human form (R4 qty-3: a code needs a system)."""
    coded = st.sampled_from(units).map(lambda unit: {"system": UCUM, "code": unit[1], "unit": unit[0]})
    return either(coded, coded.map(lambda unit: {k: v for k, v in unit.items() if k != "unit"}))


def _quantity(
    values: st.SearchStrategy[object], units: Sequence[tuple[str, str]], comparator: str | None
) -> st.SearchStrategy[Json]:
    """Draw a quantity's members; the coded kinds (Age, Duration, ...) always carry their code."""
    optional = [prim("value", values)] + ([required_code("comparator", comparator)] if comparator else [])
    return element([_units(units)], optional)


quantities = st.one_of(
    _quantity(p.decimals, MEASURES, "Quantity.comparator"),
    element(optional=[prim("value", p.decimals), required_code("comparator", "Quantity.comparator")]),
    element([prim("unit", p.strings)], [prim("value", p.decimals)]),
)
simple_quantities = _quantity(p.decimals, MEASURES, None)  # R4 sqty-1: no comparator
ages = _quantity(p.positive_decimals, TIMES, "Age.comparator")  # R4 age-1: positive, UCUM time
durations = _quantity(p.positive_decimals, (*TIMES, ("seconds", "s")), "Duration.comparator")
counts = _quantity(st.integers(0, 10**6).map(Decimal), (("count", "1"),), "Count.comparator")
distances = _quantity(p.decimals, LENGTHS, "Distance.comparator")
moneys = element(optional=[prim("value", p.decimals), required_code("currency", "Money.currency")])


def _ordered(bounds: Json) -> Json:
    """Put a range's low below its high, both in the low's unit (R4 rng-2)."""
    if "low" in bounds and "high" in bounds:
        low, high = sorted((bounds["low"]["value"], bounds["high"]["value"]))
        unit = {key: value for key, value in bounds["low"].items() if key != "value"}
        bounds = {**bounds, "low": {**unit, "value": low}, "high": {**unit, "value": high}}
    return bounds


@cache
def ranges(units: Sequence[tuple[str, str]] = MEASURES) -> st.SearchStrategy[Json]:
    """Draw a Range whose low is not above its high (R4 rng-2), both in one unit."""
    bound = st.builds(
        lambda value, unit: {"value": value, "system": UCUM, "code": unit[1]}, p.decimals, st.sampled_from(units)
    )
    return element(optional=[one("low", bound), one("high", bound)]).map(_ordered)


ratios = element([one("numerator", quantities), one("denominator", simple_quantities)])  # R4 rat-1: both
notes = element(
    [prim("text", p.markdown)],
    [
        either(
            one("authorReference", reference("Practitioner", "Patient", "Organization")),
            prim("authorString", p.strings),
        ),
        prim("time", p.date_times),
    ],
)


def _content(data: bytes, content_type: str, sized: bool, hashed: bool) -> Json:
    """Write attachment data with its contentType (R4 att-1), and sometimes its size and SHA-1 hash."""
    content: Json = {"contentType": content_type, "data": base64.b64encode(data).decode("ascii")}
    if sized:
        content["size"] = len(data)
    if hashed:
        content["hash"] = base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")
    return content


_described = [required_code("language", "Attachment.language"), prim("title", p.strings)]
_described += [prim("url", p.urls), prim("creation", p.date_times)]
_data = st.builds(_content, st.binary(min_size=1, max_size=48), p.bound(MIME_TYPES), p.booleans, p.booleans)
attachments = st.one_of(
    element(optional=[required_code("contentType", "Attachment.contentType"), *_described]),
    element([_data], _described),
)
human_names = element(
    optional=[
        *(required_code("use", "HumanName.use"), prim("text", p.strings), prim("family", p.strings)),
        *(prims("given", p.strings), prims("prefix", p.strings), prims("suffix", p.strings), one("period", periods)),
    ]
)


@cache
def addresses(uses: Sequence[str] = ADDRESS_USE) -> st.SearchStrategy[Json]:
    """Draw an Address with a use from `uses`."""
    place = [prim(name, p.strings) for name in ("city", "district", "state", "postalCode", "country")]
    kind = (prim("use", p.bound(uses)), required_code("type", "Address.type"), prim("text", p.strings))
    return element(optional=[*kind, prims("line", p.strings), *place, one("period", periods)])


@cache
def contact_points(uses: Sequence[str] = CONTACT_POINT_USE) -> st.SearchStrategy[Json]:
    """Draw a ContactPoint with a use from `uses`; it always names its system (R4 cpt-2)."""
    optional = [prim("value", p.strings), prim("use", p.bound(uses)), prim("rank", p.positive_ints)]
    return element([required_code("system", "ContactPoint.system")], [*optional, one("period", periods)])


def _points(dimensions: int, points: list[str]) -> Json:
    """Write sample points, decimals or E/L/U, space separated, a whole number of dimensions (R4 SampledData)."""
    return {"dimensions": dimensions, "data": " ".join(points[: len(points) // dimensions * dimensions])}


def _limited(data: Json) -> Json:
    """Put the lower limit below the upper one."""
    if "lowerLimit" in data and "upperLimit" in data:
        data["lowerLimit"], data["upperLimit"] = sorted((data["lowerLimit"], data["upperLimit"]))
    return data


_samples = st.builds(
    _points,
    st.integers(1, 3),
    st.lists(st.one_of(p.decimals.map(str), st.sampled_from("ELU")), min_size=3, max_size=9),
)
sampled_data = element(
    [one("origin", simple_quantities), prim("period", p.positive_decimals), _samples],
    [prim("factor", p.decimals), prim("lowerLimit", p.decimals), prim("upperLimit", p.decimals)],
).map(_limited)
