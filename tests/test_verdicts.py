"""One story in every output, and runs that end fast and cleanly: dead servers, refused credentials,
interruptions, secrets in the base URL, runs that execute nothing, and one marker under pytest-xdist."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.reporting import COUNTED
from conformance.resources import MARKER_SYSTEM, TYPES
from tests.conftest import REPO, SuiteRun, run_suite
from tests.stubs import stub_server

MIXED_FAULTS = frozenset({"stores-nothing", "etag-strong", "status-200"})


def terminal_counts(output: str) -> dict[str, int]:
    """Read pytest's last line: '6 failed, 28 passed, ... 14 warned in 1.03s'."""
    last = [line for line in output.splitlines() if re.search(r" in [\d.]+s", line)][-1]
    found = {
        kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", last)
    }
    return {verdict: found.get(verdict, 0) for verdict in COUNTED}


def junit_counts(path: Path) -> dict[str, int]:
    """Count junit.xml's testcases by their verdict property (or their failure/skipped/error element)."""
    counts: Counter[str] = Counter()
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        counts[str(props.get("verdict") or (kinds[0] if kinds else "passed"))] += 1
    return {verdict: counts[verdict] for verdict in COUNTED}


def html_counts(path: Path) -> dict[str, int]:
    """Read report.html's summary counts (its filter checkboxes)."""
    found = dict(re.findall(r'<span class="(\w+)">(\d+) ', path.read_text("utf-8")))
    return {verdict: int(found.get(verdict, 0)) for verdict in COUNTED}


def counts_in_testreport(document: dict[str, Any]) -> dict[str, int]:
    """Count testreport.json's asserts by the verdict each message opens with."""
    found = Counter(test["action"][0]["assert"]["message"].split(":")[0] for test in document["test"])
    return {verdict: found[verdict] for verdict in COUNTED}


