"""The run as a FHIR R4 TestReport (R4 testreport.html): the server as its participant, one test per scenario
case, and one assert per case, for the one check of the requirement the case verifies."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from conformance import requirements, runinfo
from conformance.baseline import FAILING, Changes
from conformance.reporting import EXIT_OK, CaseResult, Results
from conformance.resources import MARKER_SYSTEM

SUITE_URI = MARKER_SYSTEM.rpartition("/")[0]
# Verdicts as R4 TestReportActionResult codes (pass | skip | fail | warning | error).
RESULT = {
    "passed": "pass",
    "failed": "fail",
    "warned": "warning",
    "waived": "warning",  # a known failure accepted by a waiver: not a pass, and it does not fail the run
    "skipped": "skip",
    "error": "error",  # a fault of the suite itself; R4: "the engine was unable to process" the action
}


def assert_result(case: CaseResult) -> str:
    """Return the assert result of a case's verdict."""
    if case.verdict == "blocked":
        # Not verified because a requirement the case needs failed: "fail" where it gates the run (a certification
        # never passes what it could not check), "warning" below the fail level; junit.xml shows it alike.
        return "fail" if case.gate else "warning"
    return RESULT[case.verdict]


def build(results: Results) -> dict[str, Any]:
    """Return the TestReport of a run."""
    target = results.target
    report: dict[str, Any] = {
        "resourceType": "TestReport",
        "text": _narrative(results),
        "name": f"FHIR create conformance of {runinfo.server_identity(target)}",
        "status": "stopped" if results.stopped else "completed",
        "testScript": {
            "identifier": {"system": SUITE_URI, "value": "scenarios"},
            "display": f"fhir-create-conformance {target['suite_version']} scenarios (profile {target['profile']})",
        },
        "result": "pass" if results.exit_code == EXIT_OK else "fail",
        "tester": f"fhir-create-conformance {target['suite_version']}",
        "issued": target["date"],
    }
    if target["run_tag"]:
        report["identifier"] = {"system": MARKER_SYSTEM, "value": target["run_tag"]}
    if target["base_url"]:
        display = f"{runinfo.server_identity(target)} at {runinfo.location(target)}"
        report["participant"] = [{"type": "server", "uri": target["base_url"], "display": display}]
    report.update(_tests(results))
    return report


def _tests(results: Results) -> dict[str, Any]:
    """Return the tests and the score (the percentage of asserts passed among those not skipped)."""
    changes = results.changes()
    tests = [_test(case, results.target.get("levels", {}), changes) for case in results.cases.values()]
    if not tests:  # R4 ele-1: an element has a value or children, so no empty list
        return {}
    judged = [c for c in results.cases.values() if c.verdict != "skipped"]
    passed = sum(1 for c in judged if c.verdict == "passed")
    return {"test": tests, **({"score": round(100 * passed / len(judged), 1)} if judged else {})}


def _test(case: CaseResult, levels: Mapping[str, str], changes: Changes | None) -> dict[str, Any]:
    """Return one case as a test with a single assert (R4 inv-2: an action is an operation or an assert)."""
    row = requirements.load()[case.requirement]
    level = case.level or requirements.load().level(case.requirement, levels).name
    message = f"{case.verdict}: [{level} {case.requirement}] {case.message or row.quote}{_since(case, changes)}"
    check = {"result": assert_result(case), "message": message}
    if row.anchor:  # R4 ele-1 allows no empty value, and a row of the suite's own may have no spec link
        check["detail"] = row.anchor
    return {"name": case.nodeid.rpartition("::")[2], "description": case.description, "action": [{"assert": check}]}


def _since(case: CaseResult, changes: Changes | None) -> str:
    """Say when a case shows a change of its requirement since the baseline."""
    if changes is None:
        return ""
    if case.verdict in FAILING and any(c.requirement == case.requirement for c in changes.new_failures):
        return " (a new failure since the baseline)"
    if case.verdict == "passed" and any(c.requirement == case.requirement for c in changes.new_passes):
        return " (a new pass since the baseline)"
    return ""


def _narrative(results: Results) -> dict[str, str]:
    """Return the generated narrative (R4 dom-6: a resource should have one): the verdict and the counts."""
    counts = ", ".join(f"{n} {verdict}" for verdict, n in results.counts().items())
    text = html.escape(f"Verdict: {results.verdict()} (exit {results.exit_code}): {counts}")
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'}
