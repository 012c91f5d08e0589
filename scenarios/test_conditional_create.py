"""Conditional create with If-None-Exist: no match creates (201), one match is answered 200 and creates
nothing, two or more are refused with 412 (FHIR R4 http.html#ccreate). Conditions name only the run's own
identifier and names; each flow counts, by that identifier, what exists before and after its create.
The success rules of a create apply to a conditional one that matches nothing: test_create sends it too."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance import checks
from conformance.cases import Case, sequences
from conformance.client import parse_location
from conformance.conditional import BODY, MULTIPLE, ONE, SEARCH, SOUND, Flow
from conformance.created import LAST_UPDATED, NO_MATCH

HEADERS = "ccreate.match.headers"
PREFER = "ccreate.match.prefer"
EMPTY = "ccreate.condition.empty"
SEED = (SEARCH, *SOUND)  # the resources a condition matches were created first (as creates are), and counted


def matched_body(f: Flow) -> None:
    """A body, if any, is the matched resource: its id and versionId."""
    if f.found(BODY) is None:
        checks.not_applicable(f"the answer carries no {f.type} (its choice without Prefer)")


def matched_location(f: Flow) -> None:
    """A Location, if sent, names the matched resource and its current version."""
    sent = f.matched.header("location") or checks.not_applicable("no Location sent")
    parts = parse_location(f.seed.client.url(sent)) or checks.fail(
        "a Location naming [type]/[id]", repr(sent), f.response
    )
    checks.equal("Location id", f.seed.id, parts.id, f.response)
    if parts.version is not None:
        checks.equal("Location version", f.seed.version_id, parts.version, f.response)


def matched_etag(f: Flow) -> None:
    """An ETag, if sent, carries the matched resource's current versionId."""
    etag = f.matched.header("etag") or checks.not_applicable("no ETag sent")
    checks.equal("ETag version", f.seed.version_id, checks.etag_version(etag), f.response)


def matched_last_modified(f: Flow) -> None:
    """A Last-Modified, if sent, is the matched resource's meta.lastUpdated to the second."""
    value = f.matched.header("last-modified") or checks.not_applicable("no Last-Modified sent")
    sent = checks.http_date(f.response, "Last-Modified", value)
    checks.same_second(f.response, "Last-Modified of the matched meta.lastUpdated", f.seed.last_updated, sent)


def answered_with(kind: str | None) -> Callable[[Flow], None]:
    """Return the check that a matched answer's body is what Prefer asked: nothing, or a resource of a kind."""

    def body(f: Flow) -> None:
        if kind is None:
            checks.empty_body(f.matched)
        else:
            checks.resource_type(f.matched, kind if kind != "resource" else f.type)

    return body


def creates(f: Flow) -> None:
    """The create is processed as one (201, one more resource): its condition matched nothing."""
    f.sibling("no-match").creates(NO_MATCH)  # where a condition that matches nothing does create
    f.creates(SEARCH)


def outcome(f: Flow) -> None:
    """The 412 carries an OperationOutcome."""
    checks.status(f.matched, 412, requirement=MULTIPLE)
    checks.resource_type(f.response, "OperationOutcome")


def refused_or_created(f: Flow) -> str:
    """A condition without parameters is refused with 400, or ignored (a plain create); return which."""
    if f.response.status == 400:
        return "the server refused the condition with 400"
    checks.status(f.response, 400, 201)
    f.grew(1, EMPTY)
    return "the server ignored the condition: a plain create (201)"


CASES = (
    Case(
        "status-201",
        "a condition that matches nothing creates: 201",
        NO_MATCH,
        lambda f: checks.status(f.answer, 201),
        SOUND,
        ("no-match",),
    ),
    Case(
        "new-resource",
        "a condition that matches nothing makes one new resource",
        NO_MATCH,
        lambda f: f.grew(1, NO_MATCH),
        (SEARCH, *SOUND),
        ("no-match",),
    ),
    Case(
        "condition-evaluated",
        "the condition is searched: a create it matches is not processed as a plain create",
        SEARCH,
        lambda f: f.evaluated(),
        SEED,
        ("one-match", "two-parameters", "name"),
    ),
    Case(
        "creates",
        "a condition whose second parameter matches nothing creates: its parameters are ANDed",
        SEARCH,
        creates,
        (*SEED, NO_MATCH),
        ("two-parameters-unmatched",),
    ),
    Case(
        "status-200",
        "a condition that matches one resource answers 200",
        ONE,
        lambda f: checks.status(f.matched, 200),
        SEED,
        ("one-match",),
    ),
    Case(
        "nothing-created",
        "a condition that matches one resource creates nothing",
        ONE,
        lambda f: f.unchanged(ONE),
        SEED,
        ("one-match",),
    ),
    Case("body", "a body, if any, is the matched resource", BODY, matched_body, SEED, ("one-match",)),
    Case(
        "location",
        "a Location, if sent, names the matched resource and its version",
        HEADERS,
        matched_location,
        SEED,
        ("one-match",),
    ),
    Case(
        "etag",
        "an ETag, if sent, carries the matched versionId",
        HEADERS,
        matched_etag,
        SEED,
        ("one-match",),
    ),
    Case(
        "last-modified",
        "a Last-Modified, if sent, is the matched meta.lastUpdated",
        HEADERS,
        matched_last_modified,
        (*SEED, LAST_UPDATED),
        ("one-match",),
    ),
    Case(
        "body",
        "Prefer: return=minimal on a match gets no body",
        PREFER,
        answered_with(None),
        SEED,
        ("one-match-prefer-minimal",),
    ),
    Case(
        "body",
        "Prefer: return=representation on a match gets the resource",
        PREFER,
        answered_with("resource"),
        SEED,
        ("one-match-prefer-representation",),
    ),
    Case(
        "body",
        "Prefer: return=OperationOutcome on a match gets an OperationOutcome",
        PREFER,
        answered_with("OperationOutcome"),
        SEED,
        ("one-match-prefer-outcome",),
    ),
    Case(
        "status-412",
        "a condition that matches two resources answers 412",
        MULTIPLE,
        lambda f: checks.status(f.matched, 412),
        SEED,
        ("multiple-matches",),
    ),
    Case(
        "nothing-created",
        "a condition that matches two resources creates nothing",
        MULTIPLE,
        lambda f: f.unchanged(MULTIPLE),
        SEED,
        ("multiple-matches",),
    ),
    Case(
        "outcome",
        "the 412 carries an OperationOutcome",
        "ccreate.match.multiple-outcome",
        outcome,
        (*SEED, MULTIPLE),
        ("multiple-matches",),
    ),
    Case(
        "400-or-201",
        "a condition without parameters is refused with 400 or ignored as a plain create",
        EMPTY,
        refused_or_created,
        (SEARCH, *SOUND),
        ("empty-condition", "ampersand-condition"),
    ),
)


@pytest.mark.parametrize(("flow", "case"), sequences(CASES, ("Patient",)), indirect=["flow"])
def test_conditional_create(flow: Flow, case: Case, record_property: Callable[[str, object], None]) -> None:
    """Each case looks at one flow: the resources made first, the conditional create, the counts around it."""
    note = case.check(flow)
    if isinstance(note, str) and note:  # which of the conformant answers the server chose
        record_property("note", note)
