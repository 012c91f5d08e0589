"""Small misbehaving FHIR servers for the self-tests: ones the reference server's faults cannot model."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATEMENT = {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1"}
EMPTY = {"resourceType": "Bundle", "type": "searchset", "total": 0}


@contextmanager
def stub_server(post_status: int | None) -> Iterator[str]:
    """Serve /metadata and empty searches; answer every POST with ``post_status``, or never (None)."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._send(200, STATEMENT if self.path.startswith("/metadata") else EMPTY)

        def do_DELETE(self) -> None:
            self._send(204, None)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if post_status is None:
                release.wait()  # the request is read, and never answered
                return
            outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "security"}]}
            self._send(post_status, outcome)

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            """Stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
