"""Transactions (R4 http.html#transaction): a Bundle of creates, stored all together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from conformance.server import parsing
from conformance.server.conditional import parse_condition, required
from conformance.server.creation import storage_refusals
from conformance.server.faults import Condition, TransactionPlan
from conformance.server.fhirhttp import FhirError, location, operation_outcome
from conformance.server.r4types import RESOURCE_TYPES
from conformance.server.references import REWRITTEN, Resolve, resolver, rewrite
from conformance.server.storage import Storage

# What a create does before it stores: (the resource sent, its type, the tenant) -> the resource to store,
# with its id and meta assigned; raises FhirError for one the server refuses.
Accept = Callable[[dict[str, Any], str, str], dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    """One entry done: the resource it stored (or matched), and whether it created it."""

    full_url: str | None
    resource: dict[str, Any]
    created: bool


def default_plan(storage: Storage) -> TransactionPlan:
    """How the server runs a transaction unless a fault says otherwise."""
    return TransactionPlan(if_none_exist=_if_none_exist, scope=storage.transaction, rewrites=set(REWRITTEN))


def _if_none_exist(request: dict[str, Any]) -> Any:
    # JSON property names are case-sensitive, so `IfNoneExist` is not Bundle.entry.request.ifNoneExist
    # but an unknown element. The server ignores unknown elements of a request: the entry is a plain
    # create, as the Aidbox docs state. A 400 for the unknown element would be conformant too.
    return request.get("ifNoneExist")


class Transaction:
    """One tenant's transaction, run against the storage as the plan says."""

    def __init__(self, storage: Storage, tenant: str, plan: TransactionPlan, accept: Accept) -> None:
        """Bind the transaction to its storage, tenant and plan, and to how the server accepts a create."""
        self.storage = storage
        self.tenant = tenant
        self.plan = plan
        self.accept = accept

    def run(self, bundle: dict[str, Any]) -> list[Outcome]:
        """Store every entry or none, with links between entries rewritten; one outcome per entry, in order."""
        entries = _entries(bundle)
        conditions = [self._condition(index, entry) for index, entry in enumerate(entries)]
        self.plan.prepare(self.storage, self.tenant, conditions)
        # R4 http.html#trules processes DELETE, POST, PUT/PATCH, GET in that order; POST is the only
        # method here, so entries run in bundle order. Every entry is stored before any link is
        # rewritten: an entry may point at a later one, and a later conditional entry may match an
        # earlier one.
        with self.plan.scope():
            outcomes = [self._post(index, entry, conditions[index]) for index, entry in enumerate(entries)]
            targets = {o.full_url: o.resource for o in outcomes if o.full_url is not None}
            resolve = resolver(targets, self.plan.keep_versions)
            relinked = [self._relink(outcome, resolve) for outcome in outcomes]
        return _as_stored(relinked)

    def _condition(self, index: int, entry: dict[str, Any]) -> Condition:
        """An entry's request.ifNoneExist as a condition (no criteria: a plain create); 400 if unreadable."""
        with _at(index):
            rtype, request = _request(entry)
            condition = self.plan.if_none_exist(request)
            if condition is None:
                return Condition(rtype, [], "transaction")
            criteria = required(parse_condition(rtype, _text(condition, "ifNoneExist")))
            return Condition(rtype, criteria, "transaction")

    def _post(self, index: int, entry: dict[str, Any], condition: Condition) -> Outcome:
        """Create one entry's resource, or (with a condition) find the one it matches."""
        with _at(index):
            rtype, _ = _request(entry)
            assigned = self.accept(parsing.as_object(entry.get("resource")), rtype, self.tenant)
            with storage_refusals():
                done = condition.store(self.storage, self.tenant, assigned, condition.criteria)
        full_url = entry.get("fullUrl")
        return Outcome(full_url if isinstance(full_url, str) else None, done.resource, done.created)

    def _relink(self, outcome: Outcome, resolve: Resolve) -> Outcome:
        """Rewrite a created resource's links to entries; a matched resource stays as it is."""
        if not outcome.created:
            return outcome
        resource = rewrite(outcome.resource, resolve, self.plan.rewrites)
        if resource != outcome.resource:
            self.storage.rewrite(self.tenant, resource)
        return replace(outcome, resource=resource)


