"""Running the reference server with uvicorn: in a daemon thread (tests, the suite) or in front."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from conformance.server.app import build_app
from conformance.server.config import ServerConfig

STARTUP_TIMEOUT = 10.0


class RunningServer:
    """A reference server serving in a daemon thread; `stop()` or leaving `with` ends it."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, app: Starlette, url: str):
        """Wrap a started uvicorn server."""
        self.url = url
        self._server = server
        self._thread = thread
        self._app = app

    def stop(self) -> None:
        """Ask uvicorn to exit, wait for its thread, then close the storage."""
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT)
        self._app.state.api.storage.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket up front, so port 0 has its real number before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not create_server's 0: asyncio only sets TCP_NODELAY on accepted
    # sockets that say they are TCP, and without it keep-alive replies wait ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url_of(sock: socket.socket, config: ServerConfig) -> str:
    """The FHIR base URL a bound socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{config.base_path}"


def uvicorn_server(app: ASGIApp) -> uvicorn.Server:
    """A quiet uvicorn server: warnings only, no access log, no lifespan."""
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))


def serve(config: ServerConfig, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start a reference server in a daemon thread; return once it accepts connections."""
    app = build_app(config)
    sock = listen(host, port)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            app.state.api.storage.close()
            raise RuntimeError(f"reference server on {host}:{port} did not start in {STARTUP_TIMEOUT:g} s")
        time.sleep(0.002)
    return RunningServer(server, thread, app, url_of(sock, config))
