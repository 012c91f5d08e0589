"""Every scenario can fail: each fault of the reference server fails exactly the cases citing what it breaks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import requirements
from conformance.server.faults import REGISTRY
from tests.conftest import SuiteRun, run_suite

# Faults that break their requirement only for resources with the feature they damage.
PARTIAL = {"read-loses-decimal-precision": "only resources carrying decimals lose precision"}


def run_with_fault(tmp_path: Path, start: Callable[..., str], fault: str, *args: str) -> SuiteRun:
    """Run the whole suite against a reference server with one fault switched on."""
    return run_suite(tmp_path, f"--base-url={start(faults=frozenset({fault}))}", *args)


@pytest.mark.parametrize("fault", sorted(REGISTRY))
def test_the_suite_fails_on_the_fault(
    fault: str, tmp_path: Path, reference_server: Callable[..., str], scenario_cases: dict[str, tuple[str, ...]]
) -> None:
    """The run exits 1; every failing case cites the broken requirement, and the failure is attributed to it."""
    broken = REGISTRY[fault].breaks
    level = requirements.load()[broken].level
    run = run_with_fault(
        tmp_path, reference_server, fault, *(["--fail-level=should"] if level < requirements.Level.SHALL else [])
    )
    assert run.returncode == 1, run.output
    failed = {case for case, verdict in run.verdicts().items() if verdict in ("failed", "error")}
    citing = {case for case, ids in scenario_cases.items() if broken in ids}
    verifying = {case for case, ids in scenario_cases.items() if ids[0] == broken}
    assert failed and failed <= citing, sorted(failed - citing)
    assert fault in PARTIAL or verifying <= failed, sorted(verifying - failed)
    attributed = {c["requirement"] for c in run.results["cases"] if c["verdict"] == "failed"}
    assert attributed == {broken}


def test_a_should_fault_warns_and_passes_at_the_default_fail_level(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """A SHOULD failure below --fail-level is a warning: shown in the summary and results, exit 0."""
    run = run_with_fault(tmp_path, reference_server, "no-etag")
    assert run.returncode == 0, run.output
    assert (
        "WARNING [SHOULD create.etag.present] scenarios/test_create.py::test_create[patient-etag-present]" in run.output
    )
    assert " 7 warned" in run.output
    verdicts = {case: v for case, v in run.verdicts().items() if v != "passed"}
    assert set(verdicts.values()) <= {"warning", "skipped"} and "patient-etag-present" in verdicts
    assert "&lt;td&gt;WARNING&lt;/td&gt;" in (run.reports / "report.html").read_text("utf-8")


def test_a_shall_and_a_should_failure_in_one_run_are_both_reported(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """Each check is graded on its own: a SHALL failure does not hide a SHOULD warning, nor the reverse."""
    url = reference_server(faults=frozenset({"status-200", "etag-strong"}))
    run = run_suite(tmp_path, f"--base-url={url}")
    assert run.returncode == 1, run.output
    verdicts = run.verdicts()
    assert verdicts["patient-status-201"] == "failed" and verdicts["patient-etag-weak"] == "warning"
