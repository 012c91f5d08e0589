"""The gates and the results files, in-process: waivers, baselines, areas, claim provenance, results.json read
back, shards that do not belong together, and the command-line tools' one-line errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conformance import areas, jsonschemas, matrix, merge, requirements, resultsfile, waivers
from conformance.baseline import Baseline
from conformance.grading import Verdict, waive
from conformance.profile import build_profile
from conformance.reporting import CaseResult, Results
from conformance.requirements import Level

TODAY = date(2026, 6, 1)
ETAG = "create.etag.present"
TARGET = {
    "profile": "r4",
    "profile_description": "FHIR R4 as written",
    "claims": {"id_policy": {"value": "ignore", "from": "preset r4"}},
    "levels": {},
    "fail_level": "shall",
    "fail_on": "all",
    "waivers_file": None,
    "baseline_file": None,
    "suite_version": "0.1.0",
    "date": "2026-06-01T12:00:00+00:00",
    "hypothesis_seed": None,
    "base_url": "http://127.0.0.1:8080",
    "embedded": False,
    "software": "Example FHIR",
    "software_version": "1.0",
    "fhir_version": "4.0.1",
    "run_tag": "https://example.org/fhir-create-conformance/run|run-1",
}


def results_of(verdicts: dict[str, str], **target: Any) -> Results:
    """Return the results of a run whose one case per requirement had these verdicts."""
    results = Results(target={**TARGET, **target}, exit_code=0)
    for number, (requirement, verdict) in enumerate(verdicts.items()):
        case = CaseResult(f"scenarios/test_x.py::test[{number}]", "a case", [requirement], verdict, "SHALL", "m")
        results.keep(replace(case, gate=verdict in ("failed", "error")))
    results.selection = list(results.cases)
    results.settle(0)
    return results


def test_a_waiver_file_is_read_with_toml_or_text_dates(tmp_path: Path) -> None:
    """Each waiver names a catalogue id, a reason and a date (a TOML date or "YYYY-MM-DD")."""
    path = tmp_path / "w.toml"
    path.write_text(
        f'[[waiver]]\nrequirement = "{ETAG}"\nreason = "r"\nexpires = 2026-06-01\n'
        '[[waiver]]\nrequirement = "create.status.201"\nreason = "r"\nexpires = "2026-05-31"\n',
        "utf-8",
    )
    loaded = waivers.load(path, TODAY)
    assert [w.expires for w in loaded.entries] == [date(2026, 6, 1), date(2026, 5, 31)]
    assert loaded.active(ETAG) is not None and loaded.active("create.status.201") is None  # valid through its date


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[waiver]\n", "not valid TOML"),
        ('[[waiver]]\nrequirement = "create.etag.present"\nexpires = 2027-01-01\n', "'reason' is a required property"),
        ('[[waiver]]\nrequirement = "create.nope"\nreason = "r"\nexpires = 2027-01-01\n', "unknown requirement id"),
        ('[[waiver]]\nrequirement = "create.etag.present"\nreason = "r"\nexpires = "2027-02-30"\n', "is not a date"),
        ('[[waivers]]\nrequirement = "create.etag.present"\n', "(top level): Additional properties are not allowed"),
        ('[[waiver]]\nrequirement = "create.etag.present"\nreason = "r"\nexpires = 2027-01-01\n' * 2, "two waivers"),
    ],
)
def test_a_bad_waiver_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    """A waivers file that breaks its schema or names what is not there says so in one line."""
    path = tmp_path / "w.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(waivers.WaiverError) as raised:
        waivers.load(path, TODAY)
    assert message in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("verdict", "expires", "waived"),
    [
        ("failed", TODAY, "waived"),
        ("warned", TODAY, "waived"),
        ("blocked", TODAY, "blocked"),
        ("failed", date(2026, 5, 31), "failed"),
    ],
    ids=["failed", "warned", "blocked-is-not-waived", "expired"],
)
def test_a_waiver_waives_its_own_failures_until_it_expires(verdict: str, expires: date, waived: str) -> None:
    """A failed or warned case of a waived requirement is waived (it does not gate); blocked and expired are not."""
    accepted = waivers.Waivers((waivers.Waiver(ETAG, "ETags in 5.2", expires),), TODAY)
    graded = waive(Verdict(verdict, ETAG, Level.SHOULD, "expected an ETag", gate=True), accepted)
    assert graded.verdict == waived and graded.gate == (waived != "waived")
    assert graded.message.startswith(f"waived until {expires} (ETags in 5.2)") == (waived == "waived")


@pytest.mark.parametrize(
    ("verdict", "expires", "status"),
    [
        ("waived", TODAY, "applied"),
        ("passed", TODAY, "not-needed"),
        ("not-run", TODAY, "unused"),
        ("passed", date(2020, 1, 1), "expired"),
    ],
)
def test_a_waiver_says_what_it_did(verdict: str, expires: date, status: str) -> None:
    """Applied, not needed (its requirement passes), unused (not verified), or expired."""
    assert waivers.Waiver(ETAG, "r", expires).status(verdict, TODAY)[0] == status


@pytest.mark.parametrize(
    ("before", "now", "change"),
    [
        ("passed", "failed", "new failure"),
        ("passed", "blocked", "new failure"),
        ("not-run", "warned", "new failure"),
        ("failed", "failed", None),
        ("waived", "failed", None),
        ("failed", "passed", "new pass"),
        ("passed", "not-run", None),
    ],
)
def test_a_baseline_compares_requirement_verdicts(before: str, now: str, change: str | None) -> None:
    """Failing now and not before is a new failure; passing now and failing before is a new pass."""
    changes = Baseline("b.json", {ETAG: before}).compare({ETAG: now})
    found = "new failure" if changes.new_failures else "new pass" if changes.new_passes else None
    assert found == change


def test_fail_on_new_gates_only_on_new_failures() -> None:
    """A run whose only failure the baseline already had passes under --fail-on new, and fails under all."""
    baseline = Baseline("b.json", {"create.status.201": "failed", ETAG: "passed"})
    known = results_of({"create.status.201": "failed", ETAG: "passed"}, fail_on="new")
    assert replace(known, baseline=baseline).settle(1) == 0
    assert replace(known, baseline=baseline, target={**known.target, "fail_on": "all"}).settle(1) == 1
    regressed = results_of({"create.status.201": "failed", ETAG: "failed"}, fail_on="new")
    assert replace(regressed, baseline=baseline).settle(1) == 1


@pytest.mark.parametrize(
    ("requirement", "area"),
    [
        ("create.status.201", "success"),
        ("create.prefer.minimal", "Prefer"),
        ("create.id.client-ignored", "client id"),
        ("create.id.assigned", "success"),
        ("reject.id.duplicate-409", "client id"),
        ("reject.mime.accept-406", "rejections"),
        ("ccreate.match.one", "conditional"),
        ("tx.atomic.all-or-nothing", "transactions"),
        ("tenancy.tag.injected", "tenancy"),
        ("fuzz.valid.accepted", "fuzzing"),
    ],
)
def test_each_requirement_has_its_area(requirement: str, area: str) -> None:
    """The area comes from the id: its family, or the Prefer and client-id rows named apart."""
    assert areas.area(requirement) == area


def test_every_catalogue_row_has_an_area() -> None:
    """A new family of requirement ids needs its area in areas.py (the tables per area count every row)."""
    assert {areas.area(requirement_id) for requirement_id in requirements.load()} <= set(areas.AREAS)


def test_each_claim_says_where_it_came_from(tmp_path: Path) -> None:
    """A claim comes from a preset, the user's file, or a flag (the last word wins)."""
    path = tmp_path / "mine.toml"
    path.write_text('extends = "aidbox"\n[claims]\ninvalid_status = "400"\n', "utf-8")
    profile = build_profile(str(path), {"validates": False})
    assert profile.provenance["id_policy"] == "preset aidbox" and profile.provenance["weak_etag"] == "preset aidbox"
    assert (
        profile.provenance["invalid_status"] == f"file {path}"
        and profile.provenance["validates"] == "flag --no-validates"
    )


