"""How refusals are graded: by the validation and status claims, with R4's tolerance of a 5xx, and leaving
nothing behind on the server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.conftest import run_suite

NAME_STRING = ("-k", "name-string", "-p", "no:html")


def test_accepting_invalid_content_warns_without_the_claim_and_fails_with_it(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """R4 does not oblige a server to validate: storing name "Bob" is a warning, unless the profile claims it."""
    url = reference_server(validates=False)
    r4 = run_suite(tmp_path / "r4", f"--base-url={url}", *NAME_STRING)
    assert r4.returncode == 0, r4.output
    assert r4.verdicts() == {
        "name-string-refused": "skipped",
        "name-string-refused-unclaimed": "warned",
        "name-string-status": "skipped",
        "name-string-outcome": "blocked",
        "name-string-issue-codes": "skipped",
        "name-string-nothing-stored": "blocked",
        "name-string-no-5xx": "passed",
    }
    claimed = run_suite(tmp_path / "claimed", f"--base-url={url}", "--validates", *NAME_STRING)
    assert claimed.returncode == 1, claimed.output
    verdicts = claimed.verdicts()
    assert verdicts["name-string-refused"] == "failed" and verdicts["name-string-status"] == "blocked"


def test_400_and_422_are_graded_by_the_claimed_invalid_status(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """Under --invalid-status any both pass; a claim of 422 met with 400 is a warning, not a failure."""
    url = reference_server(validates=True, invalid_status=400)
    either = run_suite(tmp_path / "any", f"--base-url={url}", "--validates", *NAME_STRING)
    assert either.returncode == 0 and either.verdicts()["name-string-status"] == "passed", either.output
    other = run_suite(tmp_path / "422", f"--base-url={url}", "--validates", "--invalid-status=422", *NAME_STRING)
    assert other.returncode == 0 and other.verdicts()["name-string-status"] == "warned", other.output
    assert "expected 422, received 400" in other.output


def test_a_5xx_refusal_is_charged_to_the_no_5xx_case_alone(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """R4 tolerates a 5xx for unparsable input: the status case passes, the no-5xx case warns, the run passes."""
    url = reference_server(faults=frozenset({"unparsable-500"}))
    run = run_suite(tmp_path, f"--base-url={url}", "-k", "invalid-json-truncated-", "-p", "no:html")
    verdicts = run.verdicts()
    assert run.returncode == 0, run.output
    assert verdicts["invalid-json-truncated-status"] == "passed"
    assert verdicts["invalid-json-truncated-no-5xx"] == "warned"


def test_what_a_server_kept_of_refused_bodies_is_found_and_deleted(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """Bodies stored despite a refusal, or accepted when they should not be, are found by their identifier and
    deleted at the end: the server is left as it was."""
    url = reference_server(validates=True, faults=frozenset({"refusals-stored", "type-from-url"}))
    run = run_suite(tmp_path, f"--base-url={url}", "-k", "test_parse_errors or test_validation", "-p", "no:html")
    assert run.verdicts()["resource-type-missing-status"] == "warned"
    assert run.verdicts()["status-missing-nothing-stored"] == "warned"
    assert run.results["leftovers"] == []
    for resource_type in ("Patient", "Observation"):
        assert httpx.get(f"{url}/{resource_type}").json()["total"] == 0
