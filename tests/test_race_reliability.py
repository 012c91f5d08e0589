"""The suite's races judge reliably: a server that checks, pauses and then inserts is caught in every one of
20 runs, and the correct server passes every one, each judged as the race cases judge (any round with
duplicates fails)."""

from __future__ import annotations

import pytest

from conformance import races
from conformance.checks import ConformanceFailure
from conformance.client import FhirClient
from conformance.resources import Marker, Run
from tests.conftest import Client
from tests.test_server import base_of

RUNS = 20
RACERS = 10  # the suite's default --race-clients
RACES = {"if-none-exist": "check-then-insert-race", "transaction": "bundle-check-then-insert-race"}


def race_is_won(base: str, kind: str) -> bool:
    """Run one race of the suite's (its rounds, as a race case runs them); tell whether it left one resource."""
    client = FhirClient(base)
    race = races.Race(Run(client, Marker()), "Patient", RACERS, races.RACES[kind], lambda name: None)
    try:
        race.single("ccreate.race.single", "ccreate.search.standard")
    except ConformanceFailure:
        return False
    finally:
        client.close()
    return True


@pytest.mark.parametrize("kind", RACES)
@pytest.mark.parametrize("faulty", [False, True], ids=["correct", "racing"])
def test_each_of_20_races_is_judged_alike(start: Client, kind: str, faulty: bool) -> None:
    """The correct server wins 20 races of 20; the racing fault of the kind loses 20 of 20."""
    base = base_of(start(faults=frozenset({RACES[kind]} if faulty else set())))
    assert [race_is_won(base, kind) for _ in range(RUNS)] == [not faulty] * RUNS
