"""The grading rules: a case fails only its own requirement, is blocked by what it needs, counts at its own level."""

from __future__ import annotations

import pytest

from conformance import requirements
from conformance.checks import ConformanceFailure
from conformance.grading import grade, strongest
from conformance.requirements import Level

CASE = ("create.location.id", "create.location.present", "create.location.readable", "create.id.assigned")
SHOULD_CASE = ("create.read.round-trip", "create.location.readable", "create.id.assigned")


def failure(requirement: str | None) -> ConformanceFailure:
    """Return a failure of a check about a requirement (None: the case's own)."""
    return ConformanceFailure("200", "404", requirement=requirement)


@pytest.mark.parametrize(
    ("ids", "error", "fail_level", "verdict", "gate"),
    [
        (CASE, None, "shall", "passed", False),
        (CASE, failure(None), "shall", "failed", True),
        (CASE, failure("create.location.id"), "shall", "failed", True),
        (SHOULD_CASE, failure(None), "shall", "warned", False),
        (SHOULD_CASE, failure(None), "should", "failed", True),
        (CASE, failure("create.location.readable"), "shall", "blocked", True),
        (SHOULD_CASE, failure("create.id.assigned"), "shall", "blocked", False),
        (SHOULD_CASE, failure("create.id.assigned"), "should", "blocked", True),
        (CASE, failure("create.etag.version"), "shall", "error", True),
        (CASE, RuntimeError("a bug in a check"), "shall", "error", True),
    ],
    ids=[
        "pass",
        "own-failure",
        "own-failure-named",
        "should-failure-warns",
        "should-failure-at-should-fails",
        "blocked-shall-fails-the-gate",
        "blocked-should-below-the-gate",
        "blocked-should-at-should",
        "undeclared-need-is-a-suite-error",
        "exception-is-a-suite-error",
    ],
)
def test_grade(ids: tuple[str, ...], error: BaseException | None, fail_level: str, verdict: str, gate: bool) -> None:
    """Each outcome gets the verdict the rules give it, and fails the run only at or above the fail level."""
    graded = grade(ids, error, {}, fail_level)
    assert (graded.verdict, graded.gate, graded.requirement) == (verdict, gate, ids[0])


def test_a_blocked_case_names_what_blocked_it_and_how() -> None:
    """The message of a blocked case says which requirement blocked it, and what was received."""
    graded = grade(CASE, failure("create.location.readable"), {}, "shall")
    assert graded.blocked_by == "create.location.readable" and graded.level is Level.SHALL
    assert graded.message == "not verified: blocked by create.location.readable: expected 200, received 404"
    assert ("blocked_by", "create.location.readable") in graded.properties()


def test_a_profile_level_changes_the_grade() -> None:
    """A profile that raises a SHOULD row to SHALL makes its failure fail the run."""
    graded = grade(SHOULD_CASE, failure(None), {"create.read.round-trip": "SHALL"}, "shall")
    assert (graded.verdict, graded.level) == ("failed", Level.SHALL)


def test_a_requirements_verdict_is_the_strongest_of_its_cases() -> None:
    """failed > blocked > warned > passed > skipped."""
    assert strongest(["passed", "skipped"]) == "passed"
    assert strongest(["warned", "passed", "blocked"]) == "blocked"
    assert strongest(["blocked", "failed", "warned"]) == "failed"


@pytest.mark.parametrize(
    ("applies_when", "claims", "applies"),
    [
        ("validates", {"validates": True}, True),
        ("validates", {"validates": False}, False),
        ("!validates", {"validates": False}, True),
        ("!validates", {"validates": True}, False),
        ("id_policy=respect", {"id_policy": "respect"}, True),
        ("id_policy=respect", {"id_policy": "ignore"}, False),
    ],
)
def test_a_row_applies_to_the_claims_it_names_or_to_their_absence(
    applies_when: str, claims: dict[str, object], applies: bool
) -> None:
    """applies_when names a claim that holds, a claim value, or (with !) a claim the profile does not make."""
    row = requirements.Requirement("x.y", Level.SHOULD, "suite", "", "quote", applies_when, "")
    reason = row.not_applicable(claims)
    assert (reason is None) == applies
    assert reason is None or reason.startswith(f"not applicable: x.y applies when {applies_when}; the profile has")
