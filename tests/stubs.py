"""Small misbehaving FHIR servers for the self-tests: ones the reference server's faults cannot model."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

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


@contextmanager
def raw_server(answer: Callable[[socket.socket, int], None]) -> Iterator[str]:
    """Serve raw sockets: each connection, numbered from 0 as it comes, goes to ``answer`` on a thread of its own."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for number in itertools.count():
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener is closed: the test is over
                return
            threading.Thread(target=answer, args=(connection, number), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def dropping_server() -> AbstractContextManager[str]:
    """Close the first connection after reading its request, without an answer; answer later ones 200 and close."""

    def answer(connection: socket.socket, number: int) -> None:
        with connection:
            connection.recv(65536)
            if number:
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 2\r\n"
                    b"Connection: close\r\n\r\n{}"
                )

    return raw_server(answer)


def endless_server(pause: float) -> AbstractContextManager[str]:
    """Answer 200 with a body that never ends: a byte every ``pause`` seconds, or as fast as it goes (0)."""

    def answer(connection: socket.socket, number: int) -> None:
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n\r\n")
                while True:
                    connection.sendall(b" " * (1 if pause else 65536))
                    time.sleep(pause)
            except OSError:  # the client gave up
                return

    return raw_server(answer)


@contextmanager
def blind_search_proxy(upstream: str) -> Iterator[str]:
    """Pass every request on to ``upstream``, but answer every search with an empty searchset (as a server does
    whose search index lags behind its writes)."""
    client = httpx.Client(base_url=upstream, timeout=10)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if "?" in self.path:
                data = json.dumps(EMPTY).encode()
                self._send(200, [("Content-Type", "application/fhir+json")], data)
            else:
                self._forward()

        def do_POST(self) -> None:
            self._forward()

        def do_DELETE(self) -> None:
            self._forward()

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # Host too, so that the Locations the server builds name this proxy.
            kept = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
            answer = client.request(self.command, self.path, headers=kept, content=body)
            passed = [(k, v) for k, v in answer.headers.items() if k.lower() in ("content-type", "location", "etag")]
            self._send(answer.status_code, passed, answer.content)

        def _send(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for name, value in [*headers, ("Content-Length", str(len(data)))]:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            """Stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        client.close()
