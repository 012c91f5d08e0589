"""What a fault is, and the stages of a request at which the app lets faults change what it does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from conformance.server.storage import Created, Criterion, Storage

# Stages, and what `target` is at each.
CREATE_ASSIGN = "create-assign"  # Assignment: the resource about to be stored
CREATE_RESPONSE = "create-response"  # Reply to a successful create
CREATE_STORED = "create-stored"  # Stored: the storage just after a create, and the create's reply
READ_RESPONSE = "read-response"  # Reply to a successful read
VREAD_RESPONSE = "vread-response"  # Reply to a successful vread
CONDITION = "create-condition"  # Condition: a conditional create about to store
MATCH_RESPONSE = "match-response"  # Reply to a conditional create that matched one resource
TRANSACTION = "transaction"  # TransactionPlan: a transaction Bundle about to run
STAGES = (
    CREATE_ASSIGN,
    CREATE_RESPONSE,
    CREATE_STORED,
    READ_RESPONSE,
    VREAD_RESPONSE,
    CONDITION,
    MATCH_RESPONSE,
    TRANSACTION,
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
class Condition:
    """A conditional create about to run: its criteria, where the client gave them, and how it stores."""

    criteria: list[Criterion]
    source: str  # "header" (If-None-Exist) or "query" (POST [type]?params)
    store: Store = Storage.create  # the atomic check-and-insert


@dataclass
class TransactionPlan:
    """How a transaction is about to run: its entries' conditions, its atomic scope, the links it rewrites."""

    if_none_exist: Callable[[dict[str, Any]], Any]  # an entry's condition, read from its request
    scope: Callable[[], AbstractContextManager[Any]]  # wraps every entry, so all are stored or none
    rewrites: set[str]  # the kinds of element whose placeholder links are rewritten


@dataclass(frozen=True)
class Fault:
    """One deliberate defect of the reference server."""

    name: str
    breaks: str
    description: str
    stage: str
    apply: Callable[[Any], None]
