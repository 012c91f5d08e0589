"""Absence is judged only by a search shown to find what exists: behind searches that find nothing (an index that
lags behind its writes), what a refusal left behind and what another tenant can see cannot be looked for, so
those cases are skipped, saying why, rather than passed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance.server.faults import REGISTRY
from tests.conftest import run_suite
from tests.stubs import blind_search_proxy
from tests.test_faults import suite_flags


def test_nothing_stored_is_not_passed_where_a_search_finds_nothing(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """A server that stores refused bodies: the nothing-stored cases of refusals, generated invalid resources and
    transaction rollbacks are skipped, each saying that a search by identifier does not find what the run made."""
    with blind_search_proxy(reference_server(faults=frozenset({"refusals-stored"}))) as url:
        run = run_suite(tmp_path, f"--base-url={url}", "-p", "no:html", "-k", "nothing-stored and not tenancy")
    stored = [c for c in run.results["cases"] if c["nodeid"].endswith("-nothing-stored]")]
    assert stored and {c["verdict"] for c in stored} == {"skipped"}, run.output
    searched = [c["message"] for c in stored if not c["message"].startswith("not applicable: ")]  # claims aside
    assert len(searched) > 20 and all("by identifier does not find the" in m for m in searched), searched


def test_isolation_is_not_passed_where_the_other_tenants_search_finds_nothing(
    tmp_path: Path, reference_server: Callable[..., str]
) -> None:
    """A server whose searches leak across tenants: the other tenant's searches, finding nothing at all, show
    nothing of isolation, so those cases are skipped; and a keyless create's nothing-stored case with them."""
    config = REGISTRY["search-across-tenants"].config
    with blind_search_proxy(reference_server(**config, faults=frozenset({"search-across-tenants"}))) as url:
        run = run_suite(
            tmp_path, f"--base-url={url}", "-p", "no:html", *suite_flags(config), "-k", "patient and tenancy"
        )
    judged = ("tenancy.isolation.search", "tenancy.auth.nothing-created")
    searches = {c["nodeid"]: c["verdict"] for c in run.results["cases"] if c["requirements"][0] in judged}
    assert len(searches) == 9 and set(searches.values()) == {"skipped"}, searches
