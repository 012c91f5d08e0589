"""Run the reference server alone: python -m conformance.server --port 8080 [--fault NAME ...]."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from conformance.server.app import build_app
from conformance.server.config import ServerConfig
from conformance.server.faults import REGISTRY
from conformance.server.instruments import instrument
from conformance.server.runner import listen, url_of, uvicorn_server

FAULTS_ENV = "FHIR_REFERENCE_FAULTS"


def build_parser() -> argparse.ArgumentParser:
    """The command line; every option maps onto one ServerConfig field."""
    parser = argparse.ArgumentParser(prog="python -m conformance.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--id-policy", choices=["ignore", "respect"], default="ignore")
    parser.add_argument("--invalid-status", type=int, choices=[400, 422], default=400)
    parser.add_argument("--validates", action="store_true", help="reject invalid resources")
    parser.add_argument("--conditional-query", action="store_true", help="claim POST [type]?params")
    parser.add_argument("--base-path", default="", help="e.g. /v1/fhir")
    parser.add_argument(
        "--api-key-header", help="every request needs a known key in it (default with tenants: x-api-key)"
    )
    parser.add_argument("--tenant", action="append", default=[], metavar="KEY=SYSTEM|CODE")
    parser.add_argument("--tenants", metavar="FILE", help="a keys file: one KEY=SYSTEM|CODE a line, # comments")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME", help=f"also from ${FAULTS_ENV}")
    parser.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    parser.add_argument("--database", default=":memory:", help="SQLite file (WAL); default in memory")
    parser.add_argument("--latency-ms", type=_milliseconds, default=0, help="delay each request, as a network would")
    parser.add_argument("--record", metavar="FILE", help="append each request to a JSON-lines file (benchmarks)")
    return parser


def _milliseconds(text: str) -> int:
    """Read a whole, non-negative number of milliseconds."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of milliseconds, not {text!r}")
    return int(text)


def config_from(args: argparse.Namespace, env: Mapping[str, str]) -> ServerConfig:
    """Build the ServerConfig; ValueError on a bad --tenant, keys file or an unknown fault."""
    tenants = {}
    for item in [*_keys_file(args.tenants), *args.tenant]:
        key, sep, tag = item.partition("=")
        if not sep:
            raise ValueError(f"a tenant must be KEY=SYSTEM|CODE, not {item!r}")
        tenants[key.strip()] = tag.strip()
    from_env = [name.strip() for name in env.get(FAULTS_ENV, "").split(",") if name.strip()]
    return ServerConfig(
        id_policy=args.id_policy,
        invalid_status=args.invalid_status,
        validates=args.validates,
        conditional_query=args.conditional_query,
        base_path=args.base_path,
        api_key_header=args.api_key_header or ("x-api-key" if tenants else None),
        tenants=tenants,
        faults=frozenset([*args.fault, *from_env]),
        database=args.database,
    )


def _keys_file(path: str | None) -> list[str]:
    """Read the KEY=SYSTEM|CODE lines of a keys file (blank lines and # comments aside)."""
    if path is None:
        return []
    try:
        lines = Path(path).read_text("utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"--tenants: cannot read {path}: {exc.strerror}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def list_faults() -> str:
    """One line per fault: name, the requirement it breaks, what it does."""
    width = max(len(name) for name in REGISTRY)
    return "\n".join(f"{f.name:<{width}}  {f.breaks:<30}  {f.description}" for f in REGISTRY.values())


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C; exit 2 on bad arguments (argparse's convention), 1 if it cannot listen."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_faults:
        print(list_faults())
        return 0
    try:
        config = config_from(args, os.environ)
    except ValueError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    try:
        sock = listen(args.host, args.port)
    except RuntimeError as exc:  # e.g. the port is taken: not a usage error
        parser.exit(1, f"{parser.prog}: error: {exc}\n")
    print(f"serving FHIR R4 at {url_of(sock, config)}", flush=True)
    with contextlib.ExitStack() as stack:
        record = stack.enter_context(open(args.record, "a", encoding="utf-8")) if args.record else None
        app = instrument(build_app(config), args.latency_ms, record)
        # uvicorn handles Ctrl-C itself, then re-raises the SIGINT once it has shut down.
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn_server(app).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
