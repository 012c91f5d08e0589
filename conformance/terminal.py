"""The terminal's text: the report header, then at the end what did not pass, what changed since the baseline,
what the waivers did, and the requirements per area. pytest's own progress display is left as it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance import areas, runinfo
from conformance.reporting import Results

# Requirement verdicts listed one per line at the end, worst first.
LISTED = ("error", "failed", "blocked", "waived", "warned")


def header_lines(target: Mapping[str, Any]) -> list[str]:
    """Return the report header: the base URL, the server's software, the profile and the gates."""
    gates = f"fail level {target['fail_level']}, fail on {target['fail_on']}"
    lines = [f"fhir-create-conformance {target['suite_version']}: {runinfo.location(target) or 'no server contacted'}"]
    if target["base_url"]:
        lines.append(f"server: {runinfo.server_identity(target)}")
    lines.append(f"profile: {target['profile']} ({target['profile_description']}); {gates}")
    if target["waivers_file"]:
        lines.append(f"waivers: {target['waivers_file']}")
    if target["baseline_file"]:
        lines.append(f"baseline: {target['baseline_file']}")
    return lines


def summary_lines(results: Results) -> list[str]:
    """Return the run's summary: each requirement not passed, changes, waivers, notices, leftovers, the verdict."""
    entries = {entry["id"]: entry for entry in results.by_requirement()}
    listed = sorted((e for e in entries.values() if e["verdict"] in LISTED), key=lambda e: LISTED.index(e["verdict"]))
    lines = [
        f"{e['verdict'].upper():<7} [{e['level']} {e['id']}] {len(e['cases'])} case(s), "
        f"e.g. {e['first_case'].rpartition('::')[2]}: {e['first_message']}"
        for e in listed
    ]
    lines += change_lines(results, entries)
    lines += [f"WAIVER {w['status'].upper()}: {w['note']}" for w in results.waiver_statuses()]
    lines += note_lines(results)
    counts = ", ".join(f"{n} {verdict}" for verdict, n in results.counts().items())
    lines.append(f"VERDICT: {results.verdict()} (exit {results.exit_code}): {counts}")
    return lines


def note_lines(results: Results) -> list[str]:
    """Return the run's notices, what it left on the server or kept, and whether it verified nothing or stopped."""
    lines = [*results.notices, *(f"LEFT ON THE SERVER: {leftover}" for leftover in results.leftovers)]
    lines += [f"KEPT: {kept}" for kept in results.kept]
    if results.verified_nothing():
        lines.append("NOTHING VERIFIED: every case was skipped, blocked or errored, so the run does not pass")
    if results.stopped:
        lines.append(f"STOPPED: {results.stopped}")
    return lines


def change_lines(results: Results, entries: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Return the new failures and new passes since the baseline, or say there are none."""
    changes = results.changes()
    if changes is None or results.baseline is None:
        return []
    lines = [
        f"{kind:<11} [{entries[c.requirement]['level']} {c.requirement}] {c.now} (in the baseline: {c.before})"
        for kind, found in (("NEW FAILURE", changes.new_failures), ("NEW PASS", changes.new_passes))
        for c in found
    ]
    return lines or [f"BASELINE: no new failure and no new pass since {results.baseline.source}"]


def area_lines(results: Results) -> list[str]:
    """Return the table of requirement outcomes per area."""
    table = areas.counts(results.by_requirement())
    width = max(len(name) for name in areas.AREAS) + 2
    lines = [f"{'area':<{width}}" + "".join(f"{o:>{len(o) + 2}}" for o in areas.OUTCOMES)]
    for name, counts in table.items():
        lines.append(f"{name:<{width}}" + "".join(f"{counts[o]:>{len(o) + 2}}" for o in areas.OUTCOMES))
    return lines