def test_results_json_reads_back_as_it_was_written() -> None:
    """results.json is valid by its schema, and reading it back gives the same document."""
    document = results_of({"create.status.201": "failed", ETAG: "waived"}).document()
    assert jsonschemas.first_error(document, "results") is None
    assert Results.from_document(document).document() == document


def test_shards_of_different_runs_are_refused() -> None:
    """Shards run at different fail levels are not one run: the merge says which setting differs."""
    first, second = results_of({ETAG: "passed"}), results_of({ETAG: "passed"}, fail_level="should")
    with pytest.raises(merge.MergeError) as raised:
        merge.merge([("a.json", first.document()), ("b.json", second.document())])
    assert str(raised.value) == "b.json is not a shard of the run in a.json: fail_level 'should' vs 'shall'"


@pytest.mark.parametrize("tool", [merge.main, matrix.main], ids=["merge", "matrix"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"schema_version": 2}', "not a results.json of schema version 3 (its schema_version is 2)"),
        (
            '{"schema_version": 3, "verdict": "PASS"}',
            "not a valid results.json: (top level): 'target' is a required property",
        ),
    ],
    ids=["not-json", "old-version", "wrong-shape"],
)
def test_a_tool_refuses_a_bad_results_file_in_one_line(
    tool: Any, content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """merge and matrix exit 2 with one line naming the file and what is wrong, never a traceback."""
    path = tmp_path / "results.json"
    path.write_text(content, "utf-8")
    with pytest.raises(SystemExit) as raised:
        tool([str(path), "-o", str(tmp_path / "out")])
    errors = capsys.readouterr().err.splitlines()
    assert raised.value.code == 2 and len(errors) == 1 and f"error: {path}: {message}" in errors[0]


def test_resultsfile_names_a_missing_file(tmp_path: Path) -> None:
    """A results file that is not there is one line naming it."""
    with pytest.raises(resultsfile.ResultsFileError, match=r"nothing\.json: cannot read it"):
        resultsfile.read(tmp_path / "nothing.json")
