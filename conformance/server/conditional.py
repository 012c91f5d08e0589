"""Conditional create (R4 http.html#ccreate): the condition of a POST, from If-None-Exist or the query."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.requests import Request

from conformance.server.faults import Condition
from conformance.server.fhirhttp import FhirError
from conformance.server.search import parse_query, supported_params
from conformance.server.storage import Criterion

# General parameters of every interaction (R4 http.html, "General parameters"): they shape the
# response, not the selection, so they are never part of a condition.
NOT_CONDITIONS = frozenset({"_format", "_pretty"})


def condition_of(request: Request, rtype: str, query_form: bool) -> Condition | None:
    """The condition of `POST [base]/[type]`, or None for a plain create."""
    header = request.headers.get("if-none-exist")
    # R4 defines no parameter of create but _format (`POST [base]/[type] {?_format=[mime-type]}`),
    # and servers SHOULD ignore parameters they do not support (R4 search.html#errors): without
    # the Aidbox claim the query string is ignored, as it is by servers that only speak R4.
    query = _filters(request.query_params.multi_items()) if query_form else []
    if header is not None and query:
        raise FhirError(400, "invalid", "give the condition in If-None-Exist or in the query string, not both")
    if header is not None:
        return Condition(rtype, parse_condition(rtype, header), "header")
    if query:
        return Condition(rtype, _criteria(rtype, query), "query")
    return None


def parse_condition(rtype: str, text: str) -> list[Criterion]:
    """Read a condition: the search parameters, "what would be in the URL following the '?'"."""
    return _criteria(rtype, _filters(parse_qsl(text, keep_blank_values=True)))


def _filters(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(key, value) for key, value in items if key not in NOT_CONDITIONS]


def required(criteria: list[Criterion]) -> list[Criterion]:
    """Return the criteria of a condition; 400 when it has none (empty, only '&', only empty values)."""
    # R4 http.html#ccreate decides by how many resources the search matches; a condition with no
    # criteria would select every resource, and a 200 with an unrelated resource or a 412 would both
    # mislead. Such a condition is not supported: "Servers that don't support the conditional update
    # [sic] SHOULD return an HTTP 400 error".
    if not criteria:
        raise FhirError(400, "invalid", "the condition has no search criteria")
    return criteria


def _criteria(rtype: str, items: list[tuple[str, str]]) -> list[Criterion]:
    """The criteria of a condition (perhaps none); 400 for one this server cannot evaluate exactly."""
    # A parameter a lenient search would drop (R4 search.html#errors) would select more than the
    # client asked for: not supported either.
    unknown = sorted({key.partition(":")[0] for key, _ in items} - supported_params(rtype).keys())
    if unknown:
        raise FhirError(400, "not-supported", f"the condition uses unsupported parameters: {', '.join(unknown)}")
    return parse_query(rtype, items)
