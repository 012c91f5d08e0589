"""Invalid resources: a valid one broken by exactly one mutation, labelled with the R4 rule it breaks.

A mutation never touches the run's marker tag or identifier, nor replaces what holds them, so a
server that wrongly accepts the resource still stores one the run can find and delete.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from hypothesis import assume
from hypothesis import strategies as st

from conformance.resources import MARKER_SYSTEM, Marker
from conformance.strategies.elements import Json, index
from conformance.strategies.extensions import datatype
from conformance.strategies.resource import valid
from conformance.strategies.schema import Site, fields, sites
from conformance.strategies.valuesets import REQUIRED

Path = tuple[str | int, ...]
# Names no R4 type defines (a near miss of a choice, a capitalised element, a British spelling).
UNKNOWN = ("valueStrng", "Gender", "colour", "unknownElement")
# Outside every value set here: no media type (no slash), no BCP 47 tag (underscore), no currency.
BOGUS_CODES = ("banana_split", "not_a_code", "FINAL_")
# R4 datatypes.html: the regexes of date, dateTime, instant and time refuse each of these.
MALFORMED = {
    "date": ("2020-13-01", "2020-02-30", "20200101", "2020/01/01", "0000-01-01", "2020-01-01T10:00:00Z"),
    "dateTime": ("2020-01-01T10:00:00", "2020-01-01T10:00Z", "2020-01-01T24:00:00Z", "2020-01-01 10:00:00Z"),
    "instant": ("2020-01-01", "2020-01-01T10:00:00", "2020-01-01T10:00:00+15:00", "2020-02-30T10:00:00Z"),
    "time": ("25:00:00", "10:00", "10:00:00Z", "10:60:00"),
}


class Invalid(NamedTuple):
    """An invalid resource, the rule it breaks, where, and the definition of the element broken there."""

    resource: Json
    rule: str
    path: Path  # e.g. ("name", 0, "family")
    element: str  # as Owner.name, e.g. HumanName.family

    @property
    def where(self) -> str:
        """Return the path as ``Patient.name[0].family``."""
        steps = (f"[{step}]" if isinstance(step, int) else f".{step}" for step in self.path)
        return str(self.resource["resourceType"]) + "".join(steps)


def _wrong_types(value: Any) -> tuple[Any, ...]:
    """Return values of other JSON types standing in for `value` (R4 json.html: an element has one)."""
    if isinstance(value, bool):
        return (str(value).lower(), int(value), [value])
    if isinstance(value, int | Decimal):
        return (str(value), [value], {"value": value})
    if isinstance(value, str):
        return (42, True, [value], {"value": value})
    if isinstance(value, list):
        return ("text", 42 if value[0] is None else value[0])
    return ("text", 42, [value])


def _empties(value: Any) -> tuple[Any, ...]:
    """Return the empty values of `value`'s JSON type (R4 json.html: no empty strings, objects, arrays)."""
    if isinstance(value, str):
        return ("", "   ")
    return ({},) if isinstance(value, dict) else ([],) if isinstance(value, list) else ()


def _holder(resource: Json, path: Path) -> Any:
    """Return the object or array at `path`."""
    holder: Any = resource
    for step in path:
        holder = holder[step]
    return holder


def _replace(values: Callable[[Site], Sequence[Any]]) -> Callable[[st.DrawFn, Json, Site], None]:
    """Make a mutation that puts one of `values(site)` in the site's place."""

    def apply(draw: st.DrawFn, resource: Json, site: Site) -> None:
        choices = values(site)
        _holder(resource, site.path[:-1])[site.path[-1]] = choices[index(draw, len(choices))]

    return apply


def _add_unknown(draw: st.DrawFn, resource: Json, site: Site) -> None:
    _holder(resource, site.path)[UNKNOWN[index(draw, len(UNKNOWN))]] = "x"


