"""Races: N clients (--race-clients) send one identical conditional create at once, over a few rounds, and
each round leaves exactly one resource; every answer is 201 or 200 (a loser's 409 or 412 is tolerated and
recorded). The same for N identical transactions with one ifNoneExist. Graded SHOULD; a profile claiming
atomic_conditional_create makes it SHALL (FHIR R4 http.html#ccreate, #trules)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.cases import Case, sequences
from conformance.conditional import ONE, SEARCH, SOUND
from conformance.created import NO_MATCH
from conformance.races import Race
from conformance.transactions import BUNDLE, ENTRY

AS_INTERACTION = "tx.entry.as-interaction"


def single_create(r: Race) -> str:
    """Concurrent identical conditional creates leave one resource; return the losers' refusals, if any."""
    # A race says something only where conditional creates work one at a time: no match creates, one matches.
    r.flow("no-match").grew(1, NO_MATCH)
    r.flow("one-match").unchanged(ONE)
    return r.single("ccreate.race.single", SEARCH)


def single_transaction(r: Race) -> str:
    """Concurrent identical transactions leave one resource; return the losers' refusals, if any."""
    # ... and where a transaction sent twice maps its conditional entry to what the first one stored.
    rerun = r.flow("rerun")
    rerun.rematched(AS_INTERACTION)
    rerun.counted("Patient", 1, AS_INTERACTION)
    return r.single("tx.if-none-exist.race", SEARCH)


CASES = (
    Case(
        "one-resource",
        "identical conditional creates at once leave one resource per round",
        "ccreate.race.single",
        single_create,
        (NO_MATCH, SEARCH, ONE, *SOUND),
        ("if-none-exist",),
    ),
    Case(
        "one-resource",
        "identical transactions with one ifNoneExist at once leave one resource per round",
        "tx.if-none-exist.race",
        single_transaction,
        (AS_INTERACTION, SEARCH, BUNDLE, ENTRY),
        ("transaction",),
    ),
)


@pytest.mark.parametrize(("race", "case"), sequences(CASES, ("Patient",)), indirect=["race"])
def test_races(race: Race, case: Case, record_property: Callable[[str, object], None]) -> None:
    """Each case runs its race's rounds, each racer on a connection of its own opened before the start."""
    note = case.check(race)
    if isinstance(note, str) and note:  # which of the conformant answers the server chose
        record_property("note", note)
