"""The pytest plugin: options, the server profile, session fixtures and report hooks.

Loaded by the repo's root conftest.py only. It stays inert unless scenario cases run: options are
registered, but no server is contacted and no report is written for other test runs.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import requirements
from conformance.checks import ConformanceFailure
from conformance.client import EndpointError, FhirClient, TransportFailure, probe
from conformance.created import Created
from conformance.profile import FAIL_LEVELS, ProfileError, ServerProfile, Settings, build_profile
from conformance.reporting import Reporter, Results, grade, html_extra
from conformance.suite import BaselineRefused, Suite, start_embedded

SETTINGS = pytest.StashKey[Settings]()
RESULTS = pytest.StashKey[Results]()
SCENARIO = pytest.StashKey[bool]()
EMBEDDED_PROFILE = pytest.StashKey[ServerProfile]()
MARKER = "requirements"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the command-line contract of DESIGN.md (--base-url comes from pytest-base-url)."""
    group = parser.getgroup("fhir-create-conformance", "FHIR create conformance")
    add = group.addoption
    add(
        "--header",
        action="append",
        dest="fhir_headers",
        metavar="'NAME: VALUE'",
        help="header sent on every request, repeatable (env FHIR_HEADERS, newline separated); never reported",
    )
    add("--server-profile", metavar="NAME_OR_PATH", help="preset (r4, aidbox, clinikapi) or TOML file; default r4")
    add("--id-policy", metavar="ignore|respect", help="client id in POST: ignored (R4) or honoured, 409 on duplicates")
    add("--invalid-status", metavar="400|422|any", help="status expected for structurally invalid resources")
    add("--validates", action="store_true", default=None, help="the server claims it rejects invalid resources")
    add("--no-validates", action="store_false", dest="validates", help="the server makes no validation claim")
    add("--conditional-query", action="store_true", default=None, help="the server claims POST [type]?params")
    add("--no-conditional-query", action="store_false", dest="conditional_query", help="it does not")
    add("--tenant-tag", metavar="SYSTEM|CODE", help="the tenant tag the server must inject into meta.tag")
    add("--other-tenant-header", action="append", metavar="'NAME: VALUE'", help="a second tenant's credentials")
    add("--fuzz-examples", metavar="N", help="hypothesis examples per property (default 25)")
    add("--race-clients", metavar="N", help="concurrent clients in the race scenarios (default 10)")
    add("--fail-level", metavar="shall|should", help="lowest level whose failure fails the run (default shall)")
    add("--keep-resources", action="store_true", help="do not delete what the run created")
    add("--reports-dir", metavar="DIR", help="where report.html, junit.xml and results.json go (default reports/)")
    add("--only-requirement", action="append", metavar="ID", help="run only the cases that cite this id")


def pytest_configure(config: pytest.Config) -> None:
    """Build the settings (a bad value is a one-line usage error) and, for a scenario run, set up reports."""
    config.addinivalue_line("markers", f"{MARKER}(*ids, description): catalogue ids a case verifies")
    try:
        settings = _settings(config)
    except ProfileError as error:
        raise pytest.UsageError(f"fhir-create-conformance: {error}") from None
    config.stash[SETTINGS] = settings
    config.stash[SCENARIO] = _is_scenario_run(config)
    if not config.stash[SCENARIO] or hasattr(config, "workerinput"):
        return
    _default_report_paths(config, settings.reports_dir)
    results = Results(
        target={
            "base_url": settings.base_url or "embedded reference server",
            "profile": settings.profile.name,
            "fail_level": settings.fail_level,
        }
    )
    config.stash[RESULTS] = results
    config.pluginmanager.register(Reporter(settings, results), "fhir-create-conformance-reporter")
    if settings.base_url and not config.option.collectonly:
        _probe_or_exit(settings)


def _settings(config: pytest.Config) -> Settings:
    """Read every option into Settings, checking each value."""
    option = config.option
    headers = option.fhir_headers or [line for line in os.environ.get("FHIR_HEADERS", "").splitlines() if line.strip()]
    flags = {
        "id_policy": option.id_policy,
        "validates": option.validates,
        "conditional_query": option.conditional_query,
        "invalid_status": option.invalid_status,
        "tenant_tag": option.tenant_tag,
        "headers": headers,
        "other_tenant_headers": option.other_tenant_header,
    }
    profile = build_profile(option.server_profile, flags)
    catalogue = requirements.load()
    for requirement_id in [*profile.levels, *(option.only_requirement or [])]:
        if requirement_id not in catalogue:
            raise ProfileError(f"unknown requirement id {requirement_id!r} (see conformance/requirements.csv)")
    fail_level = (option.fail_level or "shall").lower()
    if fail_level not in FAIL_LEVELS:
        raise ProfileError(f"--fail-level: expected shall or should, received {option.fail_level!r}")
    return Settings(
        profile=profile,
        # The ini key too: this hook runs before pytest-base-url copies it into the option.
        base_url=option.base_url or config.getini("base_url") or None,
        fail_level=fail_level,
        fuzz_examples=_count("--fuzz-examples", option.fuzz_examples, 25, 1, 100_000),
        race_clients=_count("--race-clients", option.race_clients, 10, 2, 500),
        keep_resources=option.keep_resources,
        reports_dir=Path(config.invocation_params.dir, option.reports_dir or "reports"),
        only_requirements=tuple(option.only_requirement or ()),
    )


