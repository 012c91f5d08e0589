"""Instruments for measuring the suite against the reference server: added latency, and a request log.

Neither changes what the server answers; both wrap the ASGI app (python -m conformance.server
--latency-ms 50 --record requests.jsonl), so the benchmark can time a run over a slow network and
replay the very requests a run made.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Latency:
    """Delay every HTTP request by a fixed time before the app sees it, as a network round trip would."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


class Recorder:
    """Append each HTTP request (method, path and query, headers, body) to a JSON-lines file."""

    def __init__(self, app: ASGIApp, log: TextIO) -> None:
        self.app = app
        self.log = log
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[bytes] = []

        async def remembered() -> Message:
            message = await receive()
            body.append(message.get("body", b""))
            return message

        await self.app(scope, remembered, send)
        self._write(scope, b"".join(body))

    def _write(self, scope: Scope, body: bytes) -> None:
        """Write one request as a line."""
        query = scope.get("query_string", b"").decode("latin-1")
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"] + (f"?{query}" if query else ""),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body": base64.b64encode(body).decode("ascii"),
        }
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()


def instrument(app: ASGIApp, latency_ms: int, record: TextIO | None) -> ASGIApp:
    """Wrap an app with the instruments asked for (none: the app itself)."""
    wrapped = Recorder(app, record) if record is not None else app
    return Latency(wrapped, latency_ms / 1000) if latency_ms else wrapped
