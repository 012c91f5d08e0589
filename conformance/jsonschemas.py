"""The JSON Schemas shipped in conformance/schemas/, and their first error as one line for the user."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """Return a validator for a schema shipped in the package (``profile``, ``waivers``, ``results``)."""
    text = resources.files("conformance").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def first_error(data: Any, name: str) -> jsonschema.ValidationError | None:
    """Return the most relevant error of data against a schema, or None when it is valid."""
    error: jsonschema.ValidationError | None = jsonschema.exceptions.best_match(validator(name).iter_errors(data))
    return error


def where(error: jsonschema.ValidationError) -> str:
    """Return where in the data an error is, as a dotted path ('(top level)' at the root)."""
    return ".".join(str(part) for part in error.absolute_path) or "(top level)"
