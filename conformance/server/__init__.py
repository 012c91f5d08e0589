"""The embedded reference server: a small FHIR R4 server with switchable, named faults.

    with serve(ServerConfig(faults=frozenset({"no-etag"}))) as server:
        httpx.post(f"{server.url}/Patient", ...)

or alone: python -m conformance.server --port 8080 [--fault NAME ...] (--help, --list-faults).
"""

from conformance.server.app import build_app
from conformance.server.config import ServerConfig
from conformance.server.runner import RunningServer, serve

__all__ = ["RunningServer", "ServerConfig", "build_app", "serve"]
