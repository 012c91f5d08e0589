"""Races: N clients send one identical conditional create (or transaction) at once, over a few rounds, and
the run counts what they left (FHIR R4 http.html#ccreate; later FHIR versions warn that these can race)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from conformance import checks
from conformance.client import Exchange, FhirClient
from conformance.resources import MARKER_SYSTEM, Run, by_identifier, find, sample

ROUNDS = 3  # one round can miss a race on a loaded machine; any round with duplicates fails
WON = (200, 201)
TOLERATED = (409, 412)  # a loser refused rather than matched: no duplicate, so tolerated (and recorded)
# What one racer sends, given its own client and the round's resource.
Send = Callable[[FhirClient, dict[str, Any]], Exchange]


def race(
    client: FhirClient, racers: int, warm_up: Callable[[FhirClient], object], send: Callable[[FhirClient], Exchange]
) -> list[Exchange]:
    """Send from `racers` clients of their own at once; each opens its connection (warm_up) before the start signal."""
    start = threading.Barrier(racers)
    clients = [client.sibling() for _ in range(racers)]

    def run(racer: FhirClient) -> Exchange:
        warm_up(racer)  # connected now, so all requests leave together at the signal
        with suppress(threading.BrokenBarrierError):  # a racer that could not connect: go anyway
            start.wait(timeout=client.timeout)
        return send(racer)

    try:
        # Threads of the suite's own: under pytest-xdist too, the racers of a round run concurrently.
        with ThreadPoolExecutor(racers) as pool:
            return list(pool.map(run, clients))
    finally:
        for racer in clients:
            racer.close()


def by_header(racer: FhirClient, resource: dict[str, Any]) -> Exchange:
    """Send a conditional create whose If-None-Exist names the resource's run-unique identifier."""
    return racer.create(resource, {"If-None-Exist": by_identifier(resource)})


def in_transaction(racer: FhirClient, resource: dict[str, Any]) -> Exchange:
    """Send a transaction of one entry, conditional (ifNoneExist) on the resource's run-unique identifier."""
    request = {"method": "POST", "url": resource["resourceType"], "ifNoneExist": by_identifier(resource)}
    full_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, by_identifier(resource))}"  # the same for every racer
    entry = {"fullUrl": full_url, "resource": resource, "request": request}
    return racer.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [entry]})


def entry_status(exchange: Exchange) -> int:
    """Return the status of a transaction's one entry (R4 #transaction-response: '201 Created'), else the HTTP one."""
    body = exchange.resource or {}
    entries = body.get("entry") if exchange.status == 200 and body.get("resourceType") == "Bundle" else None
    status = str(((entries or [{}])[0] or {}).get("response", {}).get("status", "")) if entries else ""
    return int(status.split()[0]) if status[:3].isdigit() else exchange.status


@dataclass(frozen=True)
class Round:
    """One round: the racers' answers and the search that counts what they left."""

    answers: list[Exchange]
    count: Exchange
    identifier: dict[str, str]


class Race:
    """Up to ROUNDS rounds of `racers` identical conditional requests, run when judged (after the race's needs)."""

    def __init__(
        self,
        run: Run,
        resource_type: str,
        racers: int,
        kind: tuple[Send, Callable[[Exchange], int]],
        flows: Callable[[str], Any],
    ) -> None:
        self.run = run
        self.type = resource_type
        self.racers = racers
        self.send, self.status = kind
        self.flow = flows  # the flows the race needs sound before it means anything
        self.rounds: list[Round] = []
        self.exchanges: list[Exchange] = []

    def _round(self) -> Round:
        """Run one round, remembering every resource the racers made for the cleanup."""
        resource = sample(self.type, self.run.marker, self.run.serial())
        value = resource["identifier"][0]["value"]
        answers = race(
            self.run.client,
            self.racers,
            lambda racer: find(racer, self.type, value),
            lambda racer: self.send(racer, resource),
        )
        for answer in answers:
            self.run.remember(self.type, answer)
            self.run.remember_entries(answer)
        count = self.run.count(self.type, value)
        self.exchanges += [*answers, count]
        self.rounds.append(Round(answers, count, {"system": MARKER_SYSTEM, "value": value}))
        return self.rounds[-1]

    def single(self, requirement: str, search: str) -> str:
        """Each round answered 200 or 201 (409 or 412 tolerated) and left one resource; return what was tolerated."""
        # The first round with a stray answer or a duplicate decides: the rounds after it are not run.
        for number in range(1, ROUNDS + 1):
            done = self._round()
            statuses = [self.status(answer) for answer in done.answers]
            strays = [a for a, s in zip(done.answers, statuses, strict=True) if s not in (*WON, *TOLERATED)]
            if strays:
                received = f"{checks.received_status(strays[0])} in round {number} ({_tally(statuses)})"
                checks.fail("every racer answered 200 or 201 (409 or 412 tolerated)", received, strays[0], requirement)
            left = checks.matching(done.count, self.type, done.identifier, search)
            if left != 1:
                expected = f"one {self.type} after {self.racers} identical conditional requests at once"
                checks.fail(expected, f"{left} in round {number} ({_tally(statuses)})", done.answers[0], requirement)
        return _tolerated(self.rounds, self.status)


def _tally(statuses: list[int]) -> str:
    """Describe a round's statuses: '9 x 200, 1 x 201'."""
    return ", ".join(f"{n} x {status}" for status, n in sorted(Counter(statuses).items()))


def _tolerated(rounds: list[Round], status: Callable[[Exchange], int]) -> str:
    """Describe the rounds whose losers were refused rather than matched, or say none were."""
    notes = [
        f"round {number}: {_tally([status(a) for a in done.answers])}"
        for number, done in enumerate(rounds, 1)
        if any(status(a) in TOLERATED for a in done.answers)
    ]
    return "losers refused (tolerated): " + "; ".join(notes) if notes else ""


# The races by name: what each racer sends, and the status its answer stands for.
RACES: dict[str, tuple[Send, Callable[[Exchange], int]]] = {
    "if-none-exist": (by_header, lambda exchange: exchange.status),
    "transaction": (in_transaction, entry_status),
}
