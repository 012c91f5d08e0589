"""Every scenario can fail: each fault of the reference server fails the cases that verify what it breaks,
and nothing else fails; what the fault leaves unverifiable is blocked, never passed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from conformance.server.faults import REGISTRY
from tests.conftest import Scenarios, SuiteRun, run_suite

# Faults that break their requirement only where the feature they damage is present.
PARTIAL = {
    "read-loses-decimal-precision": "only reads lose precision; create responses keep it",
    "no-id-in-body": "only creates answered with a body lack the id",
    "no-version-id-in-body": "only creates answered with a body lack the versionId",
    "no-last-updated-in-body": "only creates answered with a body lack lastUpdated",
    "unparsable-500": "only bodies that are not JSON get a 500",
    "not-object-500": "only bodies that are not a JSON object get a 500",
    "unknown-type-500": "only the unknown type gets a 500",
    "deep-nesting-500": "only the deep resource gets a 500; the large one is answered",
    "bindings-unchecked": "only a code outside a required binding is let through",
    "refusals-stored": "only bodies refused after parsing (type, id, content) are stored",
    "type-from-url": "an Observation stored as a Patient is invalid, which a validating server refuses anyway",
    "condition-ignored": "a condition whose second parameter matches nothing creates, searched or not",
    "condition-first-parameter-only": "only a condition of two parameters, one unmatched, shows it",
    "one-match-201": "only the status is wrong: nothing is created",
    "one-match-duplicates": "only the count is wrong: the answer is 200",
    "multiple-matches-200": "only the status is wrong: nothing is created",
    "one-match-prefer-ignored": "an empty body still honours return=minimal",
    "query-one-match-201": "only the status is wrong: nothing is created, and the found resource comes back",
    "read-expands-decimal-exponents": "only decimals with a positive exponent change: few examples of a type hold one",
}
NOT_VERIFIED = ("failed", "warned", "blocked", "error")
# Faults damage every resource type alike: one type of the create scenarios shows it, at a seventh of the cost.
ONE_TYPE = "patient"
CREATE_MODULES = ("test_create", "test_new_resource", "test_prefer")
TYPED_MODULES = (*CREATE_MODULES, "test_tenancy")  # modules whose case ids name the resource type
# A correct server refuses invalid content whatever it claims, as the embedded one does: a fault's own
# settings (Fault.config) go on top, and the claims they make become the suite's flags.
VALIDATING: dict[str, Any] = {"validates": True}


# The properties' examples are those of one fixed seed, so that whether a fault is caught never varies.
FUZZ_SEED = "--hypothesis-seed=20261130"
# ServerConfig settings the suite has a claim flag for: a fault's server is run under the claims it makes.
CLAIM_FLAGS = ("id_policy", "invalid_status", "validates", "conditional_query")


def run_with_fault(tmp_path: Path, start: Callable[..., str], fault: str, *args: str) -> SuiteRun:
    """Run the suite against a reference server with one fault switched on, under the settings it needs."""
    config = REGISTRY[fault].config
    url = start(**{**VALIDATING, **config}, faults=frozenset({fault}))
    # results.json holds every verdict; report.html, which other self-tests read, is left out for speed.
    return run_suite(tmp_path, f"--base-url={url}", "-p", "no:html", FUZZ_SEED, *suite_flags(config), *args)


def suite_flags(config: Mapping[str, Any]) -> list[str]:
    """Return the suite's flags for a server with these settings: its claims, and on a multi-tenant server the
    first tenant's key and tag, with the second tenant's key as the other tenant's."""
    flags = [_flag(name, config[name]) for name in CLAIM_FLAGS if name in config]
    if config.get("tenants"):
        header = config["api_key_header"]
        (key, tag), (other_key, _) = list(config["tenants"].items())[:2]
        flags += [f"--header={header}: {key}", f"--tenant-tag={tag}", f"--other-tenant-header={header}: {other_key}"]
    return flags


def _flag(name: str, value: object) -> str:
    """Render one claim as its flag: --id-policy=respect, --validates, --no-validates."""
    option = f"--{name.replace('_', '-')}"
    if isinstance(value, bool):
        return option if value else option.replace("--", "--no-", 1)
    return f"{option}={value}"


def selection(scenarios: Scenarios, broken: str) -> str:
    """Select one type's create cases (and tenancy cases, where they verify the broken requirement), and in every
    other module the test functions holding a case that verifies it."""
    verifying = [case for case, ids in scenarios.cases.items() if ids[0] == broken]
    modules = {scenarios.modules[case] for case in verifying}
    typed = sorted({*CREATE_MODULES, *(modules & set(TYPED_MODULES))})
    others = sorted({(scenarios.modules[case], scenarios.functions[case]) for case in verifying})
    return f"{ONE_TYPE} and ({' or '.join(typed)})" + "".join(
        f" or ({module} and {function})" for module, function in others if module not in TYPED_MODULES
    )


