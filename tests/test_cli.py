"""The suite run as a user runs it: exit codes, one-line errors, reports, run safety, no leaked secrets."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from conformance.resources import MARKER_SYSTEM, TYPES
from tests.conftest import REPO, run_suite
from tests.stubs import stub_server


@pytest.mark.parametrize(
    ("preset", "workers"),
    [("r4", []), ("aidbox", []), ("clinikapi", []), ("clinikapi", ["-n", "2"])],
    ids=["r4", "aidbox", "clinikapi", "clinikapi-xdist"],
)
def test_every_preset_passes_against_the_embedded_server(tmp_path: Path, preset: str, workers: list[str]) -> None:
    """With no --base-url the embedded server starts in the preset's mode and every case passes or is not applicable."""
    run = run_suite(tmp_path, f"--server-profile={preset}", *workers)
    assert run.returncode == 0, run.output
    counts = run.results["counts"]
    assert counts["passed"] >= 700 and {k for k, n in counts.items() if n} <= {"passed", "skipped"}, counts
    assert "warnings summary" not in run.output and run.results["leftovers"] == []
    assert {p.name for p in run.reports.iterdir()} >= {"report.html", "junit.xml", "results.json"}


def test_the_suite_passes_against_a_server_started_alone_under_xdist(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """The same cases pass (or do not apply) through --base-url with two xdist workers, and the server is left
    as it was: nothing the refused creates sent stays behind."""
    url = reference_server(validates=True)
    run = run_suite(tmp_path, f"--base-url={url}", "-n", "2")
    assert run.returncode == 0, run.output
    counts = run.results["counts"]
    assert counts["passed"] + counts["skipped"] == len(run.results["cases"]) > 700, counts
    assert run.results["leftovers"] == []
    for resource_type in TYPES:
        assert httpx.get(f"{url}/{resource_type}").json()["total"] == 0


def test_keep_resources_leaves_them_findable_by_the_run_tag(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """With --keep-resources what the run made stays, marked with the run's tag."""
    url = reference_server()
    run = run_suite(tmp_path, f"--base-url={url}", "--keep-resources", "-k", "patient-status-201")
    assert run.returncode == 0, run.output
    kept = httpx.get(f"{url}/Patient", params={"_tag": f"{MARKER_SYSTEM}|"}).json()
    tags = [t for e in kept.get("entry", []) for t in e["resource"]["meta"]["tag"] if t["system"] == MARKER_SYSTEM]
    assert len(tags) == 1 and tags[0]["code"].startswith("run-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id-policy=maybe"], "--id-policy: 'maybe' is not one of ['ignore', 'respect']"),
        (["--fail-level=may"], "--fail-level: expected shall or should, received 'may'"),
        (["--fuzz-examples=0"], "--fuzz-examples: expected a whole number from 1 to 100000, received '0'"),
        (["--server-profile=nope"], "--server-profile: no preset or file named 'nope'"),
        (["--only-requirement=create.nothing"], "unknown requirement id 'create.nothing'"),
        (["--header=Authorization"], '--header: expected "Name: value", received a 13-character value without a colon'),
        (["--base-url=http://127.0.0.1:9"], "cannot reach http://127.0.0.1:9"),
        (["--waivers=no-such-waivers.toml"], "--waivers no-such-waivers.toml: cannot read it"),
        (["--baseline=no-such-results.json"], "no-such-results.json: cannot read it"),
        (["--fail-on=new"], "--fail-on new: give the run to compare with (--baseline FILE)"),
        (["--hypothesis-seed=abc"], "--hypothesis-seed: expected a whole number, received 'abc'"),
        (["--hypothesis-profile=nope"], "--hypothesis-profile: no profile named 'nope'"),
    ],
)
def test_bad_input_exits_4_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    """A bad option or an unreachable server: exit 4, one line on stderr, within seconds, nothing run."""
    run = run_suite(tmp_path, *args, timeout=30)
    assert run.returncode == 4
    errors = [line for line in run.output.splitlines() if line.strip()]
    assert errors == [f"ERROR: fhir-create-conformance: {errors[0].split(': ', 2)[2]}"] and message in errors[0]


def test_a_profile_key_in_an_unset_variable_exits_4_naming_it(tmp_path: Path) -> None:
    """Against a server of the user's, a key the profile reads from an unset variable is one line and exit 4."""
    run = run_suite(
        tmp_path, "--server-profile=clinikapi", "--base-url=http://127.0.0.1:9", env={"CLINIKAPI_SECRET_KEY": ""}
    )
    assert run.returncode == 4
    assert run.output.strip() == (
        "ERROR: fhir-create-conformance: x-api-key: set the environment variable CLINIKAPI_SECRET_KEY"
        " (profile clinikapi), or give --header"
    )


