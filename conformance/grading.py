"""The grading rules: what a case's outcome says about its requirement, and whether it fails the run.

- A case checks its own requirement whenever its subject exists; a failure of it is **failed** at or
  above the fail level and **warned** below it.
- A case whose subject is missing because another requirement failed is **blocked** by that
  requirement, which must be among the case's needs. It counts at the case's own level: at or above
  the fail level it fails the run, since a certification never passes what it could not check.
- A check that depends on a requirement its case does not list is an **error** of the suite.
- A failed or warned case whose requirement has an unexpired waiver is **waived**: it does not fail the run.
- Per requirement, the verdict is the strongest of its cases': failed > blocked > waived > warned > passed > skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from conformance import requirements
from conformance.checks import ConformanceFailure
from conformance.requirements import Level
from conformance.waivers import Waivers

# Verdicts, weakest first; "error" is a fault of the suite or an unexpected exception.
STRENGTH = ("skipped", "passed", "warned", "waived", "blocked", "failed", "error")
# Verdicts that say something about the server (a waived case failed its check).
VERIFIED = ("passed", "warned", "waived", "failed")


@dataclass(frozen=True)
class Verdict:
    """The graded outcome of one case."""

    verdict: str
    requirement: str  # the case's own requirement
    level: Level
    message: str = ""
    blocked_by: str | None = None
    gate: bool = False  # this verdict fails the run

    def properties(self) -> list[tuple[str, str]]:
        """Return the verdict as junit/report properties."""
        props = [("verdict", self.verdict), ("requirement", self.requirement), ("level", self.level.name)]
        if self.blocked_by:
            props.append(("blocked_by", self.blocked_by))
        return [*props, ("message", self.message)] if self.message else props


def grade(
    requirement_ids: Sequence[str], error: BaseException | None, levels: Mapping[str, str], fail_level: str
) -> Verdict:
    """Grade a case citing ``requirement_ids`` (what it verifies, then what it needs) whose check raised ``error``."""
    verifies, needs = requirement_ids[0], requirement_ids[1:]
    level = requirements.load().level(verifies, levels)
    at_gate = level >= Level[fail_level.upper()]
    if error is None:
        return Verdict("passed", verifies, level)
    if not isinstance(error, ConformanceFailure):
        return Verdict("error", verifies, level, f"{type(error).__name__}: {error}", gate=True)
    about = error.requirement or verifies
    if about == verifies:
        return Verdict("failed" if at_gate else "warned", verifies, level, error.summary, gate=at_gate)
    if about in needs:
        message = f"not verified: blocked by {about}: {error.summary}"
        return Verdict("blocked", verifies, level, message, blocked_by=about, gate=at_gate)
    message = f"the check depends on {about}, which the case does not list among its needs: {error.summary}"
    return Verdict("error", verifies, level, message, gate=True)


def waive(verdict: Verdict, waivers: Waivers) -> Verdict:
    """Turn a failed or warned verdict into a waived one when its requirement has an unexpired waiver."""
    waiver = waivers.active(verdict.requirement)
    if waiver is None or verdict.verdict not in ("failed", "warned"):
        return verdict
    message = f"waived until {waiver.expires} ({waiver.reason}): {verdict.message}"
    return replace(verdict, verdict="waived", message=message, gate=False)


def strongest(verdicts: Sequence[str]) -> str:
    """Return the strongest of some verdicts (a requirement's verdict over its cases)."""
    return max(verdicts, key=STRENGTH.index)
