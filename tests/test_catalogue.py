"""The requirements catalogue is sound, and scenarios and code cite only what it holds."""

from __future__ import annotations

import re

import pytest

from conformance import requirements
from conformance.profile import build_profile
from conformance.server.faults import REGISTRY
from tests.conftest import REPO

CATALOGUE = requirements.load()
ID = re.compile(r"^[a-z]+(\.[a-z0-9]+(-[a-z0-9]+)*)+$")
CITED_IN_CODE = re.compile(r"""["']((?:create|reject|ccreate|tx|tenancy|fuzz)\.[a-z0-9.-]+)["']""")
CASE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-[a-z0-9]+(-[a-z0-9]+)*$")


def test_rows_are_well_formed() -> None:
    """Every row has a dotted id, a quote, a source with an https anchor, and a known applies-when claim."""
    claims = build_profile("r4", {}).claims()
    for row in CATALOGUE.values():
        assert ID.match(row.id), row.id
        assert row.quote.strip(), row.id
        assert row.source.startswith("FHIR R4 ") or row.source in ("Aidbox docs", "ClinikAPI docs", "suite"), row.id
        assert row.source == "suite" or row.anchor.startswith("https://"), row.id
        assert not row.applies_when or row.applies_when.removeprefix("!").partition("=")[0] in claims, row.id


def test_cited_ids_exist(scenario_cases: dict[str, tuple[str, ...]]) -> None:
    """Every id a scenario case, a check, a fault or a preset cites is in the catalogue."""
    cited = {i for ids in scenario_cases.values() for i in ids}
    for path in [*REPO.glob("conformance/**/*.py"), *REPO.glob("scenarios/*.py")]:
        cited |= set(CITED_IN_CODE.findall(path.read_text("utf-8")))
    cited |= {fault.breaks for fault in REGISTRY.values()}
    for preset in ("r4", "aidbox", "clinikapi"):
        cited |= set(build_profile(preset, {}).levels)
    assert sorted(cited - set(CATALOGUE)) == []


def test_every_shall_is_covered_or_says_why(scenario_cases: dict[str, tuple[str, ...]]) -> None:
    """A SHALL row is verified by a case (as the id it verifies first) or has a not-tested reason."""
    verified = {ids[0] for ids in scenario_cases.values() if ids}
    uncovered = [
        r.id
        for r in CATALOGUE.values()
        if r.level is requirements.Level.SHALL and r.id not in verified and not r.not_tested
    ]
    assert uncovered == []


def test_rows_claimed_tested_are_tested(scenario_cases: dict[str, tuple[str, ...]]) -> None:
    """A row with no not-tested reason is verified by some case, and a row with one is not."""
    verified = {ids[0] for ids in scenario_cases.values() if ids}
    assert sorted(r.id for r in CATALOGUE.values() if not r.not_tested and r.id not in verified) == []
    assert sorted(r.id for r in CATALOGUE.values() if r.not_tested and r.id in verified) == []


def test_every_verified_requirement_has_a_fault(scenario_cases: dict[str, tuple[str, ...]]) -> None:
    """Each requirement a case verifies is broken by a reference-server fault: a check that cannot fail is a defect."""
    verified = {ids[0] for ids in scenario_cases.values() if ids}
    assert sorted(verified - {fault.breaks for fault in REGISTRY.values()}) == []


def test_case_ids_are_kebab_case_and_unique(scenario_cases: dict[str, tuple[str, ...]]) -> None:
    """Case ids are short kebab-case words (``patient-status-201``) that ``-k`` can select."""
    for case_id, ids in scenario_cases.items():
        assert CASE_ID.match(case_id), case_id
        assert ids, f"{case_id} cites no requirement"


def test_the_readme_states_how_many_rows_are_verified() -> None:
    """The README's claim of coverage is the catalogue's own count of rows verified by scenarios."""
    verified = sum(1 for row in CATALOGUE.values() if not row.not_tested)
    readme = (REPO / "README.md").read_text("utf-8")
    assert f"Verified today: {verified} of the catalogue's {len(CATALOGUE)} rows" in readme


@pytest.mark.parametrize("module", sorted(p.name for p in (REPO / "scenarios").glob("test_*.py")))
def test_descriptions_are_present_tense(module: str) -> None:
    """Case descriptions state what happens ('a create answers 201'), never 'should' or 'must'."""
    text = (REPO / "scenarios" / module).read_text("utf-8")
    descriptions = re.findall(
        r'(?:Case|RefusedCreate|Attempt|invalid|unsupported)\(\s*"[^"]+",\s*[\'"]([^\'"]+)[\'"]', text
    )
    assert descriptions, f"{module} has no case table"
    for description in descriptions:
        assert not re.search(r"\b(should|must|test|tests|verify|verifies|check)\b", description, re.I), description
        assert description == description.strip() and not description.endswith("."), description
