"""The results model, folded from pytest reports or read back from results.json: every output (terminal, HTML,
JUnit, results.json, TestReport) is rendered from it, so they all tell one story."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conformance import areas, requirements
from conformance.baseline import Baseline, Changes
from conformance.grading import STRENGTH, VERIFIED, strongest
from conformance.requirements import Level
from conformance.resultsfile import SCHEMA_VERSION
from conformance.waivers import Waiver

# The verdicts every output counts, in the order they are shown.
COUNTED = ("passed", "failed", "warned", "blocked", "waived", "skipped", "error")
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
    gate: bool = False  # the verdict fails the run (at or above the fail level, and not waived)
    evidence: dict[str, str] | None = None  # the exchange that showed the failure: transcript and curl, redacted

    @property
    def requirement(self) -> str:
        """Return the requirement the case verifies."""
        return self.requirements[0]


@dataclass
class Results:
    """Every case's verdict in a run, what the run selected, its gates, how it ended, and what it left behind."""

    target: dict[str, Any]  # the run's metadata: server, profile, claims, levels, fail level and fail-on, date, tag
    cases: dict[str, CaseResult] = field(default_factory=dict)
    selection: list[str] = field(default_factory=list)  # the case ids the run selected (ran or not)
    shards: list[dict[str, Any]] = field(default_factory=list)  # the runs merged into this one, if any
    waivers: tuple[Waiver, ...] = ()
    baseline: Baseline | None = None
    leftovers: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run ended early (Ctrl-C, a silent server, refused credentials)
    exit_code: int | None = None

    def add(self, report: pytest.TestReport) -> None:
        """Fold one phase report of a scenario case into its result."""
        props, nodeid = dict(report.user_properties), case_id(report.nodeid)
        result = self.cases.setdefault(
            nodeid, CaseResult(nodeid, str(props.get("description", "")), str(props.get("requirements", "")).split())
        )
        result.duration += report.duration
        result.note = str(props.get("note") or result.note)
        verdict = phase_verdict(report, props)
        if verdict is None or not _replaces(verdict, result.verdict):
            return
        result.verdict, result.gate = verdict, report.failed
        result.level = str(props.get("level") or "") or None
        result.blocked_by = str(props.get("blocked_by") or "") or None
        result.message = str(props.get("message") or "") or _one_line(report)
        result.evidence = getattr(report, "fhir_evidence", None)

    def keep(self, case: CaseResult) -> None:
        """Keep a case's result unless the run already holds a stronger one for it (merged shards may overlap)."""
        known = self.cases.get(case.nodeid)
        if known is None or _replaces(case.verdict, known.verdict):
            self.cases[case.nodeid] = case

    def counts(self) -> dict[str, int]:
        """Count the cases by verdict (every verdict, zeros included)."""
        found = Counter(case.verdict for case in self.cases.values())
        return {verdict: found[verdict] for verdict in COUNTED}

    def verified_nothing(self) -> bool:
        """Tell whether cases ran but none said anything about the server (all skipped, blocked or errored)."""
        return bool(self.cases) and not any(c.verdict in VERIFIED for c in self.cases.values())

    def changes(self) -> Changes | None:
        """Return the new failures and new passes since the baseline (None without one)."""
        if self.baseline is None:
            return None
        return self.baseline.compare({entry["id"]: entry["verdict"] for entry in self.by_requirement()})

    def fails_gate(self) -> bool:
        """Tell whether the cases fail the run: one gates (with --fail-on new, a new failure), or none verified."""
        gated = {case.requirement for case in self.cases.values() if case.gate}
        changes = self.changes()
        if self.target.get("fail_on") == "new" and changes is not None:
            gated &= {change.requirement for change in changes.new_failures}
        return bool(gated) or self.verified_nothing()

    def settle(self, status: int) -> int:
        """Set and return the exit code: pytest's own for an interrupted or unusable run, else the gate's."""
        gated = EXIT_FAILED if self.fails_gate() else EXIT_OK
        self.exit_code = status if status not in (EXIT_OK, EXIT_FAILED) else gated
        return self.exit_code

    def verdict(self) -> str:
        """Return the run's overall verdict."""
        if self.stopped:
            return "INTERRUPTED"
        if self.exit_code != EXIT_OK:
            return "FAIL"
        clean = all(case.verdict in ("passed", "skipped") for case in self.cases.values())
        return "PASS" if clean else "PASS WITH WARNINGS"

    def by_requirement(self) -> list[dict[str, Any]]:
        """Return one entry per catalogue row: its verdict over the cases that verify it, and which cases."""
        catalogue, levels = requirements.load(), self.target.get("levels", {})
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
            entry.update(level=catalogue.level(row.id, levels).name, area=areas.area(row.id), verdict=verdict)
            entry.update(cases=[c.nodeid for c in cases], first_case=first.nodeid if first else "")
            entry.update(first_message=first.message if first else "", evidence=first.evidence if first else None)
            entries.append(entry)
        return entries

    def waiver_statuses(self) -> list[dict[str, str]]:
        """Return each waiver with what it did in this run: applied, expired, not-needed or unused."""
        verdicts = {entry["id"]: entry["verdict"] for entry in self.by_requirement()}
        today = date.fromisoformat(str(self.target["date"])[:10])
        statuses = []
        for waiver in self.waivers:
            status, note = waiver.status(verdicts.get(waiver.requirement, "absent"), today)
            statuses.append({**waiver.to_json(), "status": status, "note": note})
        return statuses

    def document(self) -> dict[str, Any]:
        """Return results.json (its shape: schemas/results.schema.json)."""
        entries = self.by_requirement()
        return {
            "schema_version": SCHEMA_VERSION,
            "target": self.target,
            "verdict": self.verdict(),
            "exit_code": self.exit_code,
            "stopped": self.stopped,
            "counts": self.counts(),
            "areas": areas.counts(entries),
            "requirements": entries,
            "cases": [{**asdict(c), "requirement": c.requirement} for c in self.cases.values()],
            "selection": self.selection,
            "shards": self.shards,
            "waivers": self.waiver_statuses(),
            "baseline": self._baseline_document(),
            "leftovers": self.leftovers,
            "kept": self.kept,
            "notices": self.notices,
        }

    def _baseline_document(self) -> dict[str, Any] | None:
        """Return the baseline's verdicts and the changes since, as results.json holds them."""
        changes = self.changes()
        if self.baseline is None or changes is None:
            return None
        new_failures = [asdict(change) for change in changes.new_failures]
        new_passes = [asdict(change) for change in changes.new_passes]
        return {**asdict(self.baseline), "new_failures": new_failures, "new_passes": new_passes}

    def write_json(self, path: Path, document: Mapping[str, Any] | None = None) -> None:
        """Write results.json (or another document rendered from these results) to a path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.document() if document is None else document, indent=2, ensure_ascii=False)
        path.write_text(text + "\n", "utf-8")

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Results:
        """Read results back from a (checked) results.json."""
        baseline = document["baseline"]
        results = cls(
            target=dict(document["target"]),
            selection=list(document["selection"]),
            shards=list(document["shards"]),
            waivers=tuple(Waiver.from_json(waiver) for waiver in document["waivers"]),
            baseline=Baseline(baseline["source"], baseline["verdicts"]) if baseline else None,
            **{key: document[key] for key in ("leftovers", "kept", "notices", "stopped", "exit_code")},
        )
        names = [f.name for f in fields(CaseResult)]
        for case in document["cases"]:
            results.keep(CaseResult(**{name: case[name] for name in names}))
        return results


def case_id(nodeid: str) -> str:
    """Return a case's pytest id without the "@group" that pytest-xdist's loadgroup adds: one name in every run."""
    return nodeid.partition("@")[0]  # case ids are kebab-case (tests/test_catalogue.py), so "@" is xdist's alone


def _replaces(verdict: str, known: str) -> bool:
    """Tell whether a verdict replaces the one known for a case ("skipped" also stands for none yet)."""
    return known == "skipped" or STRENGTH.index(verdict) > STRENGTH.index(known)


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
