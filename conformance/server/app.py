"""The reference server's FHIR R4 JSON API: (conditional) create, transaction, read, vread, delete, search, metadata."""

from __future__ import annotations

import copy
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.server import faults
from conformance.server.capability import capability_statement
from conformance.server.conditional import condition_of, required
from conformance.server.config import ServerConfig
from conformance.server.creation import assign, refusals
from conformance.server.faults import Assignment, Caller, Condition, ErrorReply, Reply, Scope, Stored
from conformance.server.fhirhttp import (
    FHIR_JSON,
    FhirError,
    error_outcome,
    error_response,
    fhir_response,
    location,
    operation_outcome,
    version_headers,
)
from conformance.server.negotiation import check_accept, check_content_type, prefer_return, read_body
from conformance.server.r4types import RESOURCE_TYPES
from conformance.server.search import index_entries, parse_query
from conformance.server.storage import Created, Record, Storage, now_instant
from conformance.server.transaction import Transaction, default_plan, response_bundle
from conformance.server.validation import parse_resource, validate

ISSUE_CODES = {404: "not-found", 405: "not-supported"}


class FhirApi:
    """The endpoints, bound to one configuration and one storage."""

    def __init__(self, config: ServerConfig) -> None:
        """Open the storage of `config`."""
        self.config = config
        self.storage = Storage(config.database, index_entries)
        self.started = now_instant()

    def metadata(self, request: Request) -> Response:
        """GET [base]/metadata (R4 http.html#capabilities); public, like the spec expects."""
        check_accept(request)
        body = capability_statement(self.config, self._base(request), self.started)
        return fhir_response(200, body)

    async def create(self, request: Request) -> Response:
        """POST [base]/[type] (R4 http.html#create), conditional with a condition (#ccreate)."""
        tenant, rtype = self._prelude(request)
        check_content_type(request)
        condition = condition_of(request, rtype, self.config.conditional_query)
        body = await read_body(request)
        response = await run_in_threadpool(self._create, request, tenant, rtype, body, condition)
        if getattr(request.state, "refuse_after", False):  # a fault stores first, and refuses afterwards
            raise self._unauthorized()
        return response

    def _create(self, request: Request, tenant: str, rtype: str, body: bytes, condition: Condition | None) -> Response:
        original = parse_resource(body, rtype)
        if self.config.validates:
            validate(original, self.config.invalid_status)
        resource = assign(original, tenant, self.config.id_policy)
        assignment = Assignment(resource, original, self.config.id_policy, self.storage, tenant)
        faults.apply(self.config.faults, faults.CREATE_ASSIGN, assignment)
        with refusals():
            done = self._store(tenant, assignment.resource, condition)
        reply = self._answer(request, done)
        if done.created:
            faults.apply(self.config.faults, faults.CREATE_RESPONSE, reply)
            faults.apply(self.config.faults, faults.CREATE_STORED, Stored(self.storage, tenant, reply))
        else:  # a conditional create that matched one resource (R4 http.html#ccreate)
            faults.apply(self.config.faults, faults.MATCH_RESPONSE, reply)
        return _render(reply)

    def _store(self, tenant: str, resource: dict[str, Any], condition: Condition | None) -> Created:
        """Insert; with a condition, check and insert in one storage transaction (R4 http.html#ccreate)."""
        if condition is None:
            return self.storage.create(tenant, resource)
        faults.apply(self.config.faults, faults.CONDITION, condition)
        return condition.store(self.storage, tenant, resource, required(condition.criteria))

    async def transaction(self, request: Request) -> Response:
        """POST [base] with a transaction Bundle (R4 http.html#transaction)."""
        tenant = self._tenant(request)
        check_accept(request)
        check_content_type(request)
        body = await read_body(request)
        return await run_in_threadpool(self._transaction, request, tenant, body)

    def _transaction(self, request: Request, tenant: str, body: bytes) -> Response:
        bundle = parse_resource(body, "Bundle")
        plan = default_plan(self.storage)
        faults.apply(self.config.faults, faults.TRANSACTION, plan)
        outcomes = Transaction(self.storage, self.config, tenant, plan).run(bundle)
        base, prefer = self._base(request), prefer_return(request.headers.get("prefer"))
        response = response_bundle(outcomes, base, prefer)
        reply = Reply(200, {}, response, response, base, prefer)
        faults.apply(self.config.faults, faults.TRANSACTION_RESPONSE, reply)
        return _render(reply)

    def read(self, request: Request) -> Response:
        """GET [base]/[type]/[id] (R4 http.html#read)."""
        tenant, rtype = self._prelude(request)
        rid = request.path_params["rid"]
        found = (self.storage.read(t, rtype, rid) for t in self._scope(faults.READ_SCOPE, tenant))
        return self._found(request, next(filter(None, found), None), faults.READ_RESPONSE)

    def vread(self, request: Request) -> Response:
        """GET [base]/[type]/[id]/_history/[vid] (R4 http.html#vread)."""
        tenant, rtype = self._prelude(request)
        params = request.path_params
        record = self.storage.vread(tenant, rtype, params["rid"], params["vid"])
        return self._found(request, record, faults.VREAD_RESPONSE)

    def delete(self, request: Request) -> Response:
        """DELETE [base]/[type]/[id]: 204, also when there was nothing to delete."""
        # R4 http.html#delete: 204 "Upon successful deletion, or if the resource does not exist".
        tenant, rtype = self._prelude(request)
        self.storage.delete(tenant, rtype, request.path_params["rid"])
        return Response(status_code=204)

    def search(self, request: Request) -> Response:
        """GET [base]/[type]?params (R4 http.html#search): a searchset Bundle."""
        tenant, rtype = self._prelude(request)
        criteria = parse_query(rtype, request.query_params.multi_items())
        found: list[dict[str, Any]] = []
        total = 0
        for visible in self._scope(faults.SEARCH_SCOPE, tenant):
            count, matches = self.storage.search(visible, rtype, criteria, _count(request))
            total, found = total + count, found + matches
        base = self._base(request)
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total}
        bundle["link"] = [{"relation": "self", "url": str(request.url)}]
        entries = [
            {"fullUrl": location(base, rtype, r["id"], None), "resource": r, "search": {"mode": "match"}} for r in found
        ]
        if entries:  # R4 json.html: arrays are never empty
            bundle["entry"] = entries
        return fhir_response(200, bundle)

    def _prelude(self, request: Request) -> tuple[str, str]:
        """Authenticate, negotiate and check the type: (tenant, resource type)."""
        tenant = self._tenant(request)
        check_accept(request)
        rtype = request.path_params["rtype"]
        if rtype not in RESOURCE_TYPES:
            # R4 http.html#create: 404 "resource type not supported, or not a FHIR end-point".
            raise FhirError(404, "not-supported", f"{rtype!r} is not an R4 resource type")
        return tenant, rtype

    def _tenant(self, request: Request) -> str:
        """The caller's tenant tag ('SYSTEM|CODE'), '' on a single-tenant server; else 401."""
        header = self.config.api_key_header
        if header is None:
            return ""
        key = request.headers.get(header)
        known = tuple(self.config.tenants.values())
        caller = Caller(request.method, key, self.config.tenants.get(key) if key else None, known)
        faults.apply(self.config.faults, faults.AUTHENTICATE, caller)
        request.state.refuse_after = caller.refuse_after
        if caller.tenant is None:
            raise self._unauthorized()
        return caller.tenant

    def _unauthorized(self) -> FhirError:
        """401 for a request without a known key, naming the header it goes in (RFC 9110 #401)."""
        header = self.config.api_key_header
        challenge = {"WWW-Authenticate": f'ApiKey header="{header}"'}
        return FhirError(401, "security", f"a known API key is required in {header}", challenge)

    def _scope(self, stage: str, tenant: str) -> list[str]:
        """The tenants whose resources a read or search returns: the caller's own, unless a fault widens it."""
        scope = Scope(tenant, [tenant], tuple(self.config.tenants.values()))
        faults.apply(self.config.faults, stage, scope)
        return scope.visible

    def _base(self, request: Request) -> str:
        """The absolute FHIR base, from the request's own scheme, host and port."""
        return str(request.base_url).rstrip("/") + self.config.base_path

    def _answer(self, request: Request, done: Created) -> Reply:
        """201 for a new resource, 200 for the one a condition matched (R4 http.html#create, #ccreate)."""
        # Either way: Location, ETag and Last-Modified of the resource's current version
        # (#versioning), and the body Prefer asks for, as on a plain create (#prefer).
        stored = done.resource
        base, rtype, rid = self._base(request), stored["resourceType"], stored["id"]
        vid = str(stored["meta"]["versionId"])
        headers = {"Location": location(base, rtype, rid, vid), **version_headers(stored)}
        prefer = prefer_return(request.headers.get("prefer"))
        if prefer == "minimal":
            body = None
        elif prefer == "OperationOutcome":
            what = "created" if done.created else "matched the existing"
            body = operation_outcome("information", "informational", f"{what} {rtype}/{rid} version {vid}")
        else:  # return=representation, or no preference: the server's choice (R4 http.html#prefer)
            body = copy.deepcopy(stored)
        return Reply(201 if done.created else 200, headers, body, stored, base, prefer)

    def _found(self, request: Request, record: Record | None, stage: str) -> Response:
        """Answer a read or vread: 404 unknown, 410 deleted (R4 http.html#read, #vread)."""
        rtype, rid = request.path_params["rtype"], request.path_params["rid"]
        if record is None:
            raise FhirError(404, "not-found", f"{rtype}/{rid} is not known")
        if record.resource is None:
            raise FhirError(410, "deleted", f"{rtype}/{rid} was deleted")
        resource = record.resource
        reply = Reply(200, version_headers(resource), copy.deepcopy(resource), resource, self._base(request))
        faults.apply(self.config.faults, stage, reply)
        return _render(reply)