def test_every_output_tells_the_same_story(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """Terminal, report.html, junit.xml and results.json count the same verdicts; warned and blocked show as such."""
    run = run_suite(tmp_path, f"--base-url={reference_server(faults=MIXED_FAULTS)}", "-k", "patient")
    counts = run.results["counts"]
    assert counts["failed"] and counts["warned"] and counts["blocked"] and counts["skipped"], counts
    assert terminal_counts(run.output) == counts
    assert junit_counts(run.reports / "junit.xml") == counts
    assert html_counts(run.reports / "report.html") == counts
    assert counts_in_testreport(run.testreport) == counts
    assert run.returncode == run.results["exit_code"] == 1 and run.results["verdict"] == "FAIL"
    suite = ElementTree.parse(run.reports / "junit.xml").getroot().iterfind("testsuite/properties/property")
    assert {p.get("name"): p.get("value") for p in suite}["verdict"] == "FAIL" and run.testreport["result"] == "fail"
    assert "Verdict: FAIL (exit 1)" in (run.reports / "report.html").read_text("utf-8")


def test_junit_marks_warned_and_blocked_cases(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """A warned case passes in junit.xml with requirement, level, verdict and message, the message in system-out."""
    run = run_suite(tmp_path, f"--base-url={reference_server(faults=MIXED_FAULTS)}", "-k", "patient")
    root = ElementTree.parse(run.reports / "junit.xml").getroot()
    cases = {case.get("name"): case for case in root.iter("testcase")}
    for name, verdict in (("patient-etag-weak", "warned"), ("patient-id-assigned", "blocked")):
        case = cases[f"test_create[{name}]"]
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert {"requirement", "level", "verdict", "message"} <= set(props) and props["verdict"] == verdict
        assert str(props["message"]) in (case.findtext("system-out") or "")
    blocked = cases["test_create[patient-id-assigned]"]
    assert blocked.find("failure") is not None  # a SHALL that could not be verified fails the gate


def test_a_blocked_shall_paints_the_last_line_red(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """With no failed case but a blocked SHALL, the run exits 1 and pytest's last line is red, not yellow."""
    url = reference_server(faults=frozenset({"stores-nothing"}))
    run = run_suite(tmp_path, f"--base-url={url}", "-k", "patient-id-assigned", "--color=yes")
    assert run.returncode == 1 and run.results["counts"]["blocked"] == 1
    assert "\x1b[31m" in run.output.splitlines()[-1]


def test_a_location_on_another_host_blocks_only_what_reads_it(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """Behind a proxy a server may name its internal address in Location: the Location cases fail or are blocked,
    and the Prefer: return=minimal creates (known only by their Location) block no conditional create case."""
    url = reference_server(faults=frozenset({"location-foreign-base"}))
    run = run_suite(tmp_path, f"--base-url={url}", "-p", "no:html", "-k", "patient and (create or conditional)")
    verdicts = run.verdicts()
    assert verdicts["patient-location-form"] == "failed" and verdicts["patient-location-readable"] == "warned"
    assert verdicts["patient-prefer-minimal-id-assigned"] == "blocked", run.output
    conditional = {c["nodeid"]: c["verdict"] for c in run.results["cases"] if "conditional_create" in c["nodeid"]}
    assert conditional and "blocked" not in conditional.values(), conditional


@pytest.mark.parametrize("concurrency", ["8", "1"])
def test_a_server_that_never_answers_a_post_ends_the_run_fast(tmp_path: Path, concurrency: str) -> None:
    """With --timeout 2, a server that reads POSTs and never answers (but answers every GET between them) stops
    the run in about two timeouts, exit 1, whether requests go out together or one at a time."""
    with stub_server(post_status=None) as url:
        started = time.monotonic()
        run = run_suite(tmp_path, f"--base-url={url}", "--timeout=2", f"--concurrency={concurrency}", timeout=60)
        elapsed = time.monotonic() - started
    assert run.returncode == 1, run.output
    assert elapsed < 2 * 2 + 8, elapsed
    assert "the server stopped answering: POST" in run.output and "ReadTimeout after 2 s" in run.output
    assert run.results["verdict"] == "INTERRUPTED" and "stopped answering" in run.results["stopped"]
    assert {p.name for p in run.reports.iterdir()} >= {"report.html", "junit.xml", "results.json"}


def test_a_refused_baseline_create_stops_the_run_with_exit_4(tmp_path: Path) -> None:
    """Metadata and search open, POST answers 401: one line naming the status and --header, exit 4."""
    with stub_server(post_status=401) as url:
        run = run_suite(tmp_path, f"--base-url={url}", timeout=60)
    assert run.returncode == 4, run.output
    assert "answered 401: the server refused the credentials (give them with --header)" in run.output
    assert run.results["exit_code"] == 4 and len(run.results["cases"]) < 10


def test_wrong_credentials_with_public_metadata_exit_4_before_any_case(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """The probe searches for the run's own marker: a 401 there is one line and exit 4, nothing run."""
    url = reference_server(api_key_header="x-api-key", tenants={"right-key": "https://t|a"})
    run = run_suite(tmp_path, f"--base-url={url}", "--header=x-api-key: wrong-key-123")
    assert run.returncode == 4
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "answered 401: the server refused the credentials (give them with --header)" in lines[0]
    assert "wrong-key-123" not in run.output and not run.reports.exists()


def test_sigterm_writes_the_reports_marked_interrupted(tmp_path: Path) -> None:
    """A run ended by SIGTERM (as CI runners do) exits 2 and still writes its reports, marked interrupted."""
    reports = tmp_path / "reports"
    with stub_server(post_status=None) as url:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--reports-dir={reports}"]
        process = subprocess.Popen([*command, f"--base-url={url}", "--timeout=30"], cwd=REPO, stdout=subprocess.PIPE)
        time.sleep(4)  # the first POST is hanging by now
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    run = SuiteRun(process.returncode, output, reports)
    assert run.returncode == 2, output
    assert run.results["verdict"] == "INTERRUPTED" and run.results["stopped"].startswith("interrupted")
    assert (reports / "report.html").exists() and (reports / "junit.xml").exists()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_password_in_the_base_url_appears_in_no_output(
    tmp_path: Path, reference_server: Callable[..., str], workers: list[str]
) -> None:
    """userinfo in --base-url shows as user:***@ in the terminal, report.html, junit.xml, results.json and curl."""
    url = reference_server(faults=frozenset({"status-200"})).replace("http://", "http://tester:pw-s3cret-77@")
    run = run_suite(tmp_path, f"--base-url={url}", "--header=Authorization: Bearer tok-s3cret-99", *workers)
    assert run.returncode == 1 and "curl -i -X POST" in run.output
    texts = [run.output, *(p.read_text("utf-8") for p in run.reports.iterdir())]
    assert not any(secret in text for text in texts for secret in ("pw-s3cret-77", "tok-s3cret-99"))
    assert all("tester:***@" in text for text in texts)


def test_a_malformed_header_is_refused_without_its_value(tmp_path: Path) -> None:
    """A --header without a colon may be a bare token: the error does not repeat it."""
    run = run_suite(tmp_path, "--header=Bearer eyJhbGciOi-secret")
    assert run.returncode == 4 and "--header" in run.output and "eyJhbGciOi-secret" not in run.output


@pytest.mark.parametrize("args", [["--collect-only"], ["-k", "nomatch"]], ids=["collect-only", "no-match"])
def test_a_run_that_executes_no_case_leaves_the_reports_as_they_were(tmp_path: Path, args: list[str]) -> None:
    """An earlier run's reports stay byte for byte when a later run executes no scenario case."""
    first = run_suite(tmp_path, "-k", "patient-status-201")
    before = {p.name: p.read_bytes() for p in first.reports.iterdir()}
    later = run_suite(tmp_path, *args)
    assert later.returncode in (0, 5)
    assert {p.name: p.read_bytes() for p in later.reports.iterdir()} == before


def test_xdist_workers_share_one_run_marker_and_clean_up(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """Under -n 2 every resource carries the same run tag, and --keep-resources lists them all."""
    url = reference_server()
    run = run_suite(
        tmp_path, f"--base-url={url}", "-n", "2", "--keep-resources", "-k", "(status-201 or new-ids) and not match"
    )
    assert run.returncode == 0, run.output
    codes = set()
    for resource_type in TYPES:
        bundle = httpx.get(f"{url}/{resource_type}", params={"_count": "1000"}).json()
        codes |= {
            t["code"]
            for e in bundle.get("entry", [])
            for t in e["resource"]["meta"]["tag"]
            if t["system"] == MARKER_SYSTEM
        }
    assert len(codes) == 1 and run.results["target"]["run_tag"] == f"{MARKER_SYSTEM}|{codes.pop()}"
    assert len(run.results["kept"]) == 6 * len(TYPES) and "KEPT: Patient/" in run.output


def test_only_requirement_says_when_no_case_verifies_it(tmp_path: Path) -> None:
    """Selecting a row no scenario verifies yet says so, and nothing is selected (exit 5)."""
    run = run_suite(tmp_path, "--only-requirement=tx.order.independent")
    assert run.returncode == 5
    assert "--only-requirement tx.order.independent: no case verifies it" in run.output
