"""python -m conformance.matrix a.json b.json ... -o matrix.html [--csv FILE] [--json FILE]

Several runs side by side (one per server, or per server version): a row per requirement, a column per run,
and the rows where the columns differ highlighted (and, in the HTML, filterable). It reads results files only.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import resultsfile

DESCRIPTION = "Render several runs' results.json side by side, a row per requirement and a column per run."
# A requirement's verdict as a matrix cell.
CELLS = {
    "passed": "pass",
    "failed": "fail",
    "warned": "warn",
    "blocked": "blocked",
    "waived": "waived",
    "skipped": "skipped",
    "error": "error",
    "not-tested": "not tested",
    "not-run": "not run",
}
# A skip is "unsupported" when the profile's claims (Requirement.not_applicable) or the CapabilityStatement
# (Suite.unsupported) put the requirement out of the server's scope, and "skipped" otherwise (nothing to check).
UNSUPPORTED = ("not applicable:", "the server's CapabilityStatement does not offer")
STYLE = """<style>
body { font-family: Helvetica, Arial, sans-serif; font-size: 13px; color: #18181b; }
table { border-collapse: collapse; } th, td { border: 1px solid #d4d4d8; padding: 3px 8px; text-align: left; }
thead th { background: #f4f4f5; position: sticky; top: 0; }
tr.differs td.id { background: #fde68a; font-weight: bold; }
td.pass { background: #dcfce7; } td.fail, td.error { background: #fecaca; } td.blocked { background: #fed7aa; }
td.warn, td.waived { background: #fef3c7; } td.skipped, td.unsupported, td.not-tested, td.not-run { color: #71717a; }
#only-differences:checked ~ table tr.same { display: none; }
</style>"""


@dataclass(frozen=True)
class Column:
    """One run: its label, the file it was read from, its verdict, and its cell per requirement."""

    label: str
    source: str
    verdict: str
    cells: Mapping[str, str]


@dataclass(frozen=True)
class Row:
    """One requirement across the runs."""

    id: str
    level: str
    area: str
    cells: tuple[str, ...]

    @property
    def differs(self) -> bool:
        """Tell whether the runs disagree on this requirement."""
        return len(set(self.cells)) > 1


def cell(entry: Mapping[str, Any]) -> str:
    """Return a requirement entry of results.json as a cell."""
    if entry["verdict"] == "skipped" and entry["first_message"].startswith(UNSUPPORTED):
        return "unsupported"
    return CELLS[entry["verdict"]]


def columns(inputs: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Column]:
    """Return a column per (file name, results.json), each with its label."""
    return [
        Column(label, source, document["verdict"], {e["id"]: cell(e) for e in document["requirements"]})
        for label, (source, document) in zip(labels(inputs), inputs, strict=True)
    ]


def labels(inputs: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Label the runs by server software and version, adding the base URL, then the file, until the labels differ."""
    names = [_name(document["target"], source) for source, document in inputs]
    ways = (
        names,
        [f"{name} at {document['target']['base_url']}" for name, (_, document) in zip(names, inputs, strict=True)],
        [f"{name} ({source})" for name, (source, _) in zip(names, inputs, strict=True)],
    )
    found = next((way for way in ways if len(set(way)) == len(way)), None)
    return found or [f"{name} (run {number})" for number, name in enumerate(names, start=1)]  # one file twice


def _name(target: Mapping[str, Any], source: str) -> str:
    """Name a run by the server's software and version, else its base URL, else its file."""
    software = " ".join(part for part in (target["software"], target["software_version"]) if part)
    return software or target["base_url"] or Path(source).name


def rows(inputs: Sequence[tuple[str, Mapping[str, Any]]], runs: Sequence[Column]) -> list[Row]:
    """Return a row per requirement of any run, in catalogue order, with each run's cell ("absent" if it has none)."""
    first: dict[str, Mapping[str, Any]] = {}  # each requirement as the first run holding it has it
    for _, document in inputs:
        for entry in document["requirements"]:
            first.setdefault(entry["id"], entry)
    return [
        Row(rid, entry["level"], entry["area"], tuple(run.cells.get(rid, "absent") for run in runs))
        for rid, entry in first.items()
    ]


def to_html(runs: Sequence[Column], table: Sequence[Row]) -> str:
    """Return the matrix as one self-contained page, the differing rows highlighted and filterable."""
    head = "".join(
        f"<th>{html.escape(run.label)}<br><small>{html.escape(Path(run.source).name)}: {html.escape(run.verdict)}"
        "</small></th>"
        for run in runs
    )
    body = "".join(
        f'<tr class="{"differs" if row.differs else "same"}"><td class="id">{html.escape(row.id)}</td>'
        f"<td>{row.level}</td><td>{html.escape(row.area)}</td>"
        + "".join(f'<td class="{value.replace(" ", "-")}">{html.escape(value)}</td>' for value in row.cells)
        + "</tr>"
        for row in table
    )
    differing = sum(1 for row in table if row.differs)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>FHIR create conformance matrix</title>{STYLE}'
        f"</head><body><h1>FHIR create conformance: {len(runs)} runs side by side</h1>"
        f"<p>{differing} of {len(table)} requirements differ between the runs.</p>"
        '<input type="checkbox" id="only-differences"><label for="only-differences"> show only the requirements '
        'that differ</label><table id="matrix"><thead><tr><th>requirement</th><th>level</th><th>area</th>'
        f"{head}</tr></thead><tbody>{body}</tbody></table></body></html>\n"
    )


def to_csv(runs: Sequence[Column], table: Sequence[Row]) -> str:
    """Return the matrix as CSV: requirement, level, area, a column per run, and whether the runs differ."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["requirement", "level", "area", *(run.label for run in runs), "differs"])
    writer.writerows([row.id, row.level, row.area, *row.cells, "yes" if row.differs else "no"] for row in table)
    return out.getvalue()


def to_json(runs: Sequence[Column], table: Sequence[Row]) -> dict[str, Any]:
    """Return the matrix as JSON: the runs, then a row per requirement with a cell per run."""
    return {
        "runs": [{"label": run.label, "source": run.source, "verdict": run.verdict} for run in runs],
        "rows": [
            {"id": row.id, "level": row.level, "area": row.area, "cells": list(row.cells), "differs": row.differs}
            for row in table
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Render the results files named on the command line as a matrix."""
    parser = argparse.ArgumentParser(prog="python -m conformance.matrix", description=DESCRIPTION)
    parser.add_argument("inputs", nargs="+", type=Path, metavar="RESULTS_JSON", help="a run's results.json")
    parser.add_argument("-o", "--output", type=Path, metavar="HTML", help="the matrix as a self-contained page")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="the matrix as CSV")
    parser.add_argument("--json", type=Path, metavar="FILE", help="the matrix as JSON")
    args = parser.parse_args(argv)
    if not (args.output or args.csv or args.json):
        parser.exit(2, f"{parser.prog}: error: name an output: -o HTML, --csv FILE or --json FILE\n")
    try:
        inputs = [(str(path), resultsfile.read(path)) for path in args.inputs]
    except resultsfile.ResultsFileError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    runs = columns(inputs)
    table = rows(inputs, runs)
    renderers = {
        args.output: lambda: to_html(runs, table),
        args.csv: lambda: to_csv(runs, table),
        args.json: lambda: json.dumps(to_json(runs, table), indent=2, ensure_ascii=False) + "\n",
    }
    try:
        for path, render in renderers.items():
            if path:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(render(), "utf-8")
    except OSError as error:
        parser.exit(2, f"{parser.prog}: error: cannot write {error.filename}: {error.strerror}\n")
    print(f"{sum(1 for row in table if row.differs)} of {len(table)} requirements differ across {len(runs)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
