"""Faults of conditional create and transactions: conditions ignored or miscounted, races, links, atomicity."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from conformance.server.faults.model import (
    CONDITION,
    MATCH_RESPONSE,
    TRANSACTION,
    Condition,
    Fault,
    Reply,
    TransactionPlan,
)
from conformance.server.storage import Created, Criterion, MultipleMatches, Storage

# Seconds between the check and the insert of the racing fault: far longer than a request takes
# to reach the check, so concurrent identical creates all find nothing before any one inserts.
RACE_WINDOW = 0.05


def _set(**changes: Any) -> Callable[[Any], None]:
    def change(target: Any) -> None:
        for name, value in changes.items():
            setattr(target, name, value)

    return change


def _ignore(source: str) -> Callable[[Condition], None]:
    def ignore(condition: Condition) -> None:
        if condition.source == source:
            condition.criteria = []

    return ignore


def _create_anyway(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
    """Two or more matches: create all the same."""
    try:
        return storage.create(tenant, resource, criteria)
    except MultipleMatches:
        return storage.create(tenant, resource)


def _first_match(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
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


def _check_then_insert(
    storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]
) -> Created:
    """Check, pause, then insert in another transaction: concurrent identical creates all insert."""
    if storage.search(tenant, resource["resourceType"], criteria, 0)[0]:
        return storage.create(tenant, resource, criteria)  # a match: the atomic path answers 200 or 412
    time.sleep(RACE_WINDOW)
    return storage.create(tenant, resource)


def _as_created(reply: Reply) -> None:
    reply.status = 201


def _no_condition(request: dict[str, Any]) -> None:
    return None


def _any_case(request: dict[str, Any]) -> Any:
    return next((value for key, value in request.items() if key.lower() == "ifnoneexist"), None)


def _toggle(kind: str) -> Callable[[TransactionPlan], None]:
    """Stop rewriting links in elements of `kind`, or start if it was not rewritten."""

    def toggle(plan: TransactionPlan) -> None:
        plan.rewrites ^= {kind}

    return toggle


# fmt: off
FAULTS = [
    Fault("condition-ignored", "ccreate.search.standard",
          "If-None-Exist is ignored: every conditional create creates.", CONDITION, _ignore("header")),
    Fault("multiple-matches-create", "ccreate.match.multiple",
          "A condition matching two or more resources creates one more (201), not 412.",
          CONDITION, _set(store=_create_anyway)),
    Fault("multiple-matches-200", "ccreate.match.multiple",
          "A condition matching two or more resources answers 200 with the first, not 412.",
          CONDITION, _set(store=_first_match)),
    Fault("one-match-201", "ccreate.match.one",
          "A condition matching one resource answers 201 (nothing is created).", MATCH_RESPONSE, _as_created),
    Fault("one-match-duplicates", "ccreate.match.one",
          "A condition matching one resource answers 200 with it but stores a duplicate.",
          CONDITION, _set(store=_duplicate)),
    Fault("query-condition-ignored", "ccreate.query.form",
          "POST [type]?params is a plain create although the server claims the query form.",
          CONDITION, _ignore("query")),
    Fault("check-then-insert-race", "ccreate.race.single",
          f"A conditional create checks, pauses {RACE_WINDOW * 1000:g} ms, then inserts: concurrent ones duplicate.",
          CONDITION, _set(store=_check_then_insert)),
    Fault("bundle-condition-ignored", "tx.entry.as-interaction",
          "A transaction entry's request.ifNoneExist is ignored: the entry always creates.",
          TRANSACTION, _set(if_none_exist=_no_condition)),
    Fault("bundle-condition-any-case", "tx.if-none-exist.case",
          "A transaction entry's condition is read from ifNoneExist in any letter case (IfNoneExist too).",
          TRANSACTION, _set(if_none_exist=_any_case)),
    Fault("bundle-not-atomic", "tx.atomic.all-or-nothing",
          "Each transaction entry commits alone: entries before a failing one stay stored.",
          TRANSACTION, _set(scope=contextlib.nullcontext)),
    Fault("urn-references-kept", "tx.placeholder.references",
          "References to a transaction entry's fullUrl (urn:uuid) are stored unchanged.",
          TRANSACTION, _toggle("reference")),
    Fault("urn-uris-kept", "tx.placeholder.uri-elements",
          "uri, url, oid and uuid elements naming a transaction entry's fullUrl are stored unchanged.",
          TRANSACTION, _toggle("uri")),
    Fault("urn-narrative-kept", "tx.placeholder.narrative",
          "Narrative <a href> and <img src> naming a transaction entry's fullUrl are stored unchanged.",
          TRANSACTION, _toggle("narrative")),
    Fault("canonical-rewritten", "tx.placeholder.canonical-kept",
          "Canonical elements (and Extension.url) naming a transaction entry's fullUrl are rewritten too.",
          TRANSACTION, _toggle("canonical")),
]
# fmt: on
