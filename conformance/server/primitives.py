"""The JSON types of primitive values, which the fhir.resources models coerce instead of checking.

R4 json.html#primitive: boolean values are JSON true or false, integers and decimals are JSON
numbers, and every other primitive (string, code, date, dateTime, instant, uri...) is a JSON string;
the models would read "true" as a boolean and "1.5" as a decimal.
"""

from __future__ import annotations

import typing
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import BaseModel

# Exact Python types of the models' primitive fields -> the JSON type R4 writes them as.
KINDS: dict[Any, str] = {bool: "boolean", int: "integer", Decimal: "number"}
KINDS.update(dict.fromkeys((str, bytes, date, datetime, time), "string"))
# What fhirjson reads each JSON type as.
ACCEPTED: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, Decimal),
    "string": (str,),
}


def wrong_type(raw: dict[str, Any], model: BaseModel, path: str) -> tuple[str, str] | None:
    """Find the first primitive of `raw` (the JSON `model` was validated from) of the wrong JSON type: (where, why)."""
    fields = _fields(type(model))
    for key, value in raw.items():
        name = fields.get(key)
        if name is None:
            continue
        kind = _kind(type(model), name)
        models = getattr(model, name)
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            where = f"{path}.{key}" + (f"[{index}]" if isinstance(value, list) else "")
            problem = _item_problem(item, kind, _nth(models, index), where)
            if problem:
                return problem
    return None


def _item_problem(item: Any, kind: str | None, model: Any, where: str) -> tuple[str, str] | None:
    """Check one value: a primitive against its JSON type, an element (kind None) inside."""
    if item is None:
        return None  # json.html: null pads the arrays of primitives that have extensions
    if kind is None:
        return wrong_type(item, model, where) if isinstance(item, dict) and isinstance(model, BaseModel) else None
    return None if _is(kind, item) else (where, f"{item!r} is not a JSON {kind}")


def _is(kind: str, value: Any) -> bool:
    # json reads true as a bool, which Python also counts as an int.
    return isinstance(value, ACCEPTED[kind]) and isinstance(value, bool) == (kind == "boolean")


def _nth(models: Any, index: int) -> Any:
    return models[index] if isinstance(models, list) and index < len(models) else models


@cache
def _fields(cls: type[BaseModel]) -> dict[str, str]:
    """JSON name -> field name of a model class."""
    return {field.alias or name: name for name, field in cls.model_fields.items()}


@cache
def _kind(cls: type[BaseModel], name: str) -> str | None:
    """The JSON type of a primitive field (a repeating one too), or None for an element."""
    pending = [cls.model_fields[name].annotation]
    while pending:
        annotation = pending.pop()
        if annotation in KINDS:
            return KINDS[annotation]
        pending.extend(typing.get_args(annotation))
    return None
