"""Self-tests of the properties over generated resources: the run's seed, its repetition, and a failure shown as
the smallest resource hypothesis shrank it to, with the curl commands that send it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from conformance import refused
from conformance.fuzzing import Fuzzing
from conformance.resources import Marker
from scenarios.test_fuzz import invalid_examples, valid_examples
from tests.conftest import run_suite

SEED = re.compile(r"^hypothesis seed: (\d+) \(--hypothesis-seed=\1 draws this run's examples again\)$", re.M)


def drawn(examples: Callable[[str, Marker], object], seed: int) -> list[str]:
    """Return the JSON of the Patients a property draws from a seed (nothing is sent)."""
    fuzzing = Fuzzing(examples("Patient", Marker("run-x")), (), print, print, 12, seed)  # type: ignore[arg-type]
    return list(fuzzing.drawn)


def test_a_seed_draws_the_same_examples_again() -> None:
    """The seed a run prints is all it takes to draw its examples again; another seed draws others."""
    for examples in (valid_examples, invalid_examples):
        assert drawn(examples, 7) == drawn(examples, 7)
        assert drawn(examples, 7) != drawn(examples, 8)
        assert len(drawn(examples, 7)) == 12


def test_each_run_prints_its_seed_and_the_certification_profile_fixes_it(tmp_path: Path) -> None:
    """A run prints the seed it drew (and results.json holds it); under --hypothesis-profile certification the
    seed is the same every run, so certification runs repeat."""
    selected = ("scenarios/test_fuzz.py", "-p", "no:html", "-k", "organization-valid-accepted", "--fuzz-examples=2")
    # Named, since where CI is set hypothesis loads its derandomizing "ci" profile by default.
    drawn_runs = [run_suite(tmp_path / str(n), *selected, "--hypothesis-profile=default") for n in range(2)]
    seeds = [SEED.findall(run.output) for run in drawn_runs]
    assert all(len(found) == 1 for found in seeds) and seeds[0] != seeds[1], [r.output for r in drawn_runs]
    assert drawn_runs[0].results["target"]["hypothesis_seed"] == seeds[0][0]
    certified = run_suite(tmp_path / "certified", *selected, "--hypothesis-profile=certification")
    assert certified.returncode == 0 and SEED.findall(certified.output) == ["0"], certified.output


def test_a_failure_shows_the_shrunk_resource_and_how_to_send_it(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """A read that loses every character beyond the BMP: the failure shows a small resource holding one such
    character, the curl command that creates it and the one that reads it back; results.json keeps both."""
    url = reference_server(validates=True, faults=frozenset({"read-replaces-astral-characters"}))
    run = run_suite(
        tmp_path, f"--base-url={url}", "scenarios/test_fuzz.py", "-k", "patient-valid-read-round-trip",
        "--fail-level=should", "--hypothesis-seed=20261130",
    )  # fmt: skip
    assert run.returncode == 1 and run.verdicts() == {"patient-valid-read-round-trip": "failed"}, run.output
    heading = "The smallest failing example found (shrunk; the run's seed is 20261130), as sent:\n"
    assert heading in run.output, run.output
    example = run.output.split(heading)[1].split("\n\nReproduce with:\n")[0]
    assert re.search("[\U00010000-\U0010ffff]", example) and len(example.splitlines()) <= 40, example
    reproducer = run.output.split("\n\nReproduce with:\n")[1]
    assert reproducer.startswith(f"curl -i -X POST {url}/Patient ")
    assert f"then, with the id the server gives it:\ncurl -i -X GET {url}/Patient/" in reproducer
    evidence = next(r for r in run.results["requirements"] if r["id"] == "fuzz.valid.round-trip")["evidence"]
    assert evidence["example"] == heading + example and reproducer.startswith(evidence["curl"])
    assert evidence["curl"].endswith("-H 'Accept: application/fhir+json'") and evidence["curl"].count("curl -i") == 2


def test_a_search_for_many_refusals_at_once_is_trusted_only_when_it_shows_every_match() -> None:
    """A page with a next link, or a total beyond the entries shown, cannot settle what was kept: each refusal
    then searches alone (a server's default page size must not hide a stored invalid resource)."""
    entry = {"resource": {"resourceType": "Patient", "id": "a"}}
    assert not refused._paged({"resourceType": "Bundle", "total": 1, "entry": [entry]})
    assert not refused._paged({"resourceType": "Bundle", "total": 0})
    assert refused._paged({"resourceType": "Bundle", "total": 2, "entry": [entry]})
    assert refused._paged({"resourceType": "Bundle", "link": [{"relation": "next", "url": "x"}], "entry": [entry]})
