"""Faults of transactions: conditions ignored, misread or raced, links not rewritten, atomicity, the response."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from conformance.server.faults.conditional import RACE_WINDOW, first_match, unconditional
from conformance.server.faults.model import (
    ERROR_RESPONSE,
    TRANSACTION,
    TRANSACTION_RESPONSE,
    Condition,
    ErrorReply,
    Fault,
    Reply,
    TransactionPlan,
    setting,
)
from conformance.server.storage import Storage


def _no_condition(request: dict[str, Any]) -> None:
    return None


def _any_case(request: dict[str, Any]) -> Any:
    return next((value for key, value in request.items() if key.lower() == "ifnoneexist"), None)


def _toggle(kind: str) -> Callable[[TransactionPlan], None]:
    """Stop rewriting links in elements of `kind`, or start if it was not rewritten."""

    def toggle(plan: TransactionPlan) -> None:
        plan.rewrites ^= {kind}

    return toggle


def _first_of_several(storage: Storage, tenant: str, conditions: list[Condition]) -> None:
    """Let an entry whose condition matches several resources take the first of them."""
    for condition in conditions:
        condition.store = first_match


def _resolve_early(storage: Storage, tenant: str, conditions: list[Condition]) -> None:
    """Look every condition up before the transaction starts, then pause: what matched nothing creates."""
    # A realistic defect: the lookup is outside the transaction that inserts, so concurrent
    # identical transactions all find nothing and all insert.
    for condition in conditions:
        if condition.criteria and not storage.search(tenant, condition.rtype, condition.criteria, 0)[0]:
            condition.store = unconditional
    time.sleep(RACE_WINDOW)


def _entries(reply: Reply) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (reply.body or {}).get("entry", [])
    return entries


def _reverse(reply: Reply) -> None:
    _entries(reply).reverse()


def _drop_response(*names: str) -> Callable[[Reply], None]:
    def drop(reply: Reply) -> None:
        for entry in _entries(reply):
            for name in names:
                entry["response"].pop(name, None)

    return drop


def _bare_failure(reply: ErrorReply) -> None:
    """A refused transaction (its outcome points at an entry) answers without an OperationOutcome."""
    issues = reply.body.get("issue", []) if isinstance(reply.body, dict) else []
    if any(str(e).startswith("Bundle.entry") for issue in issues for e in issue.get("expression", [])):
        reply.body = None


# fmt: off
FAULTS = [
    Fault("bundle-condition-ignored", "tx.entry.as-interaction",
          "A transaction entry's request.ifNoneExist is ignored: the entry always creates.",
          TRANSACTION, setting(if_none_exist=_no_condition)),
    Fault("bundle-condition-any-case", "tx.if-none-exist.case",
          "A transaction entry's condition is read from ifNoneExist in any letter case (IfNoneExist too).",
          TRANSACTION, setting(if_none_exist=_any_case)),
    Fault("bundle-multiple-matches-first", "tx.if-none-exist.multiple",
          "A transaction entry whose ifNoneExist matches several resources takes the first; the transaction succeeds.",
          TRANSACTION, setting(prepare=_first_of_several)),
    Fault("bundle-check-then-insert-race", "tx.if-none-exist.race",
          f"A transaction looks its conditions up first, pauses {RACE_WINDOW * 1000:g} ms, then inserts: "
          "concurrent identical transactions duplicate.", TRANSACTION, setting(prepare=_resolve_early)),
    Fault("bundle-not-atomic", "tx.atomic.all-or-nothing",
          "Each transaction entry commits alone: entries before a failing one stay stored.",
          TRANSACTION, setting(scope=contextlib.nullcontext)),
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
    Fault("urn-version-dropped", "tx.placeholder.version-specific",
          "A version-specific link to a transaction entry becomes a plain Type/id.",
          TRANSACTION, setting(keep_versions=False)),
    Fault("bundle-response-reversed", "tx.response.bundle",
          "The transaction-response lists its entries in reverse order.", TRANSACTION_RESPONSE, _reverse),
    Fault("bundle-entry-no-location", "tx.response.entry",
          "transaction-response entries carry no response.location.",
          TRANSACTION_RESPONSE, _drop_response("location")),
    Fault("bundle-entry-no-etag", "tx.response.entry-version",
          "transaction-response entries carry no response.etag nor response.lastModified.",
          TRANSACTION_RESPONSE, _drop_response("etag", "lastModified")),
    Fault("bundle-failure-bare", "tx.response.failure-outcome",
          "A refused transaction answers with no OperationOutcome.", ERROR_RESPONSE, _bare_failure),
]
# fmt: on