def test_a_refused_second_tenant_key_exits_4_naming_its_flag(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """The second tenant's credentials are probed too: refused, they are one line and exit 4, never shown."""
    url = reference_server(api_key_header="x-api-key", tenants={"key-a-123": "https://t|a"})
    run = run_suite(
        tmp_path,
        f"--base-url={url}",
        "--header=x-api-key: key-a-123",
        "--tenant-tag=https://t",
        "--other-tenant-header=x-api-key: key-b-456",
    )
    assert run.returncode == 4 and "key-b-456" not in run.output
    assert "the server refused the credentials (give them with --other-tenant-header)" in run.output


def test_a_bad_profile_file_exits_4_naming_the_file(tmp_path: Path) -> None:
    """A profile file that breaks the schema is refused in one line naming the file and the key."""
    path = tmp_path / "mine.toml"
    path.write_text('[claims]\nvalidates = "yes"\n', "utf-8")
    run = run_suite(tmp_path, f"--server-profile={path}")
    assert run.returncode == 4
    assert (
        run.output.strip()
        == f"ERROR: fhir-create-conformance: profile {path}: claims.validates: 'yes' is not of type 'boolean'"
    )


def test_a_url_that_is_not_fhir_exits_4(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """A URL that answers but has no CapabilityStatement at /metadata is not a FHIR endpoint."""
    url = reference_server()
    run = run_suite(tmp_path, f"--base-url={url}/Patient/nothing-here")
    assert run.returncode == 4 and "is not a FHIR endpoint: GET" in run.output


def test_a_refused_baseline_fails_once_and_blocks_what_depends_on_it(tmp_path: Path) -> None:
    """A server refusing the suite's valid resource: the status cases fail with a reproducer, the rest of the
    create scenarios are blocked."""
    with stub_server(post_status=400) as url:
        run = run_suite(tmp_path, f"--base-url={url}", "-k", "patient and (test_create or test_new or test_prefer)")
    assert run.returncode == 1
    cases = run.results["cases"]
    assert {c["requirement"] for c in cases if c["verdict"] == "failed"} == {"create.status.201"}
    # The query form is not claimed (its cases are skipped), and a 400 is a conformant answer to an empty condition.
    others = [c for c in cases if c["requirement"] != "create.status.201" and "query" not in c["nodeid"]]
    assert {c["verdict"] for c in others if not c["nodeid"].endswith("400-or-201]")} == {"blocked"}
    assert "blocked by create.status.201: expected a 2xx status, received 400" in run.output


def test_a_run_that_verifies_nothing_does_not_pass(tmp_path: Path) -> None:
    """Selecting only cases that do not apply to the profile is not a pass."""
    run = run_suite(tmp_path, "--id-policy=respect", "-k", "client-id-ignored")
    assert run.returncode == 1 and "NOTHING VERIFIED" in run.output


def test_secrets_never_reach_output_or_reports(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """Header values given with --header appear nowhere: terminal, report.html, junit.xml, results.json."""
    url = reference_server(faults=frozenset({"status-200"}))
    run = run_suite(
        tmp_path,
        f"--base-url={url}",
        "--header=Authorization: Bearer s3cret-token",
        "--header=X-Tenant-Key: k3y-value",
        "-k",
        "patient",
        env={"FHIR_HEADERS": "X-Other: 0ther-secret"},
    )
    assert run.returncode == 1 and "curl -i -X POST" in run.output
    texts = [run.output, *(p.read_text("utf-8") for p in run.reports.iterdir())]
    assert not any(secret in text for text in texts for secret in ("s3cret-token", "k3y-value", "0ther-secret"))


def test_the_plugin_is_inert_outside_scenario_runs(tmp_path: Path) -> None:
    """A run of other tests starts no server, probes nothing and writes no report."""
    run = run_suite(
        tmp_path, "--setup-show", "tests/test_profile.py", "-k", "tags_parse", "--base-url=http://127.0.0.1:9"
    )
    assert run.returncode == 0, run.output
    assert "base_url" not in run.output and "suite" not in run.output.replace("test_suite", "")
    assert not run.reports.exists()


def test_the_ini_base_url_is_honoured(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """base_url in the ini file works like --base-url."""
    url = reference_server()
    run = run_suite(tmp_path, "-o", f"base_url={url}", "-k", "patient-status-201")
    assert run.returncode == 0 and run.results["target"]["base_url"] == url


def test_junit_carries_the_requirements_of_each_case(tmp_path: Path) -> None:
    """Each junit testcase names the requirement ids it verifies, for CI dashboards."""
    run = run_suite(tmp_path, "-k", "patient-location-id")
    case = ElementTree.parse(run.reports / "junit.xml").find(".//testcase")
    assert case is not None
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert str(properties["requirements"]).split()[0] == "create.location.id"


def test_ci_runs_the_readmes_self_test_command() -> None:
    """.ci/run runs exactly the README's self-test command; the README also gives the main job."""
    readme = (REPO / "README.md").read_text("utf-8")
    commands = [line.strip() for line in readme.splitlines() if line.strip().startswith("python3 -m venv")]
    main_job, self_tests = commands
    assert main_job.endswith(".venv/bin/pytest") and self_tests.endswith(".venv/bin/tox")
    assert self_tests in (REPO / ".ci" / "run").read_text("utf-8").splitlines()
