"""--baseline FILE: an earlier run's requirement verdicts, and what changed since (new failures, new passes).

The unit compared is the requirement: case ids change as scenario tables grow, a requirement id does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conformance import resultsfile

# Verdicts in which a requirement did not hold (a waived one is a known failure).
FAILING = ("warned", "waived", "blocked", "failed", "error")


@dataclass(frozen=True)
class Change:
    """A requirement whose verdict changed sides since the baseline."""

    requirement: str
    before: str  # its verdict in the baseline ("absent": the baseline has no such row)
    now: str


@dataclass(frozen=True)
class Changes:
    """New failures (failing now, not failing before) and new passes (passed now, failing before)."""

    new_failures: tuple[Change, ...]
    new_passes: tuple[Change, ...]


@dataclass(frozen=True)
class Baseline:
    """The earlier run compared with: where it was read from, and its verdict per requirement."""

    source: str
    verdicts: Mapping[str, str]

    def compare(self, now: Mapping[str, str]) -> Changes:
        """Compare this run's verdicts per requirement with the baseline's."""
        pairs = [(rid, self.verdicts.get(rid, "absent"), verdict) for rid, verdict in now.items()]
        return Changes(
            new_failures=tuple(Change(*p) for p in pairs if p[2] in FAILING and p[1] not in FAILING),
            new_passes=tuple(Change(*p) for p in pairs if p[2] == "passed" and p[1] in FAILING),
        )


def load(path: Path) -> Baseline:
    """Read a baseline results.json (ResultsFileError when it is not one)."""
    document = resultsfile.read(path)
    return Baseline(str(path), {entry["id"]: entry["verdict"] for entry in document["requirements"]})
