"""Faults of conditional create: conditions ignored or misread, matches miscounted or misanswered, races."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from conformance.server.faults.create import last_modified_early, other_vid
from conformance.server.faults.model import (
    CONDITION,
    ERROR_RESPONSE,
    MATCH_RESPONSE,
    Condition,
    ErrorReply,
    Fault,
    Reply,
    setting,
)
from conformance.server.fhirhttp import FhirError, Rule, location
from conformance.server.storage import Created, Criterion, Match, MultipleMatches, Storage

# Seconds between the check and the insert of the racing faults: far longer than a request takes
# to reach the check, so concurrent identical creates all find nothing before any one inserts.
RACE_WINDOW = 0.05


def unconditional(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
    """Store as a plain create, whatever the criteria say."""
    return storage.create(tenant, resource)


def _ignore(source: str) -> Callable[[Condition], None]:
    def ignore(condition: Condition) -> None:
        if condition.source == source:
            condition.store = unconditional

    return ignore


def _create_anyway(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
    """Two or more matches: create all the same."""
    try:
        return storage.create(tenant, resource, criteria)
    except MultipleMatches:
        return storage.create(tenant, resource)


def first_match(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
    """Two or more matches: answer with the first, as if it were the only one."""
    try:
        return storage.create(tenant, resource, criteria)
    except MultipleMatches:
        found = storage.search(tenant, resource["resourceType"], criteria, 1)[1]
        return Created(found[0], created=False)


def _duplicate(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
    """One match: answer with it, but store the new resource too."""
    done = storage.create(tenant, resource, criteria)
    if not done.created:
        storage.create(tenant, resource)
    return done


def _refuse_no_match(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
    """No match: refuse with 412, as if the criteria matched too many."""
    if not storage.search(tenant, resource["resourceType"], criteria, 0)[0]:
        raise FhirError(412, "multiple-matches", "the condition is not selective enough", rule=Rule.MULTIPLE_MATCHES)
    return storage.create(tenant, resource, criteria)


def _check_then_insert(
    storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]
) -> Created:
    """Check, pause, then insert in another transaction: concurrent identical creates all insert."""
    if storage.search(tenant, resource["resourceType"], criteria, 0)[0]:
        return storage.create(tenant, resource, criteria)  # a match: the atomic path answers 200 or 412
    time.sleep(RACE_WINDOW)
    return storage.create(tenant, resource)


def _query_match_created(
    storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]
) -> Created:
    """One match: report it as created, so the answer is 201 (nothing new is stored)."""
    done = storage.create(tenant, resource, criteria)
    return Created(done.resource, created=True)


def _on_query(store: Callable[..., Created]) -> Callable[[Condition], None]:
    def swap(condition: Condition) -> None:
        if condition.source == "query":
            condition.store = store

    return swap


def _first_parameter_only(condition: Condition) -> None:
    condition.criteria = condition.criteria[:1]


def _match_all(condition: Condition) -> None:
    """An empty condition selects every resource of the type (an _id of any value)."""
    if not condition.criteria:
        condition.criteria = [Criterion("_id", (Match(),))]


def _as_created(reply: Reply) -> None:
    reply.status = 201


def _new_body(reply: Reply) -> None:
    """Answer with the resource posted, under a fresh id, as if it had been created."""
    if reply.body is not None and reply.body.get("resourceType") == reply.resource["resourceType"]:
        reply.body = {**copy.deepcopy(reply.body), "id": str(uuid.uuid4())}


def _other_version(reply: Reply) -> None:
    """Name another version of the matched resource in Location, ETag and Last-Modified."""
    resource = reply.resource
    other = other_vid(str(resource["meta"]["versionId"]))
    reply.headers["Location"] = location(reply.base, resource["resourceType"], resource["id"], other)
    reply.headers["ETag"] = f'W/"{other}"'
    last_modified_early(reply)


def _prefer_ignored(reply: Reply) -> None:
    """Answer an empty 200 whatever Prefer asks (without Prefer the body is the server's choice)."""
    if reply.prefer is not None:
        reply.body = None


def _bare_412(reply: ErrorReply) -> None:
    if reply.rule is Rule.MULTIPLE_MATCHES:
        reply.body = None


# fmt: off
_FAULTS = [
    Fault("condition-ignored", "ccreate.search.standard",
          "If-None-Exist is ignored: every conditional create creates.", CONDITION, _ignore("header")),
    Fault("condition-first-parameter-only", "ccreate.search.standard",
          "Only the first parameter of a condition is searched: the others are not ANDed.",
          CONDITION, _first_parameter_only),
    Fault("no-match-refused", "ccreate.match.none",
          "A condition matching nothing answers 412, as if it matched several.", CONDITION,
          setting(store=_refuse_no_match)),
    Fault("multiple-matches-create", "ccreate.match.multiple",
          "A condition matching two or more resources creates one more (201), not 412.",
          CONDITION, setting(store=_create_anyway)),
    Fault("multiple-matches-200", "ccreate.match.multiple",
          "A condition matching two or more resources answers 200 with the first, not 412.",
          CONDITION, setting(store=first_match)),
    Fault("multiple-matches-bare-412", "ccreate.match.multiple-outcome",
          "A 412 carries no OperationOutcome.", ERROR_RESPONSE, _bare_412),
    Fault("one-match-201", "ccreate.match.one",
          "A condition matching one resource answers 201 (nothing is created).", MATCH_RESPONSE, _as_created),
    Fault("one-match-duplicates", "ccreate.match.one",
          "A condition matching one resource answers 200 with it but stores a duplicate.",
          CONDITION, setting(store=_duplicate)),
    Fault("one-match-new-body", "ccreate.match.body",
          "A condition matching one resource answers 200 with a body under another id.", MATCH_RESPONSE, _new_body),
    Fault("one-match-other-version", "ccreate.match.headers",
          "A condition matching one resource answers with Location, ETag and Last-Modified of another version.",
          MATCH_RESPONSE, _other_version),
    Fault("one-match-prefer-ignored", "ccreate.match.prefer",
          "A condition matching one resource answers an empty 200, whatever Prefer asks.", MATCH_RESPONSE,
          _prefer_ignored),
    Fault("empty-condition-matches-all", "ccreate.condition.empty",
          "An empty If-None-Exist matches every resource of the type (412 or 200), not 400.", CONDITION, _match_all),
    Fault("query-condition-ignored", "ccreate.query.form",
          "POST [type]?params is a plain create although the server claims the query form.",
          CONDITION, _ignore("query")),
    Fault("query-one-match-201", "ccreate.query.one-match",
          "POST [type]?params matching one resource answers 201 (nothing is created).",
          CONDITION, _on_query(_query_match_created)),
    Fault("check-then-insert-race", "ccreate.race.single",
          f"A conditional create checks, pauses {RACE_WINDOW * 1000:g} ms, then inserts: concurrent ones duplicate.",
          CONDITION, setting(store=_check_then_insert)),
]
# fmt: on
# Each is shown on a server that claims the query form too: a fault of the matching both forms share shows
# in both, and the query form's cases are then blocked by it, not failed.
FAULTS = [replace(fault, config={"conditional_query": True}) for fault in _FAULTS]
