"""The reports of a certification run and a CI gate, end to end: a warning and a waiver in every output, a
baseline's regressions, shards merged into one verdict, a matrix across servers, and the verdict page in Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import merge, requirements
from tests.conftest import REPO, SuiteRun, run_suite

SHOULD_FAULT = frozenset({"no-etag"})  # breaks create.etag.present (SHOULD)
ETAG_CASE = "patient-etag-present"


def case_verdicts(run: SuiteRun, case: str) -> dict[str, str]:
    """Return one case's verdict as each output gives it (the terminal's needs a run with -v, serial or -n)."""
    name = f"test_create[{case}]"
    # "...::name VERDICT [ 5%]" in a serial run, "[gw0] [ 5%] VERDICT ...::name@Group" under pytest-xdist.
    named = rf"::{re.escape(name)}(?:@\w+)?"
    terminal = re.search(rf"{named} (\w+)|(\w+) \S+{named}\s", run.output)
    page = (run.reports / "report.html").read_text("utf-8")
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1)))  # type: ignore[union-attr]
    row = next(rows[0] for nodeid, rows in blob["tests"].items() if re.search(rf"{named}$", nodeid))
    testcases = ElementTree.parse(run.reports / "junit.xml").iter("testcase")
    testcase = next(c for c in testcases if re.fullmatch(named[2:], str(c.get("name"))))
    check = next(t for t in run.testreport["test"] if t["name"] == name)["action"][0]["assert"]
    return {
        "terminal": (terminal.group(1) or terminal.group(2)).lower() if terminal else "",
        "report.html": row["result"].lower(),
        "junit.xml": str({p.get("name"): p.get("value") for p in testcase.iter("property")}["verdict"]),
        "results.json": run.verdicts()[case],
        "testreport.json": f"{check['result']} ({check['message'].split(':')[0]})",
    }


def requirement_verdicts(results: dict[str, Any]) -> dict[str, str]:
    """Return each requirement's verdict in a results.json."""
    return {r["id"]: r["verdict"] for r in results["requirements"]}


