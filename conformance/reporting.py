"""The results model, folded from pytest reports: every output (terminal, HTML, JUnit, results.json) is
rendered from it, so they all tell one story."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.grading import STRENGTH, VERIFIED, strongest
from conformance.requirements import Catalogue, Level

SCHEMA_VERSION = 2
# The verdicts every output counts, in the order they are shown.
COUNTED = ("passed", "failed", "warned", "blocked", "skipped", "error")
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2


@dataclass
class CaseResult:
    """The verdict on one scenario case."""

    nodeid: str
    description: str
    requirements: list[str]
    verdict: str = "skipped"
    level: str | None = None
    message: str = ""
    blocked_by: str | None = None
    duration: float = 0.0
    note: str = ""  # which of the conformant answers the server chose, where the spec allows several

    @property
    def requirement(self) -> str:
        """Return the requirement the case verifies."""
        return self.requirements[0]


@dataclass
class Results:
    """Every case's verdict in a run, how the run ended, and what it left on the server."""

    target: dict[str, Any]
    cases: dict[str, CaseResult] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run ended early (Ctrl-C, a silent server, refused credentials)
    exit_code: int | None = None

    def add(self, report: pytest.TestReport) -> None:
        """Fold one phase report of a scenario case into its result."""
        props = dict(report.user_properties)
        result = self.cases.setdefault(
            report.nodeid,
            CaseResult(report.nodeid, str(props.get("description", "")), str(props.get("requirements", "")).split()),
        )
        result.duration += report.duration
        result.note = str(props.get("note") or result.note)
        verdict = phase_verdict(report, props)
        weaker = result.verdict != "skipped" and STRENGTH.index(verdict or "skipped") <= STRENGTH.index(result.verdict)
        if verdict is None or weaker:
            return
        result.verdict = verdict
        result.level = str(props.get("level") or "") or None
        result.blocked_by = str(props.get("blocked_by") or "") or None
        result.message = str(props.get("message") or "") or _one_line(report)

    def counts(self) -> dict[str, int]:
        """Count the cases by verdict (every verdict, zeros included)."""
        found = Counter(case.verdict for case in self.cases.values())
        return {verdict: found[verdict] for verdict in COUNTED}

    def verified_nothing(self) -> bool:
        """Tell whether cases ran but none said anything about the server (all skipped, blocked or errored)."""
        return bool(self.cases) and not any(c.verdict in VERIFIED for c in self.cases.values())

    def verdict(self) -> str:
        """Return the run's overall verdict."""
        if self.stopped:
            return "INTERRUPTED"
        if self.exit_code != EXIT_OK:
            return "FAIL"
        counts = self.counts()
        return "PASS WITH WARNINGS" if counts["warned"] or counts["blocked"] else "PASS"

    def by_requirement(self, catalogue: Catalogue, levels: Mapping[str, str]) -> list[dict[str, Any]]:
        """Return one entry per catalogue row: its verdict over the cases that verify it, and which cases."""
        verifying: dict[str, list[CaseResult]] = {}
        for case in self.cases.values():
            verifying.setdefault(case.requirement, []).append(case)
        entries = []
        for row in catalogue.values():
            cases = verifying.get(row.id, [])
            untested = "not-tested" if row.not_tested else "not-run"
            verdict = strongest([c.verdict for c in cases]) if cases else untested
            first = next((c for c in cases if c.verdict == verdict), None)
            entry = {k: (v.name if isinstance(v, Level) else v) for k, v in asdict(row).items()}
            entry.update(level=catalogue.level(row.id, levels).name, verdict=verdict)
            entry.update(cases=[c.nodeid for c in cases], first_case=first.nodeid if first else "")
            entry.update(first_message=first.message if first else "")
            entries.append(entry)
        return entries

    def write_json(self, path: Path, catalogue: Catalogue, levels: Mapping[str, str]) -> None:
        """Write results.json: the target, how the run ended, counts, each requirement and case, leftovers."""
        document = {
            "schema_version": SCHEMA_VERSION,
            "target": self.target,
            "verdict": self.verdict(),
            "exit_code": self.exit_code,
            "stopped": self.stopped,
            "counts": self.counts(),
            "requirements": self.by_requirement(catalogue, levels),
            "cases": [{**asdict(c), "requirement": c.requirement} for c in self.cases.values()],
            "leftovers": self.leftovers,
            "kept": self.kept,
            "notices": self.notices,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")

    def summary_lines(self, catalogue: Catalogue, levels: Mapping[str, str]) -> list[str]:
        """Return the run's summary: each requirement not passed, notices, leftovers, and the verdict."""
        shown = ("error", "failed", "blocked", "warned")
        entries = [e for e in self.by_requirement(catalogue, levels) if e["verdict"] in shown]
        entries.sort(key=lambda e: shown.index(e["verdict"]))
        lines = [
            f"{e['verdict'].upper():<7} [{e['level']} {e['id']}] {len(e['cases'])} case(s), "
            f"e.g. {e['first_case'].rpartition('::')[2]}: {e['first_message']}"
            for e in entries
        ]
        lines += self.notices
        lines += [f"LEFT ON THE SERVER: {leftover}" for leftover in self.leftovers]
        lines += [f"KEPT: {kept}" for kept in self.kept]
        if self.verified_nothing():
            lines.append("NOTHING VERIFIED: every case was skipped, blocked or errored, so the run does not pass")
        if self.stopped:
            lines.append(f"STOPPED: {self.stopped}")
        counts = ", ".join(f"{n} {verdict}" for verdict, n in self.counts().items())
        lines.append(f"VERDICT: {self.verdict()} (exit {self.exit_code}): {counts}")
        return lines


def phase_verdict(report: pytest.TestReport, props: Mapping[str, object]) -> str | None:
    """Return the verdict one phase report gives its case (None: it says nothing new)."""
    if report.when == "call":
        return str(props.get("verdict") or ("skipped" if report.skipped else "error"))
    if report.skipped:
        return "skipped"
    return "error" if report.failed else None


def _one_line(report: pytest.TestReport) -> str:
    """Return the first line of a report's failure or skip text."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = str(report.longrepr or "")
    return next((line for line in text.splitlines() if line.strip()), "")
