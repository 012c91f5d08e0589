"""The query-string form of conditional create, POST [type]?params (Aidbox docs; run under the
conditional_query claim): the same three outcomes as If-None-Exist, with _format and _pretty beside the
condition and never taken for part of it (FHIR R4 http.html general parameters)."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, sequences
from conformance.conditional import BODY, MULTIPLE, ONE, QUERY, SEARCH, SOUND, Flow
from conformance.created import NO_MATCH

FOUND = "ccreate.query.one-match"
SEED = (SEARCH, *SOUND, QUERY)  # made first (as creates are) and counted; the query is taken for a condition


def status_200(f: Flow) -> None:
    """A query that matches one resource answers 200, as the If-None-Exist form does."""
    checks.status(f.counterpart.matched, 200, requirement=ONE)
    checks.status(f.matched, 200)


def one_unchanged(f: Flow) -> None:
    """A query that matches one resource creates nothing, as the If-None-Exist form does."""
    f.counterpart.unchanged(ONE)
    f.unchanged(FOUND)


def found(f: Flow) -> None:
    """A query that matches one resource answers with it: Aidbox returns the found resource."""
    f.counterpart.found(BODY)
    if f.found(FOUND) is None:
        checks.fail(f"the found {f.type} as the body", checks.body_kind(f.response), f.response)


def status_412(f: Flow) -> None:
    """A query that matches two resources answers 412, as the If-None-Exist form does."""
    checks.status(f.counterpart.matched, 412, requirement=MULTIPLE)
    checks.status(f.matched, 412)


def many_unchanged(f: Flow) -> None:
    """A query that matches two resources creates nothing, as the If-None-Exist form does."""
    f.counterpart.unchanged(MULTIPLE)
    f.unchanged(QUERY)


CASES = (
    Case(
        "status-201",
        "a query that matches nothing creates: 201",
        NO_MATCH,
        lambda f: checks.status(f.answer, 201),
        SOUND,
        ("query-no-match",),
    ),
    Case(
        "new-resource",
        "a query that matches nothing makes one new resource",
        NO_MATCH,
        lambda f: f.grew(1, NO_MATCH),
        (SEARCH, *SOUND),
        ("query-no-match",),
    ),
    Case(
        "condition-evaluated",
        "the query is a condition: a create it matches is not processed as a plain create",
        QUERY,
        lambda f: f.evaluated(),
        SEED,
        ("query-one-match",),
    ),
    Case(
        "status-200",
        "a query that matches one resource answers 200",
        FOUND,
        status_200,
        (*SEED, ONE),
        ("query-one-match",),
    ),
    Case(
        "nothing-created",
        "a query that matches one resource creates nothing",
        FOUND,
        one_unchanged,
        (*SEED, ONE),
        ("query-one-match",),
    ),
    Case(
        "body",
        "a query that matches one resource answers with that resource",
        FOUND,
        found,
        (*SEED, BODY),
        ("query-one-match",),
    ),
    Case(
        "status-412",
        "a query that matches two resources answers 412",
        QUERY,
        status_412,
        (*SEED, MULTIPLE),
        ("query-multiple-matches",),
    ),
    Case(
        "nothing-created",
        "a query that matches two resources creates nothing",
        QUERY,
        many_unchanged,
        (*SEED, MULTIPLE),
        ("query-multiple-matches",),
    ),
)


@pytest.mark.parametrize(("flow", "case"), sequences(CASES, ("Patient",)), indirect=["flow"])
def test_conditional_query(flow: Flow, case: Case) -> None:
    """Each case looks at one flow sent in the query form, beside the If-None-Exist flow of the same outcome."""
    case.check(flow)
