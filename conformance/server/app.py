"""The reference server's HTTP API: FHIR R4 JSON (conditional) create, transaction, read, vread, delete, search,
metadata."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.server import faults, parsing
from conformance.server.capability import capability_statement
from conformance.server.conditional import condition_of, required
from conformance.server.config import ServerConfig
from conformance.server.creation import answer, storage_refusals
from conformance.server.faults import Assignment, Caller, Check, Condition, Reply, Scope, Stored, Submitted
from conformance.server.fhirhttp import (
    FHIR_JSON_TYPE,
    ID_PATTERN,
    FhirError,
    Rule,
    content_type,
    fhir_response,
    location,
    version_headers,
)
from conformance.server.negotiation import (
    content_type_problem,
    not_acceptable,
    prefer_return,
    read_body,
    response_type,
)
from conformance.server.r4types import RESOURCE_TYPES
from conformance.server.refusals import Refusals
from conformance.server.search import index_entries, parse_query
from conformance.server.storage import FIRST_VERSION, Created, Record, Storage, now_instant
from conformance.server.transaction import Transaction, default_plan, response_bundle
from conformance.server.validation import as_judged, invalid, unprofiled


class FhirApi:
    """The endpoints, bound to one configuration and one storage."""

    def __init__(self, config: ServerConfig) -> None:
        """Open the storage of `config`."""
        self.config = config
        self.storage = Storage(config.database, index_entries)
        self.started = now_instant()

    def metadata(self, request: Request) -> Response:
        """GET [base]/metadata (R4 http.html#capabilities); public, like the spec expects."""
        media = self._media(request)
        body = capability_statement(self.config, self._base(request), self.started)
        return fhir_response(200, body, content_type(media))

    async def create(self, request: Request) -> Response:
        """POST [base]/[type] (R4 http.html#create), conditional with a condition (#ccreate)."""
        tenant, rtype, media = self._prelude(request)
        header = request.headers.get("content-type", "")
        self._check(Rule.CONTENT_TYPE, header, content_type_problem(header), request.query_params)
        condition = condition_of(request, rtype, self.config.conditional_query)
        body = await read_body(request)
        create = partial(self._create, request, (tenant, rtype, media), body, condition)
        # A conditional create runs on a worker thread, so concurrent ones overlap as on a real server: what
        # keeps them to one resource is the storage's check-and-insert, not the event loop. A plain create
        # (SQLite, in memory or WAL) is quicker done at once than handed to a thread.
        response = await run_in_threadpool(create) if condition is not None else create()
        if getattr(request.state, "refuse_after", False):  # a fault stores first, and refuses afterwards
            raise self._unauthorized()
        return response

    def _create(
        self, request: Request, where: tuple[str, str, str], body: bytes, condition: Condition | None
    ) -> Response:
        tenant, rtype, media = where
        submitted = self._read(body, rtype, tenant)
        try:
            resource = self._accept(submitted.resource, rtype, tenant)
        except FhirError as refusal:
            submitted.refusal = refusal
            faults.apply(self.config.faults, faults.CREATE_REFUSED, submitted)
            raise
        assignment = Assignment(resource, submitted.resource, self.config.id_policy, self.storage, tenant)
        faults.apply(self.config.faults, faults.CREATE_ASSIGN, assignment)
        with storage_refusals():
            done = self._store(tenant, assignment.resource, condition)
        prefer = prefer_return(request.headers.get("prefer"))
        reply = answer(done, self._base(request), prefer, content_type(media))
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
        tenant, media = self._tenant(request), self._media(request)
        header = request.headers.get("content-type", "")
        self._check(Rule.CONTENT_TYPE, header, content_type_problem(header), request.query_params)
        body = await read_body(request)
        return await run_in_threadpool(self._transaction, request, tenant, media, body)

    def _transaction(self, request: Request, tenant: str, media: str, body: bytes) -> Response:
        bundle = parsing.as_object(parsing.read_json(body).value)
        parsing.check_type(bundle, "Bundle")
        plan = default_plan(self.storage)
        faults.apply(self.config.faults, faults.TRANSACTION, plan)
        # Each entry is accepted as a create of its own would be (R4 http.html#transaction).
        outcomes = Transaction(self.storage, tenant, plan, self._accept).run(bundle)
        base, prefer = self._base(request), prefer_return(request.headers.get("prefer"))
        response = response_bundle(outcomes, base, prefer)
        reply = Reply(200, content_type(media), response, response, base, prefer)
        faults.apply(self.config.faults, faults.TRANSACTION_RESPONSE, reply)
        return _render(reply)

    def _read(self, body: bytes, rtype: str, tenant: str) -> Submitted:
        """The JSON object a create body holds (R4 http.html#create: 400 when it "could not be parsed")."""
        parsed = parsing.read_json(body)
        self._check(Rule.DUPLICATE_NAMES, ", ".join(parsed.repeated), parsing.repeated_names(parsed.repeated))
        submitted = Submitted(parsing.as_object(parsed.value), rtype, self.storage, tenant)
        faults.apply(self.config.faults, faults.CREATE_PARSED, submitted)
        return submitted

    def _accept(self, original: dict[str, Any], rtype: str, tenant: str) -> dict[str, Any]:
        """The resource to store, once its type, its id and (when validating) its content pass."""
        parsing.check_type(original, rtype)
        resource = self._assign(original, tenant)  # first: a client id that is no R4 id gets 400
        if self.config.validates:
            self._validate(original)
        return resource

    def _validate(self, original: dict[str, Any]) -> None:
        """Refuse invalid content, then content that breaks a profile it claims (R4 http.html#create)."""
        judged = as_judged(original, keep_id=self.config.id_policy == "respect")
        rtype, status = original["resourceType"], self.config.invalid_status
        self._check(Rule.INVALID, rtype, invalid(judged, status))
        self._check(Rule.PROFILE, rtype, unprofiled(judged, status))

    def _check(self, rule: Rule, subject: str, error: FhirError | None, query: Mapping[str, str] | None = None) -> None:
        """Raise the refusal a rule gave (None: the request passed), as the faults leave it."""
        check = Check(rule, subject, error, dict(query or {}))
        faults.apply(self.config.faults, faults.REQUEST_CHECK, check)
        if check.error is not None:
            raise check.error

    def _media(self, request: Request) -> str:
        """The media type to answer in (R4 http.html#mime-type); 406 when none is acceptable."""
        media = response_type(request)
        subject = request.query_params.get("_format") or request.headers.get("accept", "")
        self._check(Rule.ACCEPT, subject, None if media else not_acceptable())
        return media or FHIR_JSON_TYPE

    def read(self, request: Request) -> Response:
        """GET [base]/[type]/[id] (R4 http.html#read)."""
        tenant, rtype, media = self._prelude(request)
        rid = request.path_params["rid"]
        found = (self.storage.read(t, rtype, rid) for t in self._scope(faults.READ_SCOPE, tenant))
        return self._found(request, next(filter(None, found), None), faults.READ_RESPONSE, media)

    def vread(self, request: Request) -> Response:
        """GET [base]/[type]/[id]/_history/[vid] (R4 http.html#vread)."""
        tenant, rtype, media = self._prelude(request)
        params = request.path_params
        record = self.storage.vread(tenant, rtype, params["rid"], params["vid"])
        return self._found(request, record, faults.VREAD_RESPONSE, media)

    def delete(self, request: Request) -> Response:
        """DELETE [base]/[type]/[id]: 204, also when there was nothing to delete."""
        # R4 http.html#delete: 204 "Upon successful deletion, or if the resource does not exist".
        tenant, rtype, _ = self._prelude(request)
        self.storage.delete(tenant, rtype, request.path_params["rid"])
        return Response(status_code=204)

    def search(self, request: Request) -> Response:
        """GET [base]/[type]?params (R4 http.html#search): a searchset Bundle."""
        tenant, rtype, media = self._prelude(request)
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
        return fhir_response(200, bundle, content_type(media))

    def _prelude(self, request: Request) -> tuple[str, str, str]:
        """Authenticate, negotiate and check the type: (tenant, resource type, response media type)."""
        tenant = self._tenant(request)
        media = self._media(request)
        rtype = request.path_params["rtype"]
        # R4 http.html#create: 404 "resource type not supported, or not a FHIR end-point".
        unknown = FhirError(404, "not-supported", f"{rtype!r} is not an R4 resource type", rule=Rule.UNKNOWN_TYPE)
        self._check(Rule.UNKNOWN_TYPE, rtype, None if rtype in RESOURCE_TYPES else unknown)
        return tenant, rtype, media

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

    def _assign(self, original: dict[str, Any], tenant: str) -> dict[str, Any]:
        """The resource to store: server-assigned id and meta, the client's other content kept."""
        # R4 http.html#create: the server SHALL ignore a client id, meta.versionId and
        # meta.lastUpdated; other meta (tags, profiles, security) stays.
        client_meta = original.get("meta")
        meta = copy.deepcopy(client_meta) if isinstance(client_meta, dict) else {}
        meta.update(versionId=FIRST_VERSION, lastUpdated=now_instant())
        if tenant:
            meta["tag"] = _tenant_tags(meta.get("tag"), tenant)
        rest = {k: copy.deepcopy(v) for k, v in original.items() if k not in ("resourceType", "id", "meta")}
        resource = {"resourceType": original["resourceType"], "id": self._new_id(original), "meta": meta, **rest}
        tagged = Assignment(resource, original, self.config.id_policy, self.storage, tenant)
        faults.apply(self.config.faults, faults.TENANT_TAGGED, tagged)
        return resource

    def _new_id(self, original: dict[str, Any]) -> str:
        """A fresh uuid, or (id policy respect, Aidbox style) the client's own id."""
        client_id = original.get("id")
        if self.config.id_policy != "respect" or client_id is None:
            return str(uuid.uuid4())
        valid = isinstance(client_id, str) and ID_PATTERN.fullmatch(client_id)
        message = "id must match [A-Za-z0-9\\-\\.]{1,64} (R4 datatypes.html#id)"
        refusal = None if valid else FhirError(400, "value", message, rule=Rule.CLIENT_ID)
        self._check(Rule.CLIENT_ID, str(client_id), refusal)
        return str(client_id)

    def _found(self, request: Request, record: Record | None, stage: str, media: str) -> Response:
        """Answer a read or vread: 404 unknown, 410 deleted (R4 http.html#read, #vread)."""
        rtype, rid = request.path_params["rtype"], request.path_params["rid"]
        if record is None:
            raise FhirError(404, "not-found", f"{rtype}/{rid} is not known")
        if record.resource is None:
            raise FhirError(410, "deleted", f"{rtype}/{rid} was deleted")
        resource = record.resource
        headers = {**version_headers(resource), **content_type(media)}
        reply = Reply(200, headers, copy.deepcopy(resource), resource, self._base(request))
        faults.apply(self.config.faults, stage, reply)
        return _render(reply)


def _render(reply: Reply) -> Response:
    if reply.raw is not None:
        return Response(reply.raw, status_code=reply.status, headers=reply.headers)
    return fhir_response(reply.status, reply.body, reply.headers)


def _tenant_tags(tags: Any, tenant: str) -> list[Any]:
    """Add the tenant's tag; drop client tags in the tenant system, so none can be spoofed."""
    system, _, code = tenant.partition("|")
    client_tags = tags if isinstance(tags, list) else []
    kept = [t for t in client_tags if not (isinstance(t, dict) and t.get("system") == system)]
    return [*kept, {"system": system, "code": code}]


def _count(request: Request) -> int | None:
    """The `_count` of a search (R4 search.html#count), or None for all."""
    raw = request.query_params.get("_count")
    if raw is None:
        return None
    if not raw.isdigit():
        raise FhirError(400, "invalid", f"_count must be a non-negative integer, not {raw!r}")
    return int(raw)


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
    app = Starlette(routes=routes, exception_handlers=Refusals(config.faults).handlers())
    app.state.api = api
    return app