def test_a_should_failure_warns_in_every_output_and_fails_at_should(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """A SHOULD fault at the default fail level: exit 0, warned everywhere; at --fail-level should: exit 1, failed."""
    url = reference_server(faults=SHOULD_FAULT)
    run = run_suite(tmp_path / "default", f"--base-url={url}", "-k", "patient", "-v")
    assert run.returncode == 0 and run.results["verdict"] == "PASS WITH WARNINGS", run.output
    assert set(case_verdicts(run, ETAG_CASE).values()) == {"warned", "warning (warned)"}
    assert "Verdict: PASS WITH WARNINGS (exit 0)" in (run.reports / "report.html").read_text("utf-8")
    assert run.testreport["result"] == "pass"
    strict = run_suite(tmp_path / "strict", f"--base-url={url}", "-k", "patient", "-v", "--fail-level=should")
    assert strict.returncode == 1 and strict.results["verdict"] == "FAIL"
    assert set(case_verdicts(strict, ETAG_CASE).values()) == {"failed", "fail (failed)"}
    assert strict.testreport["result"] == "fail"


def test_a_waiver_turns_the_failure_into_waived_and_says_what_each_waiver_did(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """A waived SHOULD failure passes --fail-level should, graded in xdist workers; expired and unneeded ones say so."""
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\nrequirement = "create.etag.present"\nreason = "ETags in 5.2"\nexpires = 2099-12-31\n'
        '[[waiver]]\nrequirement = "create.status.201"\nreason = "was broken"\nexpires = 2099-12-31\n'
        '[[waiver]]\nrequirement = "create.location.form"\nreason = "old"\nexpires = 2000-01-01\n',
        "utf-8",
    )
    url = reference_server(faults=SHOULD_FAULT)
    gates = ["--fail-level=should", f"--waivers={waivers}", "--hypothesis-seed=7"]
    run = run_suite(tmp_path, f"--base-url={url}", "-k", "patient", "-v", "-n", "2", *gates)  # graded in workers
    assert run.returncode == 0 and run.results["verdict"] == "PASS WITH WARNINGS", run.output
    assert set(case_verdicts(run, ETAG_CASE).values()) == {"waived", "warning (waived)"}
    assert requirement_verdicts(run.results)["create.etag.present"] == "waived"
    assert run.results["target"]["hypothesis_seed"] == "7" and run.results["target"]["waivers_file"] == str(waivers)
    statuses = {w["requirement"]: w["status"] for w in run.results["waivers"]}
    assert statuses == {
        "create.etag.present": "applied",
        "create.status.201": "not-needed",
        "create.location.form": "expired",
    }
    assert (
        "WAIVER EXPIRED: expired on 2000-01-01" in run.output and "WAIVER NOT-NEEDED: create.status.201" in run.output
    )
    properties = {p.get("value") for p in ElementTree.parse(run.reports / "junit.xml").getroot().iter("property")}
    assert {"create.etag.present: applied", "create.location.form: expired"} <= properties


def test_a_baseline_reports_exactly_the_new_regression(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """After a clean run, a new SHALL fault is the one new failure; --fail-on new fails on it and only on it."""
    good, broken = reference_server(), reference_server(faults=frozenset({"etag-mismatch"}))
    before = run_suite(tmp_path / "before", f"--base-url={good}", "-k", "patient")
    baseline = before.reports / "results.json"
    after = run_suite(
        tmp_path / "after", f"--base-url={broken}", "-k", "patient", f"--baseline={baseline}", "--fail-on=new"
    )
    assert after.returncode == 1, after.output
    changes = after.results["baseline"]
    assert changes["new_failures"] == [{"requirement": "create.etag.version", "before": "passed", "now": "failed"}]
    assert changes["new_passes"] == [] and "NEW FAILURE [SHALL create.etag.version] failed" in after.output
    assert "(a new failure since the baseline)" in json.dumps(after.testreport)
    suite = ElementTree.parse(after.reports / "junit.xml").getroot().iterfind("testsuite/properties/property")
    junit = {p.get("name"): p.get("value") for p in suite}
    assert junit["new_failures"] == "create.etag.version" and junit["new_passes"] == ""
    assert 'id="fhir-changes"' in (after.reports / "report.html").read_text("utf-8")
    known = after.reports / "results.json"
    again = run_suite(
        tmp_path / "again", f"--base-url={broken}", "-k", "patient-etag-version", f"--baseline={known}", "--fail-on=new"
    )
    assert again.returncode == 0 and again.results["counts"]["failed"] == 1, again.output
    assert (
        again.results["verdict"] == "PASS WITH WARNINGS" and "BASELINE: no new failure and no new pass" in again.output
    )
    fixed = run_suite(tmp_path / "fixed", f"--base-url={good}", "-k", "patient-etag-version", f"--baseline={known}")
    assert [c["requirement"] for c in fixed.results["baseline"]["new_passes"]] == ["create.etag.version"]


def test_two_shards_merge_to_the_verdict_of_the_whole_run(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """The merge of two shards gives the whole run's verdict, exit code, counts and requirement verdicts."""
    url = reference_server(faults=frozenset({"stores-nothing", "etag-strong", "status-200"}))
    whole = run_suite(tmp_path / "whole", f"--base-url={url}", "-k", "patient")
    first = run_suite(tmp_path / "a", f"--base-url={url}", "-k", "patient and location")
    second = run_suite(tmp_path / "b", f"--base-url={url}", "-k", "patient and not location")
    out = tmp_path / "merged"
    shards = [str(first.reports / "results.json"), str(second.reports / "results.json")]
    outputs = ["-o", str(out / "results.json"), "--testreport", str(out / "testreport.json")]
    merged = run_module("conformance.merge", *shards, *outputs, reports=out)
    assert merged.returncode == whole.returncode == 1, merged.output
    for key in ("verdict", "exit_code", "counts"):
        assert merged.results[key] == whole.results[key], key
    assert requirement_verdicts(merged.results) == requirement_verdicts(whole.results)
    assert [len(s["selection"]) for s in merged.results["shards"]] == [
        len(first.results["selection"]),
        len(second.results["selection"]),
    ]
    assert set(merged.results["selection"]) == set(whole.results["selection"])
    assert len(merged.testreport["test"]) == len(whole.testreport["test"]) and "VERDICT: FAIL (exit 1)" in merged.output
    alone = merge.merge([("a", first.results)])  # what only the other shard ran is not run, never passed
    assert requirement_verdicts(alone.document())["create.last-modified.present"] == "not-run"
    assert requirement_verdicts(whole.results)["create.last-modified.present"] == "passed"


def test_a_matrix_shows_exactly_the_faults_as_differences(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """The good server and two faulty ones side by side differ on the two broken requirements, and nothing else."""
    faults = {"good": frozenset(), "version": frozenset({"etag-mismatch"}), "weak": frozenset({"etag-strong"})}
    files = []
    for name, broken in faults.items():
        run = run_suite(tmp_path / name, f"--base-url={reference_server(faults=broken)}", "-k", "patient")
        files.append(shutil.copy(run.reports / "results.json", tmp_path / f"{name}.json"))
    html_page, csv_file, json_file = tmp_path / "matrix.html", tmp_path / "m.csv", tmp_path / "m.json"
    outputs = ["-o", str(html_page), "--csv", str(csv_file), "--json", str(json_file)]
    done = run_module("conformance.matrix", *map(str, files), *outputs, reports=tmp_path)
    rows = len(requirements.load())
    assert done.returncode == 0 and f"2 of {rows} requirements differ across 3 runs" in done.output, done.output
    matrix = json.loads(json_file.read_text("utf-8"))
    differing = {row["id"]: row["cells"] for row in matrix["rows"] if row["differs"]}
    assert differing == {"create.etag.version": ["pass", "fail", "pass"], "create.etag.weak": ["pass", "pass", "warn"]}
    assert len({run["label"] for run in matrix["runs"]}) == 3  # one server's software: told apart by base URL
    page = html_page.read_text("utf-8")
    highlighted = re.findall(r'<tr class="differs"><td class="id">([^<]+)</td>', page)
    assert highlighted == ["create.etag.version", "create.etag.weak"]
    assert '<input type="checkbox" id="only-differences">' in page and page.count('<tr class="same">') == rows - 2
    flagged = [line.split(",")[0] for line in csv_file.read_text("utf-8").splitlines() if line.endswith(",yes")]
    assert sorted(flagged) == sorted(differing)


def run_module(module: str, *args: str, reports: Path) -> SuiteRun:
    """Run one of the suite's command-line tools as a user would."""
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=REPO, timeout=60)
    return SuiteRun(done.returncode, done.stdout + done.stderr, reports)


def test_the_verdict_page_renders_in_chromium(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """report.html loads nothing from elsewhere, and headless Chromium renders its verdict page and its cases."""
    url = reference_server(faults=frozenset({"status-200", "no-etag"}))
    page = run_suite(tmp_path, f"--base-url={url}", "-k", "patient").reports / "report.html"
    assert not re.search(r"<(script|link|img)[^>]*(src|href)=\"https?:", page.read_text("utf-8"))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium): report.html is not rendered")
    dom = browse(chromium, tmp_path, page, "--dump-dom")
    assert '<h2 id="fhir-verdict" class="fail">Verdict: FAIL (exit 1)</h2>' in dom
    assert '<table id="fhir-areas">' in dom and "<td>id_policy</td><td>ignore</td><td>preset r4</td>" in dom
    assert "create.etag.present" in dom.partition('id="fhir-areas"')[2]  # listed among the warned requirements
    # A row of the results table, which only the page's script draws.
    assert re.search(r'<td class="col-testId">[^<]*test_create\[patient-status-201\]</td>', dom)
    screenshot = tmp_path / "page.png"
    browse(chromium, tmp_path, page, f"--screenshot={screenshot}", "--window-size=1400,1600")
    assert screenshot.read_bytes().startswith(b"\x89PNG") and screenshot.stat().st_size > 50_000


def browse(chromium: str, tmp_path: Path, page: Path, *args: str) -> str:
    """Open a local page in headless Chromium with a fresh profile; return what it printed."""
    profile = tmp_path / f"chromium-{len(list(tmp_path.glob('chromium-*')))}"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    command = [chromium, *flags, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
