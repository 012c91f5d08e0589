"""The element definitions of the fhir.resources R4B models, and a walk of a resource that names
the definition of every value in it: what the mutations and the reach measure need to know."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

# Added by R4B (R4B diff.html: the CodeableReference and RatioRange types): not R4 elements.
R4B_ADDED = frozenset(("Extension.valueCodeableReference", "Extension.valueRatioRange"))
PRIMITIVES = {"Boolean": "boolean", "EncodedBytes": "base64Binary", "UuidVersion": "uuid", "Xhtml": "xhtml"}


@dataclass(frozen=True)
class Field:
    """An element of a model: its owner class, JSON name, FHIR type and cardinality."""

    owner: str
    name: str
    type: str  # a model class name (HumanName, PatientContact, Resource) or a primitive (string, dateTime)
    repeats: bool
    required: bool
    choice: str | None  # the choice element's name (``value`` for value[x]), if it is one
    codes: tuple[str, ...] = ()  # the codes the model lists for a code ("+": the list goes on)

    @property
    def key(self) -> str:
        """Return the element's name as ``Owner.name`` (a resource's own as its type)."""
        return f"{self.owner}.{self.name}" if self.owner else self.name

    @property
    def primitive(self) -> bool:
        """Tell whether values of the element are JSON primitives."""
        return self.type[:1].islower()


@dataclass(frozen=True)
class Site:
    """A value in a resource: where it is, the element it belongs to, and whether it is an array item."""

    path: tuple[str | int, ...]
    field: Field
    value: Any
    item: bool


def _type_name(annotation: Any) -> str:
    """Name the FHIR type of a model field's annotation."""
    if annotation is bool:
        return "boolean"
    metadata = getattr(annotation, "__metadata__", ())
    if metadata:
        name = type(metadata[0]).__name__
        return PRIMITIVES.get(name, name[:1].lower() + name[1:])
    if isinstance(annotation, type):
        return annotation.__name__.removesuffix("Type")
    return next(_type_name(arg) for arg in typing.get_args(annotation) if arg is not type(None))


def _field(owner: str, info: Any) -> Field:
    extra = info.json_schema_extra or {}
    required = info.is_required() or bool(extra.get("element_required") or extra.get("one_of_many_required"))
    kind, repeats, codes = _type_name(info.annotation), "List[" in str(info.annotation), extra.get("enum_values", ())
    return Field(owner, info.alias, kind, repeats, required, extra.get("one_of_many"), tuple(codes))


@cache
def fields(type_name: str) -> dict[str, Field]:
    """Return a model's R4 elements by JSON name (not the `_name` forms, nor what R4B added)."""
    model = get_fhir_model_class(type_name)
    found = (_field(type_name, info) for name, info in model.model_fields.items() if name != "fhir_comments")
    return {f.name: f for f in found if not f.name.startswith("_") and f.key not in R4B_ADDED}


def _children(value: Any, type_name: str, path: tuple[str | int, ...]) -> Iterator[Site]:
    """Walk the members of an object of a model type, `_name` objects as the Element they are."""
    if type_name == "Resource":
        type_name = value["resourceType"]
    known = fields(type_name)
    for name, member in value.items():
        if name == "resourceType":
            continue
        # R4 json.html#primitive: `_name` holds the Element (id, extensions) of primitive `name`.
        field = (
            known[name]
            if not name.startswith("_")
            else Field(type_name, name, "Element", known[name[1:]].repeats, False, None)
        )
        yield from walk(member, field, (*path, name))


def walk(value: Any, field: Field, path: tuple[str | int, ...] = ()) -> Iterator[Site]:
    """Yield a site for a value, for each item of an array, and for everything inside them."""
    yield Site(path, field, value, item=False)
    items = enumerate(value) if isinstance(value, list) else ()
    for index, item in items:
        if item is not None:
            yield Site((*path, index), field, item, item=True)
            if isinstance(item, dict):
                yield from _children(item, field.type, (*path, index))
    if isinstance(value, dict):
        yield from _children(value, field.type, path)


def sites(resource: dict[str, Any]) -> Iterator[Site]:
    """Yield every value in a resource with the element it belongs to (the resource itself first)."""
    root = Field("", resource["resourceType"], resource["resourceType"], False, True, None)
    yield from walk(resource, root)
