"""python -m conformance.merge a.json b.json ... -o merged.json [--testreport FILE]

Merges the results.json of runs that each ran a subset of the cases (CI shards) into one results.json and one
verdict, by the results model's own rules: a case run in several shards keeps its strongest verdict, so a
requirement that failed in any shard fails, and one that no shard ran stays not-run. Each shard's selection
is kept. The command exits with the merged run's exit code (2 also for unusable input).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance import resultsfile, terminal, testreport
from conformance.reporting import EXIT_FAILED, EXIT_OK, Results

DESCRIPTION = "Merge the results.json of CI shards into one results.json and one verdict."
# What shards of one run have in common; merging runs that differ here would mix two runs' verdicts.
SHARED = ("profile", "levels", "fail_level", "fail_on", "suite_version", "software", "software_version", "fhir_version")


class MergeError(ValueError):
    """Results files that are not shards of one run; the message is one line."""


def merge(shards: Sequence[tuple[str, Mapping[str, Any]]]) -> Results:
    """Merge (name, results.json) pairs into the results of one run."""
    _check_shared(shards)
    runs = [(name, Results.from_document(document)) for name, document in shards]
    first = runs[0][1]
    tags = dict.fromkeys(run.target["run_tag"] for _, run in runs)
    merged = Results(target={**first.target, "run_tag": ", ".join(tags)}, baseline=first.baseline)
    merged.waivers = tuple(dict.fromkeys(waiver for _, run in runs for waiver in run.waivers))
    for name, run in runs:
        for case in run.cases.values():
            merged.keep(case)
        merged.selection = list(dict.fromkeys([*merged.selection, *run.selection]))
        merged.shards.append(_shard(name, run))
        merged.leftovers += run.leftovers
        merged.kept += run.kept
        merged.notices += [f"{name}: {notice}" for notice in run.notices]
    _end(merged, [run for _, run in runs])
    return merged


def _check_shared(shards: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Refuse shards that differ in profile, levels, gates, suite or server, or compare with another baseline."""
    first_name, first = shards[0]
    for name, document in shards[1:]:
        for key in SHARED:
            if document["target"][key] != first["target"][key]:
                mine, theirs = first["target"][key], document["target"][key]
                raise MergeError(f"{name} is not a shard of the run in {first_name}: {key} {theirs!r} vs {mine!r}")
        if (document["baseline"] or {}).get("verdicts") != (first["baseline"] or {}).get("verdicts"):
            raise MergeError(f"{name} is not a shard of the run in {first_name}: it compares with another baseline")


def _shard(name: str, run: Results) -> dict[str, Any]:
    """Return what the merged results keep of one shard: where it came from, its verdict and its selection."""
    target = run.target
    verdict, code = run.verdict(), run.exit_code
    fields = {"run_tag": target["run_tag"], "base_url": target["base_url"], "verdict": verdict, "exit_code": code}
    return {"source": name, **fields, "selection": run.selection}


def _end(merged: Results, runs: Sequence[Results]) -> None:
    """Settle how the merged run ended: as a stopped shard did, else by the gate over every case."""
    stopped = [run for run in runs if run.stopped]
    if stopped:
        merged.stopped = "; ".join(str(run.stopped) for run in stopped)
        merged.exit_code = stopped[0].exit_code or EXIT_FAILED
        return
    # A shard that ended otherwise than passing or failing (e.g. a pytest internal error) keeps its code.
    unusual = [run.exit_code for run in runs if run.exit_code not in (EXIT_OK, EXIT_FAILED, None)]
    merged.settle(unusual[0] if unusual else EXIT_OK)


def main(argv: Sequence[str] | None = None) -> int:
    """Merge the results files named on the command line."""
    parser = argparse.ArgumentParser(prog="python -m conformance.merge", description=DESCRIPTION)
    parser.add_argument("inputs", nargs="+", type=Path, metavar="RESULTS_JSON", help="a shard's results.json")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the merged results.json")
    parser.add_argument("--testreport", type=Path, metavar="FILE", help="also write the merged FHIR TestReport")
    args = parser.parse_args(argv)
    try:
        merged = merge([(str(path), resultsfile.read(path)) for path in args.inputs])
    except (resultsfile.ResultsFileError, MergeError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    try:
        merged.write_json(args.output)
        if args.testreport:
            merged.write_json(args.testreport, testreport.build(merged))
    except OSError as error:
        parser.exit(2, f"{parser.prog}: error: cannot write {error.filename}: {error.strerror}\n")
    print("\n".join([*terminal.summary_lines(merged), "", *terminal.area_lines(merged)]))
    return EXIT_FAILED if merged.exit_code is None else merged.exit_code


if __name__ == "__main__":
    sys.exit(main())