@pytest.mark.parametrize("fault", sorted(REGISTRY))
def test_the_suite_catches_the_fault(
    fault: str, tmp_path: Path, reference_server: Callable[..., str], scenarios: Scenarios
) -> None:
    """At the default fail level: the cases verifying the broken requirement do not pass, only cases citing it
    fail, a SHALL it leaves unverifiable is blocked, and the exit code says whether a SHALL went unmet."""
    broken = REGISTRY[fault].breaks
    run = run_with_fault(tmp_path, reference_server, fault, "-k", selection(scenarios, broken))
    verdicts = run.verdicts()
    verifying = {
        case for case, ids in scenarios.cases.items() if ids[0] == broken and verdicts.get(case, "skipped") != "skipped"
    }
    caught = {case for case in verifying if verdicts[case] in NOT_VERIFIED}
    assert verifying and (caught == verifying or (fault in PARTIAL and caught)), sorted(verifying - caught)
    cases = run.results["cases"]
    failed = {c["requirement"] for c in cases if c["verdict"] in ("failed", "error")}
    assert failed <= {broken}, failed
    shall_unmet = [c for c in cases if c["level"] == "SHALL" and c["verdict"] in ("failed", "blocked")]
    assert run.returncode == (1 if shall_unmet else 0), run.output
    row = next(r for r in run.results["requirements"] if r["id"] == broken)
    assert row["verdict"] in NOT_VERIFIED


def test_the_tenancy_sequences_pass_where_the_tag_faults_are_shown(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """Without the fault, every tenancy case of a conditional create or a transaction passes on the server the tag
    faults are shown on, the query form's too (no preset claims both two tenants and the query form)."""
    config = REGISTRY["tenant-tag-missing"].config
    url = reference_server(**{**VALIDATING, **config})
    module = "scenarios/test_tenancy_sequences.py"
    run = run_suite(tmp_path, f"--base-url={url}", "-p", "no:html", *suite_flags(config), module)
    assert run.returncode == 0 and set(run.verdicts().values()) == {"passed"}, run.output


def test_a_should_fault_warns_at_the_default_level_and_fails_at_should(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """A SHOULD failure below --fail-level is a warning (exit 0, listed); at --fail-level should it fails the run."""
    url = reference_server(faults=frozenset({"no-etag"}))
    run = run_suite(tmp_path / "default", f"--base-url={url}", "-k", "patient")
    assert run.returncode == 0, run.output
    assert "WARNED  [SHOULD create.etag.present] 7 case(s), e.g. test_create[patient-etag-present]" in run.output
    assert {v for v in run.verdicts().values()} <= {"passed", "warned", "skipped"}
    strict = run_suite(tmp_path / "strict", f"--base-url={url}", "-k", "patient", "--fail-level=should")
    assert strict.returncode == 1 and strict.verdicts()["patient-etag-present"] == "failed"


def test_a_shall_and_a_should_failure_in_one_run_are_both_reported(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """Each check is graded on its own: a SHALL failure does not hide a SHOULD warning, nor the reverse."""
    url = reference_server(faults=frozenset({"status-200", "etag-strong"}))
    run = run_suite(tmp_path, f"--base-url={url}", "-k", "patient")
    assert run.returncode == 1, run.output
    verdicts = run.verdicts()
    assert verdicts["patient-status-201"] == "failed" and verdicts["patient-etag-weak"] == "warned"


def test_a_server_that_stores_nothing_does_not_pass(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """201 with headers but no body, and a Location that reads 404: the SHALL rows it hides are blocked, exit 1."""
    url = reference_server(faults=frozenset({"stores-nothing"}))
    run = run_suite(tmp_path, f"--base-url={url}")
    assert run.returncode == 1, run.output
    rows = {r["id"]: r["verdict"] for r in run.results["requirements"]}
    for row in ("create.id.assigned", "create.meta.version-id", "create.meta.last-updated", "create.location.id"):
        assert rows[row] == "blocked", row
    assert rows["create.location.readable"] == "warned" and run.results["verdict"] == "FAIL"
    assert (
        "blocked by create.location.readable: expected the created Patient at the Location, received 404" in run.output
    )


def test_a_location_without_history_is_still_read(tmp_path: Path, reference_server: Callable[..., str]) -> None:
    """A Location lacking /_history is GET as sent: readable passes, version fails, nothing else is charged."""
    url = reference_server(faults=frozenset({"location-without-history"}))
    run = run_suite(tmp_path, f"--base-url={url}", "-k", "patient")
    rows = {r["id"]: r["verdict"] for r in run.results["requirements"]}
    assert rows["create.location.readable"] == "passed" and rows["create.location.version"] == "failed"
    assert rows["create.location.form"] == "passed" and rows["create.location.id"] == "passed"