def _as_stored(outcomes: list[Outcome]) -> list[Outcome]:
    """Show an entry that matched another entry's new resource with that resource as relinked."""
    stored = {_identity(o.resource): o.resource for o in outcomes if o.created}
    return [replace(o, resource=stored.get(_identity(o.resource), o.resource)) for o in outcomes]


def _identity(resource: dict[str, Any]) -> tuple[str, str]:
    return resource["resourceType"], resource["id"]


def response_bundle(outcomes: list[Outcome], base: str, prefer: str | None) -> dict[str, Any]:
    """The transaction-response: one entry per request entry, in the same order (R4 #transaction-response)."""
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "transaction-response"}
    if outcomes:  # R4 json.html: arrays are never empty
        bundle["entry"] = [_response_entry(outcome, base, prefer) for outcome in outcomes]
    return bundle


def _response_entry(outcome: Outcome, base: str, prefer: str | None) -> dict[str, Any]:
    """Status, location, etag and lastModified; the resource, or an outcome, as Prefer asks (R4 #prefer)."""
    resource = outcome.resource
    rtype, rid, meta = resource["resourceType"], resource["id"], resource["meta"]
    vid = str(meta["versionId"])
    response: dict[str, Any] = {
        "status": "201 Created" if outcome.created else "200 OK",
        "location": f"{rtype}/{rid}/_history/{vid}",
        "etag": f'W/"{vid}"',
        "lastModified": meta["lastUpdated"],
    }
    entry: dict[str, Any] = {"fullUrl": location(base, rtype, rid, None), "response": response}
    if prefer == "OperationOutcome":
        done = "created" if outcome.created else "matched an existing"
        response["outcome"] = operation_outcome("information", "informational", f"{done} {rtype}/{rid}")
    elif prefer != "minimal":
        entry["resource"] = resource
    return entry


def _entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a transaction Bundle; 400 for any other Bundle, or fullUrls that repeat."""
    if bundle.get("type") != "transaction":
        # R4 http.html#transaction: "Servers that don't support the batches or transactions
        # SHOULD return an HTTP 400 error"; this server supports transactions only.
        raise FhirError(400, "not-supported", f"only transaction Bundles are processed, not {bundle.get('type')!r}")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise FhirError(400, "structure", "Bundle.entry must be an array of objects")
    full_urls = [entry["fullUrl"] for entry in entries if "fullUrl" in entry]
    if len(set(map(str, full_urls))) < len(full_urls):
        # R4 bundle.html bdl-7: "FullUrl must be unique in a bundle" (versions aside).
        raise FhirError(400, "invalid", "two entries have the same fullUrl")
    return entries


def _request(entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The resource type a POST entry creates, and its request; 400 for any other entry."""
    request = entry.get("request")
    if not isinstance(request, dict):
        raise FhirError(400, "required", "request is required in a transaction (R4 bundle.html bdl-3)")
    if request.get("method") != "POST":
        raise FhirError(400, "not-supported", f"only POST entries are processed, not {request.get('method')!r}")
    url = request.get("url")
    if not (isinstance(url, str) and url in RESOURCE_TYPES):
        raise FhirError(400, "invalid", f"request.url of a POST is the resource type, not {url!r}")
    return url, request


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise FhirError(400, "structure", f"request.{name} must be a string")
    return value


@contextmanager
def _at(index: int) -> Iterator[None]:
    """Point a refusal at its entry, in the diagnostics and the issue's expression (R4 operationoutcome.html)."""
    try:
        yield
    except FhirError as exc:
        where = f"Bundle.entry[{index}]"
        message = f"{where}: {exc.diagnostics}"
        raise FhirError(exc.status, exc.code, message, exc.headers, exc.rule, expression=where) from None
