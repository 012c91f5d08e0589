"""Answering refusals: the server's own, Starlette's (no route, wrong method) and crashes alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from conformance.server import faults
from conformance.server.faults import ErrorReply
from conformance.server.fhirhttp import FhirError, fhir_response, operation_outcome
from conformance.server.negotiation import prefer_return

ISSUE_CODES = {404: "not-found", 405: "not-supported"}


class Refusals:
    """The app's exception handlers, with the faults of one server."""

    def __init__(self, fault_names: frozenset[str]) -> None:
        """Keep the names of the faults switched on."""
        self.fault_names = fault_names

    def handlers(self) -> Mapping[Any, Any]:
        """Starlette's exception_handlers: each kind of failure to its handler."""
        return {FhirError: self.refused, HTTPException: self.not_routed, Exception: self.crashed}

    async def refused(self, request: Request, exc: Exception) -> Response:
        """A refusal of the server's own."""
        assert isinstance(exc, FhirError)
        return self.answer(request, exc)

    async def not_routed(self, request: Request, exc: Exception) -> Response:
        """Starlette's refusals: no such route (404), a method the route lacks (405)."""
        assert isinstance(exc, HTTPException)
        code = ISSUE_CODES.get(exc.status_code, "processing")
        return self.answer(request, FhirError(exc.status_code, code, str(exc.detail), exc.headers))

    async def crashed(self, request: Request, exc: Exception) -> Response:
        """A bug: still a 500 with an OperationOutcome."""
        return self.answer(request, FhirError(500, "exception", f"internal error: {type(exc).__name__}"))

    def answer(self, request: Request, error: FhirError) -> Response:
        """The status and an OperationOutcome (R4 http.html#create: one SHOULD accompany an error)."""
        # R4 http.html#prefer: "In case of failure, servers SHOULD always return a body that
        # contains an OperationOutcome resource", whatever return= preference the client gave.
        outcome = operation_outcome("error", error.code, error.diagnostics, error.expression)
        prefer = prefer_return(request.headers.get("prefer"))
        reply = ErrorReply(error.status, dict(error.headers), outcome, error.rule, prefer)
        faults.apply(self.fault_names, faults.ERROR_RESPONSE, reply)
        if isinstance(reply.body, str):
            return PlainTextResponse(reply.body, status_code=reply.status, headers=reply.headers)
        return fhir_response(reply.status, reply.body, reply.headers)