def _variants(site: Site) -> list[Any]:
    """Return the other types of the site's choice element (R4 formats.html#choice)."""
    return [f for f in fields(site.field.owner).values() if f.choice == site.field.choice and f != site.field]


def _add_variant(draw: st.DrawFn, resource: Json, site: Site) -> None:
    variants = _variants(site)
    other = variants[index(draw, len(variants))]
    _holder(resource, site.path[:-1])[other.name] = draw(datatype(other.type))


def _remove(draw: st.DrawFn, resource: Json, site: Site) -> None:
    holder = _holder(resource, site.path[:-1])
    del holder[site.path[-1]]
    holder.pop(f"_{site.path[-1]}", None)  # R4 json.html#primitive: its id and extensions go with it


def _member(site: Site) -> bool:
    return not site.item and bool(site.path)


@dataclass(frozen=True)
class Mutation:
    """Where a mutation applies, and how it breaks the resource there."""

    applies: Callable[[Site], bool]
    apply: Callable[[st.DrawFn, Json, Site], None]


MUTATIONS = {
    "wrong-json-type": Mutation(lambda s: bool(s.path), _replace(lambda s: _wrong_types(s.value))),
    "unknown-element": Mutation(lambda s: isinstance(s.value, dict), _add_unknown),
    # R4 json.html: null only pads an array of primitives beside its `_name` array.
    "null-value": Mutation(_member, _replace(lambda s: (None,))),
    "empty-value": Mutation(lambda s: bool(s.path and _empties(s.value)), _replace(lambda s: _empties(s.value))),
    "code-outside-binding": Mutation(
        lambda s: s.field.key in REQUIRED and isinstance(s.value, str), _replace(lambda s: BOGUS_CODES)
    ),
    "malformed-date": Mutation(
        lambda s: s.field.type in MALFORMED and isinstance(s.value, str), _replace(lambda s: MALFORMED[s.field.type])
    ),
    "second-choice-variant": Mutation(lambda s: _member(s) and s.field.choice is not None, _add_variant),
    "missing-required-element": Mutation(lambda s: _member(s) and s.field.required, _remove),
}
RULES = tuple(MUTATIONS)
# What holds the marker: it may gain an unknown element beside it (harmless), but is never replaced.
HOLDERS: frozenset[Path] = frozenset({(), ("meta",), ("meta", "tag"), ("identifier",)})


def _marks(resource: Json, marker: Marker) -> list[Path]:
    """Return the paths of the marker tag and identifier."""
    tags = [("meta", "tag", i) for i, tag in enumerate(resource["meta"]["tag"]) if tag == marker.tag]
    own = [("identifier", i) for i, item in enumerate(resource["identifier"]) if item.get("system") == MARKER_SYSTEM]
    return [*tags, *own]


def _usable(site: Site, rule: str, marks: list[Path]) -> bool:
    """Tell whether a mutation of the rule at the site leaves the marker whole."""
    if any(site.path[: len(mark)] == mark for mark in marks):
        return False
    return MUTATIONS[rule].applies(site) and (rule == "unknown-element" or site.path not in HOLDERS)


@st.composite
def broken(draw: st.DrawFn, resource_type: str, marker: Marker, rules: Sequence[str] = RULES) -> Invalid:
    """Draw a valid resource broken by one mutation of one of `rules`, the marker left whole."""
    resource = draw(valid(resource_type, marker))
    marks, found = _marks(resource, marker), list(sites(resource))
    options = {rule: [s for s in found if _usable(s, rule, marks)] for rule in rules}
    applicable = [rule for rule in rules if options[rule]]
    assume(applicable)  # e.g. no code of a required binding in this resource
    rule = applicable[index(draw, len(applicable))]
    site = options[rule][index(draw, len(options[rule]))]
    mutated = copy.deepcopy(resource)
    MUTATIONS[rule].apply(draw, mutated, site)
    return Invalid(mutated, rule, site.path, site.field.key)
