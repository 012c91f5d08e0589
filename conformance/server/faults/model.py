"""What a fault is, and the stages of a request at which the app lets faults change what it does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.server.fhirhttp import FhirError, Rule

if TYPE_CHECKING:
    from conformance.server.storage import Storage

# Stages, and what `target` is at each.
CREATE_ASSIGN = "create-assign"  # Assignment: the resource about to be stored
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
STAGES = (
    CREATE_ASSIGN,
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
)


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
    """A create body read as a JSON object, the resource type its URL names, and where it would be stored."""

    resource: dict[str, Any]
    url_type: str
    storage: Storage
    tenant: str


@dataclass
class ErrorReply:
    """A refusal still open to change; its body is an OperationOutcome, plain text, or nothing (None)."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any] | str | None
    rule: Rule | None
    prefer: str | None


@dataclass(frozen=True)
class Fault:
    """One deliberate defect of the reference server; `config` holds the ServerConfig settings it needs to show."""

    name: str
    breaks: str
    description: str
    stage: str
    apply: Callable[[Any], None]
    config: Mapping[str, Any] = field(default_factory=dict, hash=False)
