"""Reading a request body into a resource, and (when the server claims it) validating it."""

from __future__ import annotations

from typing import Any

from conformance import fhirjson
from conformance.server.fhirhttp import FhirError


def parse_resource(body: bytes, rtype: str) -> dict[str, Any]:
    """Parse a create body; R4 http.html#create: "The request body SHALL be a FHIR Resource"."""
    if not body.strip():
        raise FhirError(400, "invalid", "the request body is empty")
    try:
        resource = fhirjson.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FhirError(400, "invalid", f"the request body is not JSON: {exc}") from None
    return check_resource(resource, rtype)


def check_resource(resource: Any, rtype: str) -> dict[str, Any]:
    """Return `resource` if it is a JSON object of type `rtype`; else 400."""
    if not isinstance(resource, dict):
        raise FhirError(400, "invalid", "the resource is not a JSON object")
    if _has_float(resource):
        # json reads NaN and Infinity as floats; they are not JSON (RFC 8259) nor FHIR decimals.
        raise FhirError(400, "invalid", "NaN and Infinity are not JSON numbers")
    if "resourceType" not in resource:
        raise FhirError(400, "invalid", "the resource has no resourceType")
    if resource["resourceType"] != rtype:
        found = resource["resourceType"]
        raise FhirError(400, "invalid", f"resourceType {found!r} does not match the URL type {rtype!r}")
    return resource


def validate(resource: dict[str, Any], status: int) -> None:
    """Reject a structurally invalid resource with `status` (R4 http.html#create: 400 or 422)."""
    problem = _empty_value(resource, resource["resourceType"]) or _model_problem(resource)
    if problem:
        raise FhirError(status, "structure", problem)


def _empty_value(value: Any, path: str) -> str | None:
    """Find an empty value; R4 json.html: no "", whitespace-only strings, {}, [], or null
    outside an array (where it pads primitive extensions)."""
    if isinstance(value, str):
        return None if value.strip() else f"{path}: a string needs non-whitespace content"
    if isinstance(value, (dict, list)) and not value:
        return f"{path}: an object or array must not be empty"
    if isinstance(value, dict):
        if None in value.values():
            return f"{path}: null is not a value outside an array"
        children = [(f"{path}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(f"{path}[{i}]", item) for i, item in enumerate(value) if item is not None]
    else:
        return None
    for child_path, item in children:
        problem = _empty_value(item, child_path)
        if problem:
            return problem
    return None


def _model_problem(resource: dict[str, Any]) -> str | None:
    """Check the shape against the fhir.resources R4B model of the type, where there is one."""
    from fhir.resources.R4B import get_fhir_model_class  # heavy: only for validating servers

    try:
        model = get_fhir_model_class(resource["resourceType"])
    except (KeyError, ValueError):
        return None  # an R4 type R4B dropped: only the generic checks apply
    try:
        model.model_validate(resource)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        return " ".join(str(exc).split())[:500]
    return None


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_float(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    return isinstance(value, float)  # Decimals (what fhirjson reads) are not floats
