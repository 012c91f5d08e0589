"""What a fault is, and the stages of a request at which the app lets faults change what it does."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from conformance.server.fhirhttp import FhirError, Rule
from conformance.server.storage import Created, Criterion, Storage

# Stages, and what `target` is at each.
CREATE_ASSIGN = "create-assign"  # Assignment: the resource about to be stored
TENANT_TAGGED = "tenant-tagged"  # Assignment: a resource just given its tenant's tag (transaction entries too)
CREATE_RESPONSE = "create-response"  # Reply to a successful create
CREATE_STORED = "create-stored"  # Stored: the storage just after a create, and the create's reply
READ_RESPONSE = "read-response"  # Reply to a successful read
VREAD_RESPONSE = "vread-response"  # Reply to a successful vread
AUTHENTICATE = "authenticate"  # Caller: who a request on a multi-tenant server acts for
READ_SCOPE = "read-scope"  # Scope: the tenants whose resources a read may return
SEARCH_SCOPE = "search-scope"  # Scope: the tenants whose resources a search may return
REQUEST_CHECK = "request-check"  # Check: one rule a request was judged by, and the refusal it earned
CREATE_PARSED = "create-parsed"  # Submitted: a create body read as a JSON object, before its type is checked
CREATE_REFUSED = "create-refused"  # Submitted: a parsed create body refused for its type, id or content
ERROR_RESPONSE = "error-response"  # ErrorReply: every refusal, just before it is sent
CONDITION = "create-condition"  # Condition: a conditional create about to store
MATCH_RESPONSE = "match-response"  # Reply to a conditional create that matched one resource
TRANSACTION = "transaction"  # TransactionPlan: a transaction Bundle about to run
TRANSACTION_RESPONSE = "transaction-response"  # Reply: a successful transaction's response Bundle
STAGES = (
    CREATE_ASSIGN,
    TENANT_TAGGED,
    CREATE_RESPONSE,
    CREATE_STORED,
    READ_RESPONSE,
    VREAD_RESPONSE,
    AUTHENTICATE,
    READ_SCOPE,
    SEARCH_SCOPE,
    REQUEST_CHECK,
    CREATE_PARSED,
    CREATE_REFUSED,
    ERROR_RESPONSE,
    CONDITION,
    MATCH_RESPONSE,
    TRANSACTION,
    TRANSACTION_RESPONSE,
)

# How a conditional create stores: (storage, tenant, resource, criteria) -> what it did.
Store = Callable[[Storage, str, dict[str, Any], Sequence[Criterion]], Created]


@dataclass
class Assignment:
    """The resource the server is about to store, beside what the client sent."""

    resource: dict[str, Any]
    original: dict[str, Any]
    id_policy: str
    storage: Storage
    tenant: str


@dataclass
class Reply:
    """A successful response still open to change: status, headers, body (None: no body)."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None
    resource: dict[str, Any]
    base: str
    prefer: str | None = None
    raw: bytes | None = None  # the body as bytes, when a fault writes it itself


@dataclass
class Stored:
    """The server's storage just after a create was stored, beside the reply about to be sent."""

    storage: Storage
    tenant: str
    reply: Reply


@dataclass
class Caller:
    """Who a request acts for: the key it sent and its tenant tag (None: no known key, answered 401)."""

    method: str
    key: str | None
    tenant: str | None
    tenants: tuple[str, ...]  # every tenant the server knows, in the order configured
    refuse_after: bool = False  # serve the request, then answer 401 all the same


@dataclass
class Scope:
    """The tenants whose resources one read or search may return: the caller's own."""

    tenant: str
    visible: list[str]
    tenants: tuple[str, ...]  # every tenant the server knows


@dataclass
class Check:
    """A rule the server judged a request by: what it judged, and the refusal (None: the request passed)."""

    rule: Rule
    subject: str
    error: FhirError | None
    query: dict[str, str] = field(default_factory=dict)  # the request's query parameters


@dataclass
class Submitted:
    """A create body read as a JSON object, the resource type its URL names, where it would be stored, and (once
    refused) the refusal."""

    resource: dict[str, Any]
    url_type: str
    storage: Storage
    tenant: str
    refusal: FhirError | None = None


@dataclass
class ErrorReply:
    """A refusal still open to change; its body is an OperationOutcome, plain text, or nothing (None)."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any] | str | None
    rule: Rule | None
    prefer: str | None


@dataclass
class Condition:
    """A create about to store: its criteria (none: a plain create), where they came from, and how it stores."""

    rtype: str
    criteria: list[Criterion]
    source: str  # "header" (If-None-Exist), "query" (POST [type]?params) or "transaction" (ifNoneExist)
    store: Store = Storage.create  # the atomic check-and-insert


def _settled(storage: Storage, tenant: str, conditions: list[Condition]) -> None:
    """Leave every entry's condition to be checked inside the transaction, with its insert."""


@dataclass
class TransactionPlan:
    """How a transaction is about to run: its entries' conditions, its atomic scope, the links it rewrites."""

    if_none_exist: Callable[[dict[str, Any]], Any]  # an entry's condition, read from its request
    scope: Callable[[], AbstractContextManager[Any]]  # wraps every entry, so all are stored or none
    rewrites: set[str]  # the kinds of element whose placeholder links are rewritten
    # Runs before the scope opens, with one Condition per entry (criteria [] for a plain POST).
    prepare: Callable[[Storage, str, list[Condition]], None] = _settled
    keep_versions: bool = True  # a version-specific link stays version-specific (R4 http.html#trules)


@dataclass(frozen=True)
class Fault:
    """One deliberate defect of the reference server; `config` holds the ServerConfig settings it needs to show."""

    name: str
    breaks: str
    description: str
    stage: str
    apply: Callable[[Any], None]
    config: Mapping[str, Any] = field(default_factory=dict, hash=False)


def setting(**changes: Any) -> Callable[[Any], None]:
    """Return a fault's effect that sets attributes of its target (a step of a Condition or TransactionPlan)."""

    def change(target: Any) -> None:
        for name, value in changes.items():
            setattr(target, name, value)

    return change
