"""How elements are put together in FHIR JSON: objects of members, primitives with their `_name`
form, element ids and simple extensions (R4 json.html, element.html, extensibility.html).

Hypothesis spends most of its time per draw, so an object is drawn by one composite that picks
its members, rather than by a strategy per member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from hypothesis import strategies as st

from conformance.strategies import primitives as p

Json = dict[str, Any]
ROLLS = 12  # one object in ROLLS gets extras, one in ROLLS a primitive's `_name`


@dataclass(frozen=True)
class Member:
    """One member of an object: its name and the strategy of its value."""

    name: str
    values: st.SearchStrategy[Any]
    primitive: bool = False


@dataclass(frozen=True)
class Either:
    """Mutually exclusive members: a choice element value[x], or an invariant's alternatives."""

    parts: tuple[Part, ...]


# A part of an object: a member, exclusive members, or a strategy drawing several members at once.
Part: TypeAlias = "Member | Either | st.SearchStrategy[Json]"
# Wide numbers for indexes, built once (building strategies while drawing costs more than the draws):
# hypothesis favours some numbers of a narrow range; taken modulo the count, a wide one spreads evenly.
SPREAD = 16
_WIDE = tuple(st.integers(0, SPREAD * count - 1) for count in range(1, 64))


def one(name: str, values: st.SearchStrategy[Any]) -> Member:
    """A member holding one complex value."""
    return Member(name, values)


def many(name: str, values: st.SearchStrategy[Any], most: int = 2) -> Member:
    """A member holding a non-empty array (R4 json.html: arrays are never empty)."""
    return Member(name, st.lists(values, min_size=1, max_size=most))


def prim(name: str, values: st.SearchStrategy[Any]) -> Member:
    """A member holding a primitive value; the object may give it a `_name` (R4 json.html#primitive)."""
    return Member(name, values, primitive=True)


def often(part: Part, times: int = 3) -> list[Part]:
    """List a part `times` times among an object's optional parts, so that it is picked more often."""
    return [part] * times


def either(*parts: Part) -> Either:
    """Exactly one of several parts."""
    return Either(parts)


# Extension.value[x] of every primitive type (R4 extensibility.html#Extension).
PRIMITIVE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "Base64Binary": p.base64_binaries,
    "Boolean": p.booleans,
    "Canonical": p.canonicals,
    "Code": p.codes,
    "Date": p.dates,
    "DateTime": p.date_times,
    "Decimal": p.decimals,
    "Id": p.ids,
    "Instant": p.instants,
    "Integer": p.integers,
    "Markdown": p.markdown,
    "Oid": p.oids,
    "PositiveInt": p.positive_ints,
    "String": p.long_strings,
    "Time": p.times,
    "UnsignedInt": p.unsigned_ints,
    "Uri": p.uris,
    "Url": p.urls,
    "Uuid": p.uuids,
}


def index(draw: st.DrawFn, count: int) -> int:
    """Draw an index below `count`, every one about as likely (nothing to draw for one)."""
    if count == 1:
        return 0
    wide = _WIDE[count - 1] if count <= len(_WIDE) else st.integers(0, SPREAD * count - 1)
    return int(draw(wide)) % count


def _draw_part(draw: st.DrawFn, part: Part, whole: Json, present: list[str]) -> None:
    """Draw a part into `whole`, noting the primitives it sets in `present`."""
    if isinstance(part, Member):
        whole[part.name] = draw(part.values)
        if part.primitive:
            present.append(part.name)
    elif isinstance(part, Either):
        _draw_part(draw, part.parts[index(draw, len(part.parts))], whole, present)
    else:
        whole.update(draw(part))


def obj(
    required: Sequence[Part] = (),
    optional: Sequence[Part] = (),
    most: int = 3,
    extras: st.SearchStrategy[Json] | None = None,
) -> st.SearchStrategy[Json]:
    """Draw an object of every required part and up to `most` optional ones, never empty (R4 ele-1).

    About one object in twelve also gets `extras` (an element's id and extensions), and one in
    twelve gives one of its primitives, or one it lacks, an id or extensions of its own.
    """
    least, most = (0 if required else 1), min(most, len(optional))
    # One draw sizes the optional parts and rolls for the extras; one index() per part picks it.
    sizes = st.integers(0, (most - least + 1) * ROLLS - 1)
    standalone = list(dict.fromkeys(m.name for m in optional if isinstance(m, Member) and m.primitive))

    @st.composite
    def draw_object(draw: st.DrawFn) -> Json:
        roll, size = divmod(draw(sizes), most - least + 1)  # the size varies fastest: no bias to 0
        whole: Json = {}
        present: list[str] = []
        chosen = sorted({index(draw, len(optional)) for _ in range(least + size)})
        for part in (*required, *dict.fromkeys(optional[i] for i in chosen)):  # a part listed often: once
            _draw_part(draw, part, whole, present)
        if extras is not None and roll == 1:
            whole.update(draw(extras))
        names = present + [name for name in standalone if name not in whole]
        if names and roll == 2:
            # R4 json.html#primitive: `_name` beside the value, or alone when the value is absent.
            whole[f"_{names[index(draw, len(names))]}"] = draw(primitive_elements)
        return whole

    return draw_object()


@st.composite
def prims(draw: st.DrawFn, name: str, values: st.SearchStrategy[Any], most: int = 2) -> Json:
    """Draw a repeating primitive member with, sometimes, its aligned `_name` array."""
    items = draw(st.lists(values, min_size=1, max_size=most))
    if index(draw, 6):  # five times in six, no `_name`
        return {name: items}
    # R4 json.html#primitive: the arrays line up, null pads the one without an entry, and never both.
    at = index(draw, len(items))
    elements: list[Json | None] = [None] * len(items)
    elements[at] = draw(primitive_elements)
    if draw(st.booleans()):
        items[at] = None
    return {name: items, f"_{name}": elements}


# R4 extensibility.html: an extension's url is absolute, but within a complex extension its parts may be
# named by a simple string.
EXTENSION_URLS = p.segments.map("https://example.org/fhir/StructureDefinition/{}".format)
PART_NAMES = st.sampled_from(("part", "detail", "reason", "überschrift"))


def _keyed(name: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Json]:
    return values.map(lambda value: {name: value})


def _leaf_extension(url: st.SearchStrategy[str]) -> st.SearchStrategy[Json]:
    values = st.one_of([_keyed(f"value{name}", strategy) for name, strategy in PRIMITIVE_VALUES.items()])
    return st.builds(lambda address, value: {"url": address, **value}, url, values)


simple_extensions = _leaf_extension(EXTENSION_URLS)
extension_parts = _leaf_extension(PART_NAMES)
# An element's id and extensions (R4 element.html); beside a primitive, its `_name` object (json.html).
primitive_elements = obj(optional=[one("id", p.tokens), many("extension", simple_extensions)])


def element(required: Sequence[Part] = (), optional: Sequence[Part] = (), most: int = 2) -> st.SearchStrategy[Json]:
    """Draw an element object: its parts and, sometimes, an id and simple extensions (R4 element.html)."""
    return obj(required, optional, most, extras=primitive_elements)
