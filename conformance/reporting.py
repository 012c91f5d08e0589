"""The results model, built from pytest reports, and what is rendered from it: results.json, HTML, terminal."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import requirements
from conformance.client import Exchange
from conformance.profile import Settings
from conformance.requirements import Catalogue, Level

SCHEMA_VERSION = 1
# Verdicts, strongest last: a case's verdict is the strongest its phases reached.
VERDICTS = ("passed", "skipped", "warning", "failed", "error")


def grade(level: Level, fail_level: str) -> str:
    """Return a failed check's verdict: failed at or above the fail level, else a warning."""
    return "failed" if level >= Level[fail_level.upper()] else "warning"


@dataclass
class CaseResult:
    """The verdict on one scenario case."""

    nodeid: str
    description: str
    requirements: list[str]
    verdict: str = "passed"
    requirement: str | None = None  # the one the verdict is about, when it is not a pass
    level: str | None = None
    message: str = ""
    duration: float = 0.0


@dataclass
class Results:
    """Every case's verdict in a run, and what the run left on the server."""

    target: dict[str, Any]
    cases: dict[str, CaseResult] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)

    def add(self, report: pytest.TestReport) -> None:
        """Fold one phase report of a scenario case into its result."""
        props = dict(report.user_properties)
        result = self.cases.setdefault(
            report.nodeid,
            CaseResult(report.nodeid, str(props.get("description", "")), str(props.get("requirements", "")).split()),
        )
        result.duration += report.duration
        verdict = _verdict(report, props)
        if VERDICTS.index(verdict) > VERDICTS.index(result.verdict):
            result.verdict = verdict
            result.requirement = str(props.get("failed_requirement") or result.requirements[0])
            result.level = str(props.get("level", "")) or None
            result.message = str(props.get("message", "")) or _one_line(report)

    def counts(self) -> Counter[str]:
        """Count the cases by verdict."""
        return Counter(case.verdict for case in self.cases.values())

    def by_requirement(self, catalogue: Catalogue) -> list[dict[str, Any]]:
        """Return one entry per catalogue row: its verdict over the cases that verify it, and which cases."""
        entries = []
        for requirement in catalogue.values():
            cases = [c for c in self.cases.values() if requirement.id == (c.requirement or c.requirements[0])]
            verdicts = {c.verdict for c in cases}
            verdict = max(verdicts, key=VERDICTS.index) if verdicts else "not-run"
            entries.append(
                {
                    **{k: str(v.name if isinstance(v, Level) else v) for k, v in asdict(requirement).items()},
                    "verdict": "not-tested" if requirement.not_tested and not cases else verdict,
                    "cases": sorted(c.nodeid for c in cases),
                }
            )
        return entries

    def write_json(self, path: Path, catalogue: Catalogue) -> None:
        """Write results.json: the target, counts, one entry per requirement and per case, leftovers."""
        document = {
            "schema_version": SCHEMA_VERSION,
            "target": self.target,
            "counts": dict(self.counts()),
            "requirements": self.by_requirement(catalogue),
            "cases": [asdict(c) for c in self.cases.values()],
            "leftovers": self.leftovers,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")

    def terminal_lines(self) -> list[str]:
        """Return the lines of the run's summary: warnings, leftovers, and nothing-verified."""
        lines = [
            f"WARNING [{c.level} {c.requirement}] {c.nodeid}: {c.message}"
            for c in self.cases.values()
            if c.verdict == "warning"
        ]
        lines += [f"LEFT ON THE SERVER: {leftover}" for leftover in self.leftovers]
        return lines

    def verified_nothing(self) -> bool:
        """Tell whether cases ran but none checked anything (all skipped, errored or deselected)."""
        counts = self.counts()
        return bool(self.cases) and not (counts["passed"] or counts["failed"] or counts["warning"])


def _verdict(report: pytest.TestReport, props: Mapping[str, object]) -> str:
    """Return the verdict one phase report gives its case."""
    if report.skipped:
        return "skipped"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    return str(props.get("verdict", "passed")) if report.when == "call" else "passed"


def _one_line(report: pytest.TestReport) -> str:
    """Return the first line of a report's failure text."""
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    text = str(report.longrepr or "")
    return next((line for line in text.splitlines() if line.strip()), "")


def html_extra(
    description: str, requirements: Sequence[str], catalogue: Catalogue, exchanges: Iterable[Exchange]
) -> str:
    """Return the HTML shown under a case in report.html: its requirements quoted, then its HTTP exchanges."""
    rows = []
    for requirement_id in requirements:
        row = catalogue[requirement_id]
        link = f'<a href="{html.escape(row.anchor)}">{html.escape(row.source)}</a>'
        rows.append(f"<li><b>{row.id}</b> ({row.level.name}, {link}): “{html.escape(row.quote)}”</li>")
    parts = [f"<p>{html.escape(description)}</p><ul>{''.join(rows)}</ul>"]
    for number, exchange in enumerate(dict.fromkeys(exchanges), start=1):
        parts.append(
            f"<details><summary>HTTP exchange {number}: {html.escape(exchange.method)} "
            f"{html.escape(exchange.url)} → {exchange.status}</summary>"
            f"<pre>{html.escape(exchange.transcript())}</pre>"
            f"<p>Reproduce:</p><pre>{html.escape(exchange.curl())}</pre></details>"
        )
    return "\n".join(parts)


class Reporter:
    """Folds scenario reports into the run's Results and renders them; registered for scenario runs only."""

    def __init__(self, settings: Settings, results: Results) -> None:
        self.settings = settings
        self.results = results

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold each scenario report into the results (on the controller, under xdist too)."""
        if any(name == "requirements" for name, _ in report.user_properties):
            self.results.add(report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """Collect what an xdist worker could not delete."""
        self.results.leftovers.extend(getattr(node, "workeroutput", {}).get("leftovers", []))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write results.json; a run that verified nothing does not pass."""
        self.results.write_json(self.settings.reports_dir / "results.json", requirements.load())
        if exitstatus == 0 and self.results.verified_nothing():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        """Title report.html with what was tested."""
        report.title = f"FHIR create conformance: {self.results.target['base_url']} ({self.results.target['profile']})"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """Add the requirement, its level and the graded verdict to report.html's table."""
        cells[2:2] = ["<th>Requirement</th>", "<th>Level</th>", "<th>Verdict</th>"]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        """Fill the added columns from the case's properties (a SHOULD failure shows as WARNING)."""
        props = dict(report.user_properties)
        requirement = str(props.get("failed_requirement") or str(props.get("requirements", "")).split(" ")[0])
        level = props.get("level") or (requirements.load()[requirement].level.name if requirement else "")
        verdict = str(props.get("verdict") or report.outcome).upper()
        cells[2:2] = [f"<td>{html.escape(requirement)}</td>", f"<td>{level}</td>", f"<td>{verdict}</td>"]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print SHOULD-level warnings, leftovers, a verified-nothing notice, and where the reports are."""
        lines = self.results.terminal_lines()
        if self.results.verified_nothing():
            lines.append("NOTHING VERIFIED: every case was skipped or errored, so the run does not pass")
        terminalreporter.section("fhir-create-conformance")
        for line in lines:
            terminalreporter.line(line)
        terminalreporter.line(f"reports: {self.settings.reports_dir}")