def _render(reply: Reply) -> Response:
    if reply.raw is not None:
        return Response(reply.raw, status_code=reply.status, headers={"Content-Type": FHIR_JSON, **reply.headers})
    return fhir_response(reply.status, reply.body, reply.headers)


def _count(request: Request) -> int | None:
    """The `_count` of a search (R4 search.html#count), or None for all."""
    raw = request.query_params.get("_count")
    if raw is None:
        return None
    if not raw.isdigit():
        raise FhirError(400, "invalid", f"_count must be a non-negative integer, not {raw!r}")
    return int(raw)


async def _fhir_error(request: Request, exc: Exception) -> Response:
    """The server's own refusals, as the faults of the app that refused leave them."""
    assert isinstance(exc, FhirError)
    reply = ErrorReply(exc.status, dict(exc.headers), error_outcome(exc))
    faults.apply(request.app.state.api.config.faults, faults.ERROR_RESPONSE, reply)
    return fhir_response(reply.status, reply.body, reply.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no route, wrong method) as OperationOutcomes."""
    assert isinstance(exc, HTTPException)
    code = ISSUE_CODES.get(exc.status_code, "processing")
    return error_response(FhirError(exc.status_code, code, str(exc.detail), exc.headers))


async def _crash(request: Request, exc: Exception) -> Response:
    """A bug still answers with an OperationOutcome (R4 http.html: one SHOULD accompany errors)."""
    return error_response(FhirError(500, "exception", f"internal error: {type(exc).__name__}"))


def build_app(config: ServerConfig) -> Starlette:
    """Build the ASGI app of one reference server; every FHIR route lives under base_path."""
    api = FhirApi(config)
    base = config.base_path
    # POST [base] (R4 http.html#transaction), and [base]/ as many clients send it.
    transaction_paths = sorted({base or "/", f"{base}/"})
    routes = [
        *(Route(path, api.transaction, methods=["POST"]) for path in transaction_paths),
        Route(f"{base}/metadata", api.metadata, methods=["GET"]),
        Route(f"{base}/{{rtype}}", api.search, methods=["GET"]),
        Route(f"{base}/{{rtype}}", api.create, methods=["POST"]),
        Route(f"{base}/{{rtype}}/{{rid}}", api.read, methods=["GET"]),
        Route(f"{base}/{{rtype}}/{{rid}}", api.delete, methods=["DELETE"]),
        Route(f"{base}/{{rtype}}/{{rid}}/_history/{{vid}}", api.vread, methods=["GET"]),
    ]
    handlers = {FhirError: _fhir_error, HTTPException: _http_error, Exception: _crash}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.api = api
    return app
