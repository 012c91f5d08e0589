"""report.html through pytest-html 4.2: verdict columns, counts from the results model, quoted requirements."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.client import Exchange
from conformance.requirements import Catalogue

# pytest-html's own outcome keys beside the suite's verdicts; its labels name them in the summary.
LABELS = {
    "failed": "Failed",
    "blocked": "Blocked",
    "warned": "Warned",
    "waived": "Waived",
    "passed": "Passed",
    "skipped": "Skipped",
    "error": "Errors",
}
FILTERS_LINE = "const possibleFilters = [\n"


def find_report(config: pytest.Config) -> Any | None:
    """Return pytest-html's report object, if report.html is being written."""
    from pytest_html.basereport import BaseReport

    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, BaseReport)), None)


def teach_verdicts(report: Any) -> None:
    """Let report.html filter and count the suite's verdicts (warned, blocked, waived) beside pytest's outcomes."""
    import pytest_html
    from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, select_autoescape

    resources = Path(pytest_html.__file__).parent / "resources"
    app = (resources / "app.js").read_text("utf-8")
    if FILTERS_LINE not in app:
        raise RuntimeError("pytest-html's app.js has changed: report.html cannot filter the suite's verdicts")
    # The page hides rows whose result is not a known filter: add the suite's own verdicts to them.
    patched = app.replace(FILTERS_LINE, f"{FILTERS_LINE}    'warned',\n    'blocked',\n    'waived',\n", 1)
    loader = ChoiceLoader([DictLoader({"app.js": patched}), FileSystemLoader(resources)])
    environment = Environment(loader=loader, autoescape=select_autoescape(enabled_extensions=("jinja2",)))
    report._template = environment.get_template("index.jinja2")


def set_counts(report: Any, counts: Mapping[str, int]) -> None:
    """Make report.html's summary count the suite's verdicts, as every other output does."""
    outcomes = report._report.outcomes  # pytest-html 4.2 ReportData: key -> {"label", "value"}
    others = {key: value for key, value in outcomes.items() if key not in LABELS}
    outcomes.clear()
    outcomes.update({key: {"label": label, "value": counts.get(key, 0)} for key, label in LABELS.items()})
    outcomes.update(others)


def result_cell(verdict: str) -> str:
    """Return the Result cell of a row: the case's verdict, which report.html also filters by."""
    return f'<td class="col-result">{LABELS[verdict] if verdict != "error" else "Error"}</td>'


def case_extra(
    description: str, requirement_ids: Sequence[str], catalogue: Catalogue, exchanges: Iterable[Exchange]
) -> str:
    """Return the HTML shown under a case: its requirements quoted, then its HTTP exchanges with curl."""
    rows = []
    for position, requirement_id in enumerate(requirement_ids):
        row = catalogue[requirement_id]
        link = f'<a href="{html.escape(row.anchor)}">{html.escape(row.source)}</a>'
        role = "verifies" if position == 0 else "needs"
        rows.append(f"<li>{role} <b>{row.id}</b> ({row.level.name}, {link}): “{html.escape(row.quote)}”</li>")
    parts = [f"<p>{html.escape(description)}</p><ul>{''.join(rows)}</ul>"]
    for number, exchange in enumerate(dict.fromkeys(exchanges), start=1):
        parts.append(
            f"<details><summary>HTTP exchange {number}: {html.escape(exchange.method)} "
            f"{html.escape(exchange.url)} → {html.escape(exchange.outcome)}</summary>"
            f"<pre>{html.escape(exchange.transcript())}</pre>"
            f"<p>Reproduce:</p><pre>{html.escape(exchange.curl())}</pre></details>"
        )
    return "\n".join(parts)
