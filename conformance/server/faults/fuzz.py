"""Faults that only generated resources show: content the suite's samples never hold (a primitive's `_name` element,
a Period, an extension inside an element, a decimal with an exponent, a meta with a profile, a problem inside an
extension or deep in a resource), handled wrongly. Each breaks one fuzz.* requirement of the properties."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from conformance.fhirjson import map_leaves
from conformance.server.faults.model import (
    CREATE_ASSIGN,
    CREATE_REFUSED,
    CREATE_RESPONSE,
    ERROR_RESPONSE,
    READ_RESPONSE,
    REQUEST_CHECK,
    Assignment,
    Check,
    ErrorReply,
    Fault,
    Reply,
    Submitted,
)
from conformance.server.faults.rejections import CLAIMS_VALIDATION, crash_on, plain_text, question_marks, store_anyway
from conformance.server.fhirhttp import Rule

# Meta elements a client may set (R4 resource.html#Meta); the server sets versionId and lastUpdated.
CLIENT_META = frozenset(("profile", "security", "source"))
PERIOD = frozenset(("start", "end", "id", "extension"))
DEEP = 3  # elements below the resource: Patient.name[0].period.start is three deep
ELEMENT = re.compile(r"\.[A-Za-z]")
# Characters beyond the Basic Multilingual Plane: four bytes in UTF-8, which a 3-byte UTF-8 column (MySQL's utf8mb3)
# cannot hold.
ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _names(value: Any) -> set[str]:
    """Return every object member name in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*(_names(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_names(item) for item in value))
    return set()


def _pruned(value: Any, drop: Callable[[str, Any], bool]) -> Any:
    """Copy a JSON value without the members and array items `drop(name, value)` picks (an item's name is '')."""
    if isinstance(value, dict):
        return {name: _pruned(item, drop) for name, item in value.items() if not drop(name, item)}
    if isinstance(value, list):
        return [_pruned(item, drop) for item in value if not drop("", item)]
    return value


def _is_period(name: str, value: Any) -> bool:
    """Tell whether a value is a Period: an object of start and end (and an element's id and extensions)."""
    return isinstance(value, dict) and bool({"start", "end"} & value.keys()) and value.keys() <= PERIOD


def _crash_on_primitive_elements(target: Assignment) -> None:
    if any(name.startswith("_") for name in _names(target.original)):
        raise RuntimeError("a primitive's _name element reached code that does not know it")


def _unset_meta(reply: Reply) -> None:
    meta = reply.body.get("meta") if reply.body is not None else None
    if isinstance(meta, dict) and CLIENT_META & meta.keys():
        meta.pop("versionId", None)
        meta.pop("lastUpdated", None)


def _drop_periods(reply: Reply) -> None:
    reply.body = _pruned(reply.body, _is_period)


def _is_extension(name: str, value: Any) -> bool:
    return name == "extension"


def _drop_nested_extensions(reply: Reply) -> None:
    if reply.body is not None:
        body = reply.body.items()
        reply.body = {name: item if name == "extension" else _pruned(item, _is_extension) for name, item in body}


def _plain_digits(value: Any) -> Any:
    """Write a decimal with a positive exponent in plain digits: 1.5E+3 as 1500 (precision 4, not 2)."""
    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
    return Decimal(format(value, "f")) if isinstance(exponent, int) and exponent > 0 else value


def _expand_exponents(reply: Reply) -> None:
    reply.body = map_leaves(reply.body, _plain_digits)


def _read_astral_as_question_marks(reply: Reply) -> None:
    reply.body = question_marks(ASTRAL, reply.body)


def _inside_extension(expression: str | None) -> bool:
    """Tell whether a refusal's expression names an element inside an extension."""
    return ".extension[" in (expression or "")


def _deep(expression: str | None) -> bool:
    """Tell whether a refusal's expression names an element DEEP or more elements below the resource."""
    return len(ELEMENT.findall(expression or "")) >= DEEP


