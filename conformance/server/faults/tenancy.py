"""Faults of a multi-tenant server (ClinikAPI style): the tenant tag, spoofed tags, isolation, keys, the body.

Each runs on a server with two tenants (its `config`): the suite acts as the first, with the second as
the other tenant whose resources it must never see, nor let it see its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from conformance.server.faults.model import (
    AUTHENTICATE,
    CONDITION,
    CREATE_RESPONSE,
    READ_SCOPE,
    SEARCH_SCOPE,
    TENANT_TAGGED,
    TRANSACTION,
    Assignment,
    Caller,
    Condition,
    Fault,
    Reply,
    Scope,
    TransactionPlan,
)
from conformance.server.storage import Created, Criterion, MultipleMatches, Storage

SYSTEM = "https://clinikapi.com/tenant"
WRONG_SYSTEM = "https://clinikapi.com/tenants"
TWO_TENANTS = {
    "api_key_header": "x-api-key",
    "tenants": {"clk_test_fault-tenant-a": f"{SYSTEM}|clinic-a", "clk_test_fault-tenant-b": f"{SYSTEM}|clinic-b"},
}
# The tag faults are shown where the query form of conditional create is claimed too: on every create path.
EVERY_CREATE = {**TWO_TENANTS, "conditional_query": True}


Retag = Callable[[list[Any], str, list[Any]], list[Any]]


def _retag(change: Retag) -> Callable[[Assignment], None]:
    """A fault that rewrites the tags about to be stored: change(tags, tenant system, tags the client sent)."""

    def retag(target: Assignment) -> None:
        meta, sent_meta = target.resource["meta"], target.original.get("meta")
        sent = sent_meta.get("tag") if isinstance(sent_meta, dict) else None
        meta["tag"] = change(meta.get("tag") or [], target.tenant.partition("|")[0], sent or [])

    return retag


def _in(tag: Any, system: str) -> bool:
    """Tell whether a tag is one of the system's."""
    return isinstance(tag, dict) and tag.get("system") == system


def _every_tenant(scope: Scope) -> None:
    """Let a read or search return every tenant's resources, the caller's first."""
    scope.visible = [scope.tenant, *(t for t in scope.tenants if t != scope.tenant)]


def _anonymous(when: Callable[[Caller], bool]) -> Callable[[Caller], None]:
    """Serve a request whose key `when` picks as a tenant of no one ('': no tag is injected)."""

    def serve(caller: Caller) -> None:
        if caller.tenant is None and when(caller):
            caller.tenant = ""

    return serve


def _store_then_refuse(caller: Caller) -> None:
    """Store a create without a known key in the first tenant, then answer 401 as if nothing happened."""
    if caller.tenant is None and caller.method == "POST":
        caller.tenant, caller.refuse_after = caller.tenants[0], True


def _in_every_tenant(storage: Storage, tenant: str, resource: dict[str, Any], criteria: Sequence[Criterion]) -> Created:
    """Search a condition among every tenant's resources; store in the caller's tenant when none matches."""
    if not criteria:  # a transaction entry without ifNoneExist
        return storage.create(tenant, resource)
    rtype = resource["resourceType"]
    with storage.transaction():
        found = [match for each in storage.tenants() for match in storage.search(each, rtype, criteria)[1]]
        if len(found) > 1:
            raise MultipleMatches(f"{len(found)} {rtype} resources match")
        return Created(found[0], created=False) if found else storage.create(tenant, resource)


def _condition_in_every_tenant(condition: Condition) -> None:
    """Let a conditional create (If-None-Exist, or the query form) match any tenant's resources."""
    if condition.source in ("header", "query"):
        condition.store = _in_every_tenant


def _entries_in_every_tenant(plan: TransactionPlan) -> None:
    """Let every transaction entry's ifNoneExist match any tenant's resources."""

    def prepare(storage: Storage, tenant: str, conditions: list[Condition]) -> None:
        for condition in conditions:
            condition.store = _in_every_tenant

    plan.prepare = prepare


def _no_body_by_default(reply: Reply) -> None:
    """Answer a create without Prefer with no body (R4 allows it; ClinikAPI documents the resource)."""
    if reply.prefer is None:
        reply.body = None


# fmt: off
FAULTS = [
    Fault("tenant-tag-missing", "tenancy.tag.injected",
          "Creates store no tenant tag.", TENANT_TAGGED,
          _retag(lambda tags, system, sent: [t for t in tags if not _in(t, system)]), EVERY_CREATE),
    Fault("tenant-tag-wrong-system", "tenancy.tag.injected",
          f"The tenant tag is stored in another system ({WRONG_SYSTEM}).", TENANT_TAGGED,
          _retag(lambda tags, system, sent: [{**t, "system": WRONG_SYSTEM} if _in(t, system) else t for t in tags]),
          EVERY_CREATE),
    Fault("client-tags-dropped", "tenancy.tag.client-kept",
          "The tenant tag replaces the client's own tags.", TENANT_TAGGED,
          _retag(lambda tags, system, sent: [t for t in tags if _in(t, system)]), TWO_TENANTS),
    Fault("spoofed-tenant-tag-kept", "tenancy.tag.spoof-neutralised",
          "A tag the client sends in the tenant system is stored beside the injected one.",
          TENANT_TAGGED, _retag(lambda tags, system, sent: [*(t for t in sent if _in(t, system)), *tags]),
          TWO_TENANTS),
    Fault("read-across-tenants", "tenancy.isolation.read",
          "A read finds a resource in any tenant.", READ_SCOPE, _every_tenant, TWO_TENANTS),
    Fault("search-across-tenants", "tenancy.isolation.search",
          "A search returns every tenant's matches.", SEARCH_SCOPE, _every_tenant, TWO_TENANTS),
    Fault("condition-across-tenants", "tenancy.isolation.conditional",
          "A conditional create's condition matches, and counts, every tenant's resources.",
          CONDITION, _condition_in_every_tenant, TWO_TENANTS),
    Fault("bundle-condition-across-tenants", "tenancy.isolation.transaction",
          "A transaction entry's ifNoneExist matches, and counts, every tenant's resources (hapi-fhir #8270).",
          TRANSACTION, _entries_in_every_tenant, TWO_TENANTS),
    Fault("no-auth-required", "tenancy.auth.key-required",
          "A request without a key is served (as no tenant).", AUTHENTICATE,
          _anonymous(lambda caller: caller.key is None), TWO_TENANTS),
    Fault("unknown-key-accepted", "tenancy.auth.missing-401",
          "A request with an unknown key is served (as no tenant).", AUTHENTICATE,
          _anonymous(lambda caller: caller.key is not None), TWO_TENANTS),
    Fault("refused-create-stored", "tenancy.auth.nothing-created",
          "A create without a known key is stored in the first tenant, then answered 401.",
          AUTHENTICATE, _store_then_refuse, TWO_TENANTS),
    Fault("no-body-by-default", "tenancy.response.201",
          "Without Prefer, a create answers 201 with no body.", CREATE_RESPONSE, _no_body_by_default, TWO_TENANTS),
]
# fmt: on
