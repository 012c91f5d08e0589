"""The verdict page at the top of report.html: the verdict and exit code, the server and the run, the profile's
claims and where each came from, the requirements per area, each requirement that did not pass (quoted, with
a link to the spec and its first failing case), what changed since the baseline, and what the waivers did."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from conformance import areas, runinfo, terminal
from conformance.reporting import Results

# The page carries its own style: report.html is one self-contained file.
STYLE = """<style>
.fhir-page { color: #18181b; font-size: 13px; margin-bottom: 1.5em; }
.fhir-page h3 { font-size: 14px; margin: 1.2em 0 .3em; }
.fhir-page a { color: #1d4ed8; }
.fhir-page table { margin: .2em 0 .8em; }
.fhir-page th, .fhir-page td { border: 1px solid #d4d4d8; padding: 3px 8px; text-align: left; vertical-align: top; }
.fhir-page th { background: #f4f4f5; }
.fhir-page td.count { text-align: right; min-width: 3em; }
.fhir-page td.none { color: #a1a1aa; }
.fhir-page td.failed, .fhir-page td.blocked, .fhir-page td.error { background: #fee2e2; font-weight: bold; }
.fhir-page td.warned, .fhir-page td.waived { background: #fef3c7; }
.fhir-page td.passed { background: #dcfce7; }
.fhir-page .requirement { margin: .5em 0; padding-left: .6em; border-left: 4px solid #dc2626; }
.fhir-page .requirement.minor { border-left-color: #d97706; }
.fhir-page q { font-style: italic; }
.fhir-page pre { white-space: pre-wrap; background: #f4f4f5; padding: 4px; }
#fhir-verdict { color: #fff; padding: 8px 12px; border-radius: 4px; font-size: 20px; margin: 0 0 .3em; }
#fhir-verdict.pass { background: #15803d; }
#fhir-verdict.warn { background: #b45309; }
#fhir-verdict.fail { background: #b91c1c; }
#fhir-verdict.interrupted { background: #52525b; }
.warned { color: #a06b00; } .blocked { color: #c2410c; } .waived { color: #7c3aed; } .run-count { display: none; }
</style>"""
# pytest-html's own "N tests took" line counts only passed and failed cases: the verdict counts replace it.
BANNER = {"PASS": "pass", "PASS WITH WARNINGS": "warn", "FAIL": "fail", "INTERRUPTED": "interrupted"}
MAJOR = ("error", "failed", "blocked")
MINOR = ("warned", "waived")


def render(results: Results) -> str:
    """Return the verdict page."""
    entries = results.by_requirement()
    sections = [
        _banner(results),
        _section("The run", _facts(results.target)),
        _section("The profile's claims", _claims(results.target["claims"])),
        _section("Requirements by area", _areas(entries)),
        _section("Failed and blocked requirements", _requirements(entries, MAJOR, "requirement")),
        _section("Warned and waived requirements", _requirements(entries, MINOR, "requirement minor")),
        _section("Since the baseline", _changes(results)),
        _section("Waivers", _waivers(results.waiver_statuses())),
        _section("Notes", _notes(results)),
    ]
    return f'{STYLE}<div class="fhir-page">{"".join(sections)}</div>'


def _banner(results: Results) -> str:
    """Return the verdict heading with the exit code, and the case counts."""
    verdict = results.verdict()
    counts = ", ".join(f'<span class="fhir-count {v}">{n} {v}</span>' for v, n in results.counts().items())
    heading = f'<h2 id="fhir-verdict" class="{BANNER[verdict]}">Verdict: {verdict} (exit {results.exit_code})</h2>'
    return f"{heading}<p>Cases: {counts}</p>"


def _section(title: str, body: str) -> str:
    """Return a titled section, or nothing when it has no body."""
    return f"<h3>{html.escape(title)}</h3>{body}" if body else ""


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], table_id: str = "") -> str:
    """Return a table (no header row when ``header`` is empty); header cells are text, row cells HTML already."""
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    ident = f' id="{table_id}"' if table_id else ""
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return f"<table{ident}>{thead}<tbody>{body}</tbody></table>"


def _cell(value: object, css: str = "") -> str:
    """Return a table cell of escaped text."""
    return f'<td class="{css}">{html.escape(str(value))}</td>' if css else f"<td>{html.escape(str(value))}</td>"


def _facts(target: Mapping[str, Any]) -> str:
    """Return the run's metadata: server, base URL, profile, gates, suite version, date, seed, run tag."""
    facts = [
        ("Server", runinfo.server_identity(target)),
        ("Base URL", runinfo.location(target)),
        ("Profile", f"{target['profile']}: {target['profile_description']}"),
        ("Fail level", target["fail_level"]),
        ("Fail on", target["fail_on"]),
        ("Waivers", target["waivers_file"] or "none"),
        ("Baseline", target["baseline_file"] or "none"),
        ("Suite version", f"fhir-create-conformance {target['suite_version']}"),
        ("Date", target["date"]),
        ("Hypothesis seed", target["hypothesis_seed"] or "none"),
        ("Run tag", target["run_tag"]),
    ]
    return _table((), ([f"<th>{html.escape(name)}</th>", _cell(value)] for name, value in facts), "fhir-run")


def _claims(claims: Mapping[str, Mapping[str, Any]]) -> str:
    """Return each claim of the profile, its value, and where it came from."""
    # JSON's words for a boolean claim, as the profile's TOML writes it.
    shown = {name: json.dumps(claim["value"]).strip('"') for name, claim in claims.items()}
    rows = ([_cell(name), _cell(shown[name]), _cell(claim["from"])] for name, claim in claims.items())
    return _table(("claim", "value", "from"), rows, "fhir-claims")


def _areas(entries: Iterable[Mapping[str, Any]]) -> str:
    """Return the requirement outcomes per area."""
    rows = (
        [_cell(name), *(_cell(n, f"count {outcome if n else 'none'}") for outcome, n in counts.items())]
        for name, counts in areas.counts(entries).items()
    )
    return _table(("area", *areas.OUTCOMES), rows, "fhir-areas")


def _requirements(entries: Iterable[Mapping[str, Any]], verdicts: Sequence[str], css: str) -> str:
    """Return each requirement with one of these verdicts: quoted, its level, spec link, first failing case."""
    chosen = sorted((e for e in entries if e["verdict"] in verdicts), key=lambda e: verdicts.index(e["verdict"]))
    return "".join(_requirement(entry, css) for entry in chosen)


def _requirement(entry: Mapping[str, Any], css: str) -> str:
    """Return one requirement that did not pass, with the evidence of its first failing case."""
    source = html.escape(entry["source"])
    link = f'<a href="{html.escape(entry["anchor"])}">{source}</a>' if entry["anchor"] else source
    case = html.escape(entry["first_case"].rpartition("::")[2])
    evidence = entry["evidence"]
    example = f"<pre>{html.escape(evidence['example'])}</pre>" if evidence and evidence.get("example") else ""
    shown = (
        f"<details><summary>Evidence: the exchange</summary>{example}<pre>{html.escape(evidence['transcript'])}</pre>"
        f"<p>Reproduce:</p><pre>{html.escape(evidence['curl'])}</pre></details>"
        if evidence
        else ""
    )
    return (
        f'<div class="{css}"><b class="{entry["verdict"]}">{entry["verdict"].upper()}</b> '
        f"[{entry['level']} <code>{html.escape(entry['id'])}</code>] <q>{html.escape(entry['quote'])}</q> ({link})"
        f"<br>{len(entry['cases'])} case(s); first: <code>{case}</code>: {html.escape(entry['first_message'])}"
        f"{shown}</div>"
    )


def _changes(results: Results) -> str:
    """Return the new failures and new passes since the baseline."""
    changes = results.changes()
    if changes is None or results.baseline is None:
        return ""
    found = [("new failure", c) for c in changes.new_failures] + [("new pass", c) for c in changes.new_passes]
    rows = ([_cell(kind), _cell(c.requirement), _cell(c.before), _cell(c.now, c.now)] for kind, c in found)
    source = f"<p>Compared with {html.escape(results.baseline.source)}: {len(found)} change(s).</p>"
    return source + (_table(("change", "requirement", "in the baseline", "now"), rows, "fhir-changes") if found else "")


def _waivers(statuses: Sequence[Mapping[str, str]]) -> str:
    """Return each waiver and what it did in this run."""
    rows = ([_cell(w["requirement"]), _cell(w["expires"]), _cell(w["status"]), _cell(w["note"])] for w in statuses)
    return _table(("requirement", "expires", "status", "what it did"), rows, "fhir-waivers") if statuses else ""


def _notes(results: Results) -> str:
    """Return the run's notices, what it left on the server or kept, and why it stopped."""
    lines = terminal.note_lines(results)
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>" if lines else ""
