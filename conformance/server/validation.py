"""Judging a resource, when the server claims to validate: structure, required bindings, enforced profiles."""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from conformance.server import bindings, primitives, profiles
from conformance.server.fhirhttp import FhirError, Rule

# Which status a refusal gets is the server's claim (400 or 422), for profile violations too:
# R4 http.html#create lists 422 for "the proposed resource violated applicable FHIR profiles or
# server business rules", then says "if an instance fails the constraints documented in the
# CapabilityStatement then the response should be a 400" (the enforced profiles are listed
# there) and that "there's no expectation that servers will tightly adhere to this
# differentiation". A server that picks one status and keeps to it is what the suite grades.


# R4 http.html#create: a server "SHALL ignore" a client's meta.versionId and meta.lastUpdated.
IGNORED_META = ("versionId", "lastUpdated")


def as_judged(original: dict[str, Any], keep_id: bool) -> dict[str, Any]:
    """The content a create is judged by: without what the server ignores (an id, unless it keeps it)."""
    judged = {key: value for key, value in original.items() if keep_id or key != "id"}
    meta = original.get("meta")
    if isinstance(meta, dict) and any(key in meta for key in IGNORED_META):
        kept = {key: value for key, value in meta.items() if key not in IGNORED_META}
        del judged["meta"]
        if kept:
            judged["meta"] = kept
    return judged


class Problem(NamedTuple):
    """What makes a resource invalid: an issue-type code, the element (a FHIRPath expression) and a description."""

    code: str
    where: str
    diagnostics: str

    def refusal(self, status: int) -> FhirError:
        """Refuse the resource with `status`, pointing the OperationOutcome's issue at the element."""
        return FhirError(status, self.code, self.diagnostics, rule=Rule.INVALID, expression=self.where)


def invalid(resource: dict[str, Any], status: int) -> FhirError | None:
    """Why a resource is not valid R4, as a refusal with `status`; None when it is valid."""
    problem = _problem(resource)
    return problem.refusal(status) if problem else None


def unprofiled(resource: dict[str, Any], status: int) -> FhirError | None:
    """A refusal with `status` for a resource that breaks a profile it claims and the server enforces."""
    problem = profiles.violation(resource)
    return FhirError(status, "invalid", problem, rule=Rule.PROFILE) if problem else None


def _problem(resource: dict[str, Any]) -> Problem | None:
    """The first thing invalid in a resource (None: valid)."""
    rtype = resource["resourceType"]
    empty = _empty_value(resource, rtype)
    model_class = _model_class(rtype)
    if empty or model_class is None:  # None: an R4 type that R4B dropped, with only the generic checks
        return _at("structure", empty)
    try:
        model = model_class.model_validate(resource)
    except ValidationError as exc:
        error = exc.errors()[0]
        code = "required" if error["type"].endswith("missing") else "structure"
        return Problem(code, _fhirpath(rtype + "".join(_step(part) for part in error["loc"])), _message(exc))
    except (ValueError, TypeError) as exc:
        return Problem("structure", rtype, _message(exc))
    except AttributeError as exc:
        # fhir.resources reads a url with str methods: a number or boolean there raises this, not a
        # ValidationError (R4 json.html#primitive: a url is a JSON string).
        return Problem("structure", rtype, f"a primitive that is not a JSON string: {_message(exc)}")
    return _at("structure", primitives.wrong_type(resource, model, rtype)) or _at(
        "code-invalid", bindings.violation(model)
    )


def _at(code: str, found: tuple[str, str] | None) -> Problem | None:
    """A problem found at (JSON path, why), if any."""
    return Problem(code, _fhirpath(found[0]), f"{found[0]}: {found[1]}") if found else None


def _step(part: str | int) -> str:
    """One step of a JSON location as FHIRPath: .name or [index]."""
    return f"[{part}]" if isinstance(part, int) else f".{part}"


def _fhirpath(path: str) -> str:
    """Write a JSON path as FHIRPath: a primitive's `_name` object is that primitive's element (R4 json.html)."""
    return path.replace("._", ".")


def _empty_value(value: Any, path: str) -> tuple[str, str] | None:
    """Find an empty value, as (where, why); R4 json.html: no "", whitespace-only strings, {}, [], or null
    outside an array (where it pads primitive extensions)."""
    if isinstance(value, str):
        return None if value.strip() else (path, "a string needs non-whitespace content")
    if isinstance(value, (dict, list)) and not value:
        return path, "an object or array must not be empty"
    if isinstance(value, dict):
        if None in value.values():
            return path, "null is not a value outside an array"
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


def _model_class(rtype: str) -> type[BaseModel] | None:
    """The fhir.resources R4B model of a type, or None where R4B has none."""
    from fhir.resources.R4B import get_fhir_model_class  # heavy: only for validating servers

    try:
        model: type[BaseModel] = get_fhir_model_class(rtype)
    except (KeyError, ValueError):
        return None
    return model


def _message(exc: Exception) -> str:
    return " ".join(str(exc).split())[:500]