def _waive_where(where: Callable[[str | None], bool]) -> Callable[[Check], None]:
    """Let through invalid content whose refusal points where `where` says."""

    def waive(check: Check) -> None:
        if check.rule is Rule.INVALID and check.error is not None and where(check.error.expression):
            check.error = None

    return waive


def _on_extension_refusals(effect: Callable[[ErrorReply], None]) -> Callable[[ErrorReply], None]:
    """Apply `effect` to refusals of content invalid inside an extension, and to no other."""

    def apply(reply: ErrorReply) -> None:
        issues = reply.body.get("issue", []) if isinstance(reply.body, dict) else []
        if reply.rule is Rule.INVALID and any(_inside_extension(e) for i in issues for e in i.get("expression", [])):
            effect(reply)

    return apply


def _answer_400(reply: ErrorReply) -> None:
    reply.status = 400


def _store_extension_refusals(target: Submitted) -> None:
    if target.refusal is not None and _inside_extension(target.refusal.expression):
        store_anyway(target)


CLAIMS_422 = {**CLAIMS_VALIDATION, "invalid_status": 422}

# fmt: off
FAULTS = [
    Fault("primitive-elements-500", "fuzz.valid.accepted",
          "A valid create that gives a primitive an id or extensions (its _name form) is answered 500.",
          CREATE_ASSIGN, _crash_on_primitive_elements),
    Fault("meta-unset-beside-profile", "fuzz.valid.success",
          "A create whose meta holds a profile, a security label or a source is answered without "
          "meta.versionId and meta.lastUpdated.", CREATE_RESPONSE, _unset_meta),
    Fault("response-drops-periods", "fuzz.valid.response-round-trip",
          "The create response body lacks every Period (an object of start and end).", CREATE_RESPONSE,
          _drop_periods),
    Fault("read-drops-nested-extensions", "fuzz.valid.round-trip",
          "A read lacks the extensions of the elements inside the resource (its own are kept).", READ_RESPONSE,
          _drop_nested_extensions),
    Fault("read-replaces-astral-characters", "fuzz.valid.round-trip",
          "A read answers each character beyond the Basic Multilingual Plane (emoji, CJK Extension B) as '?', as a "
          "3-byte UTF-8 column stores it; the create's response echoes what was sent.", READ_RESPONSE,
          _read_astral_as_question_marks),
    Fault("read-expands-decimal-exponents", "fuzz.valid.decimals",
          "A read writes a decimal with an exponent in plain digits (1.5E+3 becomes 1500).", READ_RESPONSE,
          _expand_exponents),
    Fault("extensions-unvalidated", "fuzz.invalid.refused",
          "Content invalid inside an extension is stored although the server claims to validate.",
          REQUEST_CHECK, _waive_where(_inside_extension), CLAIMS_VALIDATION),
    Fault("deep-content-unvalidated", "fuzz.invalid.unclaimed",
          f"Content invalid {DEEP} or more elements deep (Patient.name[0].period.start) is stored; "
          "shallower invalid content is refused.", REQUEST_CHECK, _waive_where(_deep)),
    Fault("extension-refusals-400", "fuzz.invalid.status",
          "Content invalid inside an extension is refused with 400 although the server claims 422.",
          ERROR_RESPONSE, _on_extension_refusals(_answer_400), CLAIMS_422),
    Fault("extension-refusals-plain-text", "fuzz.invalid.outcome",
          "A refusal of content invalid inside an extension carries a plain-text message, no OperationOutcome.",
          ERROR_RESPONSE, _on_extension_refusals(plain_text)),
    Fault("extension-refusals-stored", "fuzz.invalid.not-stored",
          "A create refused for content invalid inside an extension is stored all the same.", CREATE_REFUSED,
          _store_extension_refusals),
    Fault("extension-refusals-500", "fuzz.invalid.no-5xx",
          "Content invalid inside an extension is answered 500 instead of 400.", ERROR_RESPONSE,
          _on_extension_refusals(crash_on(Rule.INVALID))),
]
# fmt: on
