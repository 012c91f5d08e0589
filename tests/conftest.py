"""Shared helpers of the self-tests: the repo's scenario cases, and running the suite as a user does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import resultsfile

REPO = Path(__file__).resolve().parent.parent
Client = Callable[..., httpx.Client]


@dataclass(frozen=True)
class SuiteRun:
    """What one run of the suite printed, returned and wrote."""

    returncode: int
    output: str
    reports: Path

    @cached_property  # a frozen dataclass keeps it: cached_property writes the instance's __dict__ itself
    def results(self) -> dict[str, Any]:
        """Return results.json, checked against its schema (schemas/results.schema.json)."""
        return resultsfile.read(self.reports / "results.json")

    @cached_property
    def testreport(self) -> dict[str, Any]:
        """Return testreport.json, checked as a FHIR TestReport."""
        document: dict[str, Any] = json.loads((self.reports / "testreport.json").read_text("utf-8"))
        check_testreport(document)
        return document

    def verdicts(self) -> dict[str, str]:
        """Return each case's verdict by its test id (the part in brackets)."""
        return {c["nodeid"].split("[")[-1].rstrip("]"): c["verdict"] for c in self.results["cases"]}


def check_testreport(document: dict[str, Any]) -> None:
    """Check a TestReport by the R4B model of fhir.resources, and by the R4 invariants that model leaves out."""
    from fhir.resources.R4B.testreport import TestReport

    TestReport.model_validate(document)
    # R4 testreport.html inv-1 (setup) and inv-2 (test): an action holds an operation or an assert, not both.
    actions = [a for part in [document.get("setup", {}), *document.get("test", [])] for a in part.get("action", [])]
    assert all(("operation" in action) != ("assert" in action) for action in actions)
    # R4 ele-1: every element has a value or children, so no empty string, list or object anywhere.
    assert not [path for path, value in _walk(document) if value in ("", [], {})]
    # R4 txt-1 and txt-2 (and the dom-6 guideline): a generated narrative with some text in an XHTML div.
    div = document["text"]["div"]
    assert div.startswith('<div xmlns="http://www.w3.org/1999/xhtml"><p>') and div.endswith("</p></div>")


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield every (path, value) in a JSON document."""
    yield path, value
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in children:
        yield from _walk(child, f"{path}.{key}")


def run_suite(tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> SuiteRun:
    """Run ``pytest`` on the scenarios in a subprocess, from the repo root, as a user would."""
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--reports-dir={reports}", *args]
    # Let pytest cache the modules it rewrites (hypothesis's among them): otherwise each run recompiles them.
    full_env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, **(env or {})}
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, env=full_env)
    run = SuiteRun(done.returncode, done.stdout + done.stderr, reports)
    if (reports / "results.json").is_file():  # check every results.json and TestReport a run writes
        assert run.results["schema_version"] == resultsfile.SCHEMA_VERSION and run.testreport
    return run


@dataclass(frozen=True)
class Scenarios:
    """The repo's scenario cases, collected without running them."""

    cases: dict[str, tuple[str, ...]]  # test id -> requirement ids cited
    modules: dict[str, str]  # test id -> the module that holds it
    functions: dict[str, str]  # test id -> the test function that holds it


@pytest.fixture(scope="session")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Scenarios:
    """Collect the scenario cases without running them."""
    collected = Scenarios({}, {}, {})

    class Collector:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            for item in session.items:
                marker = item.get_closest_marker("requirements")
                case = item.nodeid.split("[")[-1].rstrip("]")
                collected.cases[case] = tuple(marker.args) if marker else ()
                collected.modules[case] = item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
                collected.functions[case] = getattr(item, "originalname", item.name)

    reports = tmp_path_factory.mktemp("collect-reports")
    code = pytest.main(
        [
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "--reports-dir",
            str(reports),
            "--rootdir",
            str(REPO),
            "-c",
            str(REPO / "pyproject.toml"),
            str(REPO / "scenarios"),
        ],
        plugins=[Collector()],
    )
    assert code == 0, "the scenarios do not collect"
    return collected


@pytest.fixture(scope="session")
def scenario_cases(scenarios: Scenarios) -> dict[str, tuple[str, ...]]:
    """Return each scenario case's test id with the requirement ids it cites."""
    return scenarios.cases


@pytest.fixture
def reference_server() -> Iterator[Any]:
    """Start reference servers on demand (``reference_server(faults=...)``), stopping them after the test; each
    validates, as a correct server does (as the embedded one does), unless told otherwise."""
    from conformance.server import ServerConfig, serve

    started = []

    def start(**config: Any) -> str:
        server = serve(ServerConfig(**{"validates": True, **config}))
        started.append(server)
        return str(server.url)

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def start() -> Iterator[Client]:
    """A client of a server with the given settings: one server per config, all stopped at the end."""
    from conformance.server import RunningServer, ServerConfig, serve

    running: dict[ServerConfig, tuple[RunningServer, httpx.Client]] = {}

    def client(**settings: Any) -> httpx.Client:
        config = ServerConfig(**settings)
        if config not in running:
            server = serve(config)
            running[config] = (server, httpx.Client(base_url=server.url, timeout=10))
        return running[config][1]

    yield client
    for _, http in running.values():
        http.close()
    with ThreadPoolExecutor() as pool:  # uvicorn takes ~0.2 s to stop: stop them side by side
        list(pool.map(lambda pair: pair[0].stop(), running.values()))