def _count(flag: str, value: str | None, default: int, low: int, high: int) -> int:
    """Read a whole-number option within bounds."""
    if value is None:
        return default
    if not value.strip().isdigit() or not low <= int(value) <= high:
        raise ProfileError(f"{flag}: expected a whole number from {low} to {high}, received {value!r}")
    return int(value)


def _is_scenario_run(config: pytest.Config) -> bool:
    """Tell whether this run collects scenarios (its arguments reach into the scenarios folder)."""
    scenarios = config.rootpath / "scenarios"
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == scenarios or scenarios in path.parents or path in scenarios.parents:
            return True
    return False


def _default_report_paths(config: pytest.Config, reports_dir: Path) -> None:
    """Write report.html and junit.xml into the reports folder unless the user named other paths."""
    if getattr(config.option, "htmlpath", "missing") is None:
        config.option.htmlpath = str(reports_dir / "report.html")
        config.option.self_contained_html = True
    if config.option.xmlpath is None:
        config.option.xmlpath = str(reports_dir / "junit.xml")


def _probe_or_exit(settings: Settings) -> None:
    """Make sure the base URL is a FHIR endpoint before any test runs; else exit 4 with one line."""
    client = FhirClient(settings.base_url or "", settings.profile.headers, timeout=10.0)
    try:
        probe(client)
    except EndpointError as error:
        raise pytest.UsageError(f"fhir-create-conformance: {error}") from None
    finally:
        client.close()


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Return the server under test's base URL, starting the embedded reference server when none is given."""
    settings = request.config.stash[SETTINGS]
    if settings.base_url:
        yield settings.base_url
        return
    server, profile = start_embedded(settings.profile)
    request.config.stash[EMBEDDED_PROFILE] = profile
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _verify_url() -> None:
    """Replace pytest-base-url's autouse check, which would start the embedded server in every run.

    The suite probes the base URL itself, once, before collection (see pytest_configure).
    """


@pytest.fixture(scope="session")
def suite(request: pytest.FixtureRequest, base_url: str) -> Iterator[Suite]:
    """Return the session's Suite; at the end, delete what the run created and note what was left."""
    settings = request.config.stash[SETTINGS]
    profile = request.config.stash.get(EMBEDDED_PROFILE, settings.profile)
    try:
        session = Suite(settings, profile, base_url)
    except EndpointError as error:
        pytest.exit(f"fhir-create-conformance: {error}", returncode=4)
    yield session
    leftovers = session.close()
    workeroutput = getattr(request.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["leftovers"] = leftovers
    elif RESULTS in request.config.stash:
        request.config.stash[RESULTS].leftovers.extend(leftovers)


@pytest.fixture
def created(request: pytest.FixtureRequest, suite: Suite) -> Created:
    """Return the create a case checks: (type, request name) come as the case's indirect parameter."""
    resource_type, how = request.param
    reason = suite.unsupported(resource_type)
    if reason:
        pytest.skip(reason)
    return suite.created(resource_type, how, request.node.nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Attach each case's requirements, skip what the profile says does not apply, select --only-requirement."""
    settings = config.stash[SETTINGS]
    catalogue = requirements.load()
    claims = settings.profile.claims()
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker(MARKER)
        if marker is None:
            selected.append(item)
            continue
        unknown = [i for i in marker.args if i not in catalogue]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} cites unknown requirement ids: {', '.join(unknown)}")
        item.user_properties += [
            ("requirements", " ".join(marker.args)),
            ("description", marker.kwargs.get("description", "")),
        ]
        reason = catalogue[marker.args[0]].not_applicable(claims)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        wanted = not settings.only_requirements or set(settings.only_requirements) & set(marker.args)
        (selected if wanted else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Grade a case's failure by its requirement's level, and attach the case's exchanges for report.html."""
    report: pytest.TestReport = yield
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return report
    settings = item.config.stash[SETTINGS]
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, ConformanceFailure):
        requirement = error.requirement or marker.args[0]
        level = requirements.load().level(requirement, settings.profile.levels)
        verdict = grade(level, settings.fail_level)
        # A new list: pytest shares item.user_properties with every phase's report.
        report.user_properties = [
            *report.user_properties,
            ("verdict", verdict),
            ("failed_requirement", requirement),
            ("level", level.name),
            ("message", error.summary),
        ]
        report.longrepr = f"[{level.name} {requirement}] {marker.kwargs.get('description', '')}\n{error}"
        if verdict == "warning":
            report.outcome = "passed"
    elif isinstance(error, (BaselineRefused, TransportFailure)):
        report.longrepr = str(error)
    if call.when == "call" or report.outcome != "passed":
        _attach_html(item, report, marker)
    return report


def _attach_html(item: pytest.Item, report: pytest.TestReport, marker: pytest.Mark) -> None:
    """Add the case's requirements and HTTP transcripts to the report.html row."""
    html_plugin = item.config.pluginmanager.getplugin("html")
    if html_plugin is None:
        return
    from pytest_html import extras

    funcargs = getattr(item, "funcargs", {})
    exchanges = [e for value in funcargs.values() if isinstance(value, Created) for e in value.exchanges]
    extra = html_extra(marker.kwargs.get("description", ""), marker.args, requirements.load(), exchanges)
    report.extras = [*getattr(report, "extras", []), extras.html(extra)]  # type: ignore[attr-defined]


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, Any] | None:
    """Show a SHOULD-level failure below the fail level as a warning: W / WARNED."""
    if report.when == "call" and ("verdict", "warning") in report.user_properties:
        return "warned", "W", ("WARNED", {"yellow": True})
    return None
