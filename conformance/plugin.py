"""The pytest plugin: options, the run's target, session fixtures, and grading each case.

Loaded by the repo's root conftest.py only. It stays inert unless scenario cases run: options are
registered, but no server is contacted and no report is written for other test runs.
"""

from __future__ import annotations

import signal
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import htmlreport, requirements
from conformance.cases import MARKER
from conformance.checks import ConformanceFailure
from conformance.client import EndpointError, Recorded
from conformance.concurrency import share_malloc_arenas
from conformance.fuzzing import register_profiles, unknown_profile
from conformance.grading import grade, waive
from conformance.options import add_options, read_settings
from conformance.profile import ProfileError, Settings
from conformance.reporter import Reporter
from conformance.secrets import SECRETS, redact_url
from conformance.suite import Suite
from conformance.target import Target, connect

SETTINGS = pytest.StashKey[Settings]()
TARGET = pytest.StashKey[Target]()
REPORTER = pytest.StashKey[Reporter]()
SUITE = pytest.StashKey[Suite]()
WORKER_INPUT = "fhir_create_conformance"
# The fixtures of the subjects cases check: a create, a type's creates, a flow, a transaction, a race.
pytest_plugins = ["conformance.subjects"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the command-line contract of DESIGN.md (--base-url comes from pytest-base-url)."""
    add_options(parser)


@pytest.hookimpl(tryfirst=True, specname="pytest_configure")
def pytest_configure_profiles(config: pytest.Config) -> None:
    """Register the certification profile before hypothesis's plugin loads the one --hypothesis-profile names
    (an unknown name is a one-line usage error here rather than hypothesis's traceback)."""
    register_profiles()
    unknown = unknown_profile(config.getoption("hypothesis_profile", default=None))
    if unknown:
        raise pytest.UsageError(f"fhir-create-conformance: {unknown}")


def pytest_configure(config: pytest.Config) -> None:
    """Read the settings (a bad value is a one-line usage error); for a scenario run, find the target."""
    share_malloc_arenas()  # before the run's threads exist
    config.addinivalue_line("markers", f"{MARKER}(*ids, description): catalogue ids a case verifies, then needs")
    try:
        settings = read_settings(config)
    except ProfileError as error:
        raise pytest.UsageError(f"fhir-create-conformance: {error}") from None
    config.stash[SETTINGS] = settings
    SECRETS.add_headers([*settings.profile.headers, *settings.profile.other_tenant_headers])
    if settings.base_url:
        SECRETS.add_url(settings.base_url)
        config.option.base_url = redact_url(settings.base_url)  # what pytest-base-url shows
    if not _is_scenario_run(config):
        return
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        config.stash[TARGET] = Target.from_controller(workerinput[WORKER_INPUT], settings.profile)
        profile = config.stash[TARGET].profile
        SECRETS.add_headers([*profile.headers, *profile.other_tenant_headers])
        return
    reporter = Reporter(config, settings)
    config.stash[REPORTER] = reporter
    config.pluginmanager.register(reporter, "fhir-create-conformance-reporter")
    if config.option.collectonly:
        return
    try:
        target, server = connect(settings)
    except EndpointError as error:
        raise pytest.UsageError(f"fhir-create-conformance: {error}") from None
    SECRETS.add_headers([*target.profile.headers, *target.profile.other_tenant_headers])
    config.stash[TARGET] = target
    reporter.start(target, server)
    # CI runners end a job with SIGTERM: treat it like Ctrl-C, so the reports are still written.
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Hand an xdist worker the run's target: one server, one marker, one set of credentials."""
    target = node.config.stash.get(TARGET, None)
    if target is not None:
        node.workerinput[WORKER_INPUT] = target.to_worker()


def _is_scenario_run(config: pytest.Config) -> bool:
    """Tell whether this run collects scenarios (its arguments reach into the scenarios folder)."""
    scenarios = config.rootpath / "scenarios"
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == scenarios or scenarios in path.parents or path in scenarios.parents:
            return True
    return False


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest) -> str:
    """Return the base URL of the server under test (the embedded reference server when none is given)."""
    return request.config.stash[TARGET].base_url


@pytest.fixture(scope="session", autouse=True)
def _verify_url() -> None:
    """Replace pytest-base-url's autouse check: the suite probes the base URL itself, once, before collection."""


@pytest.fixture(scope="session")
def suite(request: pytest.FixtureRequest) -> Iterator[Suite]:
    """Return this process's Suite; at the end, hand what it created to the controller's cleanup."""
    config = request.config
    worker = getattr(config, "workerinput", {}).get("workerid")
    session = Suite(config.stash[SETTINGS], config.stash[TARGET], f"{worker}-" if worker else "")
    config.stash[SUITE] = session
    if REPORTER in config.stash:
        config.stash[REPORTER].local_runs = session.runs
    yield session
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["created"] = {who: [list(pair) for pair in run.created] for who, run in session.runs.items()}
    session.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Attach each case's requirements, skip what the profile says does not apply, select --only-requirement."""
    settings = config.stash[SETTINGS]
    catalogue = requirements.load()
    # The target's profile, when there is one: the embedded server gives it a second tenant.
    claims = (config.stash[TARGET].profile if TARGET in config.stash else settings.profile).claims()
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
        item.user_properties += [("requirements", " ".join(marker.args)), ("description", marker.kwargs["description"])]
        reason = catalogue[marker.args[0]].not_applicable(claims)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        wanted = not settings.only_requirements or marker.args[0] in settings.only_requirements
        (selected if wanted else deselected).append(item)
    _note_unverified(config, settings, [i.get_closest_marker(MARKER) for i in items])
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def _note_unverified(config: pytest.Config, settings: Settings, markers: list[pytest.Mark | None]) -> None:
    """Say which --only-requirement ids no case verifies yet."""
    verified = {marker.args[0] for marker in markers if marker is not None}
    catalogue = requirements.load()
    for requirement_id in settings.only_requirements:
        if requirement_id not in verified and REPORTER in config.stash:
            reason = catalogue[requirement_id].not_tested or "no scenario yet"
            config.stash[REPORTER].results.notices.append(
                f"NOT VERIFIED: --only-requirement {requirement_id}: no case verifies it ({reason})"
            )


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_fast(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """Report a conformance failure without a traceback: its message and curl tell it (and cost nothing)."""
    if call.excinfo is None or not isinstance(call.excinfo.value, ConformanceFailure):
        return None
    return pytest.TestReport(
        item.nodeid,
        item.location,
        keywords=dict.fromkeys(item.keywords, 1),
        outcome="failed",
        longrepr=str(call.excinfo.value),
        when=call.when,  # type: ignore[arg-type]  # makereport is never called for collection
        duration=call.duration,
        start=call.start,
        stop=call.stop,
        user_properties=item.user_properties,
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Grade a case by its requirement's level; keep secrets out of its report; attach its exchanges."""
    report: pytest.TestReport = yield
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return report
    if call.when == "call":
        _grade(item, call, report, marker)
    _scrub(report)
    if call.when == "call" or report.outcome != "passed":
        _attach_html(item, report, marker)
    return report


def _grade(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport, marker: pytest.Mark) -> None:
    """Turn the call's outcome into a verdict, its properties, its pytest outcome and its text."""
    settings = item.config.stash[SETTINGS]
    if report.skipped:
        _add_properties(item, report, [("verdict", "skipped")])
    else:
        error = call.excinfo.value if call.excinfo else None
        verdict = waive(grade(marker.args, error, settings.profile.levels, settings.fail_level), settings.waivers)
        _add_properties(item, report, verdict.properties())
        if isinstance(error, ConformanceFailure):
            if error.exchange is not None:  # results.json's evidence; a report attribute reaches the xdist controller
                evidence = {"transcript": error.exchange.transcript(), "curl": error.reproducer()}
                if error.example:  # the shrunk resource of a property, as indented JSON under its heading
                    evidence["example"] = error.example
                report.fhir_evidence = evidence  # type: ignore[attr-defined]
            heading = f"[{verdict.level.name} {verdict.requirement}] {marker.kwargs['description']}"
            # The verdict's message, then the reproducer of the exchange that showed it.
            report.longrepr = f"{heading}\n{verdict.message}{str(error).removeprefix(error.summary)}"
            item.add_report_section("call", "stdout", f"{verdict.verdict.upper()}: {verdict.message}")
        report.outcome = "failed" if verdict.gate else "passed"
    suite = item.config.stash.get(SUITE, None)
    stop = suite.stop_reason() if suite is not None else None
    if stop is not None:
        report.fhir_stop = list(stop)  # type: ignore[attr-defined]
        item.session.shouldfail = f"fhir-create-conformance: {stop[1]}"


def _add_properties(item: pytest.Item, report: pytest.TestReport, properties: list[tuple[str, str]]) -> None:
    """Give the call report its verdict, and the item too: pytest's junit.xml reads the teardown report's."""
    report.user_properties = [*report.user_properties, *properties]
    item.user_properties.extend(properties)


def _scrub(report: pytest.TestReport) -> None:
    """Remove every secret from a report's failure text and captured output."""
    if report.longrepr is not None and not isinstance(report.longrepr, tuple):
        text = str(report.longrepr)
        scrubbed = SECRETS.scrub(text)
        if scrubbed != text:
            report.longrepr = scrubbed
    report.sections = [(title, SECRETS.scrub(content)) for title, content in report.sections]


def _attach_html(item: pytest.Item, report: pytest.TestReport, marker: pytest.Mark) -> None:
    """Add the case's requirements and HTTP transcripts to the report.html row."""
    if item.config.pluginmanager.getplugin("html") is None:
        return
    from pytest_html import extras

    funcargs = getattr(item, "funcargs", {})
    subjects = [v for value in funcargs.values() for v in (value if isinstance(value, list) else [value])]
    exchanges = [e for subject in subjects if isinstance(subject, Recorded) for e in subject.exchanges]
    extra = htmlreport.case_extra(marker.kwargs["description"], marker.args, requirements.load(), exchanges)
    report.extras = [*getattr(report, "extras", []), extras.html(extra)]  # type: ignore[attr-defined]


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, Any] | None:
    """Show the suite's own verdicts: W / WARNED, B / BLOCKED, V / WAIVED, and E / ERROR for a fault of the suite."""
    if report.when != "call":
        return None
    verdict = dict(report.user_properties).get("verdict")
    if verdict == "warned":
        return "warned", "W", ("WARNED", {"yellow": True})
    if verdict == "blocked":
        return "blocked", "B", ("BLOCKED", {"red": report.failed, "yellow": report.passed})
    if verdict == "waived":
        return "waived", "V", ("WAIVED", {"yellow": True})
    if verdict == "error":
        return "error", "E", ("ERROR", {"red": True})
    return None
