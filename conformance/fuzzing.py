"""Properties over generated resources: each case of a property judges every example hypothesis draws of one type,
and a case that fails reports the smallest failing example its failure shrinks to, with a curl command.

The cases of a property and type share one sweep: hypothesis draws the examples from the run's seed, each is sent
once (together, through the suite's pool, as the subjects of other cases are: subjects.py), then the reads or
searches that follow them, and every case judges every example, so a server that keeps the property costs one pass
over the examples. A case the sweep saw fail then runs alone from the same seed: hypothesis draws the same examples
(those already sent are not sent again), meets the failure and shrinks it, sending each smaller example it tries,
one after another, up to a budget.
"""

from __future__ import annotations

import unittest
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, NamedTuple, TypeGuard

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from conformance import fhirjson
from conformance.cases import Case, Property
from conformance.checks import ConformanceFailure
from conformance.client import Exchange
from conformance.concurrency import made_once
from conformance.created import Created
from conformance.refused import Refusal
from conformance.suite import Suite

CERTIFICATION = "certification"
# The seed under a derandomizing hypothesis profile (certification): the same examples every run.
FIXED_SEED = 0
# Examples a case's shrink may try once it meets its failure: each may cost a round trip or two, and the first
# tries (dropping whole elements) make most of the reduction.
SHRINK_BUDGET = 150

Json = dict[str, Any]
Subject = Created | Refusal
Outcome = BaseException | None  # None: passed; else the case's failure, a need's, or a skip


def register_profiles() -> None:
    """Register the hypothesis profile of certification runs: derandomized, no example database."""
    settings.register_profile(CERTIFICATION, derandomize=True, database=None)


def unknown_profile(name: str | None) -> str | None:
    """Return why --hypothesis-profile names no registered profile, or None."""
    if name is None:
        return None
    try:
        settings.get_profile(name)
    except InvalidArgument:
        return f"--hypothesis-profile: no profile named {name!r} (the suite registers {CERTIFICATION!r})"
    return None


def run_seed(given_seed: int | None, drawn: int) -> int:
    """Return the seed of a run's examples: --hypothesis-seed if given, a fixed one where the hypothesis profile
    derandomizes (certification runs repeat), else the one drawn for the run."""
    if given_seed is not None:
        return given_seed
    return FIXED_SEED if settings().derandomize else drawn


class Example(NamedTuple):
    """A generated resource, and what a failure found with it says of it (the rule an invalid one breaks)."""

    resource: Json
    note: str = ""


@dataclass
class Finding:
    """What one case made of the examples: how many it judged, its first failure, why others went unjudged."""

    judged: int = 0
    failure: ConformanceFailure | None = None
    shown: Subject | None = None  # the example whose exchanges show the finding
    unjudged: BaseException | None = None

    def add(self, case: Case, outcome: Outcome, subject: Subject) -> None:
        """Count one example's outcome: judged (passed or failed), or not judged (a need failed, or no subject)."""
        if outcome is None or _own(outcome, case):
            self.judged += 1
            if outcome is not None and self.failure is None:
                self.failure, self.shown = outcome, subject
        elif self.unjudged is None:
            self.unjudged, self.shown = outcome, self.shown or subject


class Fuzzing:
    """One property over one type's examples, in this process: what each example got, and what each case found."""

    def __init__(
        self,
        examples: SearchStrategy[Example],
        cases: Sequence[Case],
        send: Callable[[Json], Subject],
        follow_up: Callable[[list[Any]], list[Callable[[], object]]],
        count: int,
        run_seed: int,
    ) -> None:
        self.examples = examples
        self.cases = tuple(cases)
        self.send = send
        self.follow_up = follow_up
        self.count = count
        self.seed = run_seed
        self.exchanges: list[Exchange] = []  # those of the example the last case reported (report.html)
        self._sent: dict[str, Subject] = {}  # by the example's JSON
        self._outcomes: dict[tuple[str, str], Outcome] = {}
        self._findings: dict[str, Finding] | None = None

    @made_once
    def drawn(self) -> dict[str, Example]:
        """Return the examples hypothesis draws from the run's seed, by their JSON, in order (nothing is sent)."""
        drawn: dict[str, Example] = {}

        def keep(example: Example) -> None:
            drawn.setdefault(fhirjson.dumps(example.resource), example)

        self._run(keep)
        return drawn

    def sends(self) -> list[Callable[[], object]]:
        """Return one call per drawn example that sends it, so that the examples go out together."""
        return [partial(self._subject, key, example) for key, example in self.drawn.items()]

    def follow_ups(self) -> list[Callable[[], object]]:
        """Return the calls that make the requests the cases make of the examples sent (reads, searches)."""
        return self.follow_up([self._sent[key] for key in self.drawn if key in self._sent])

    def holds(self, case: Case) -> None:
        """Judge a case on every example: return, or raise the failure of the smallest failing example found
        (the reason no example could be judged, when none could: a skip, or a need that blocks the case)."""
        finding = self._swept()[case.id]
        self.exchanges = finding.shown.exchanges if finding.shown else []
        if finding.failure is not None:
            raise self._shrunk(case, finding.failure)
        if not finding.judged and finding.unjudged is not None:
            raise finding.unjudged

    def _swept(self) -> dict[str, Finding]:
        """Let every case judge every drawn example, in order, each sent once (on first use)."""
        if self._findings is None:
            findings = {case.id: Finding() for case in self.cases}
            for key, example in self.drawn.items():
                subject = self._subject(key, example)
                for case in self.cases:
                    findings[case.id].add(case, self._judged(case, key, subject), subject)
            self._findings = findings
        return self._findings

    def _shrunk(self, case: Case, first: ConformanceFailure) -> ConformanceFailure:
        """Run one case alone from the run's seed; return the failure of the smallest failing example met within
        the shrink's budget, shown with it."""
        heading = f"The smallest failing example found (shrunk; the run's seed is {self.seed}), as sent"
        smallest: list[ConformanceFailure] = []

        tries = SHRINK_BUDGET

        def alone(example: Example) -> None:
            nonlocal tries
            if smallest:
                if tries <= 0:  # hypothesis stops at once at a skip: the smallest failure met so far stands
                    raise _Spent("the shrink's budget is spent")
                tries -= 1
            key = fhirjson.dumps(example.resource)
            subject = self._subject(key, example)
            outcome = self._judged(case, key, subject)
            if _own(outcome, case):
                self.exchanges = subject.exchanges
                smallest[:] = [outcome.shown_with(_headed(heading, example), subject.sent, subject.exchange)]
                raise smallest[0]

        try:
            self._run(alone)
        except (ConformanceFailure, _Spent):
            return smallest[0]
        # The failure did not recur (a server that answers one request two ways): shown as the sweep met it.
        shown = self._findings[case.id].shown if self._findings else None
        heading = "A failing example (it did not fail again, so it is not shrunk), as sent"
        return first.shown_with(heading, shown.sent, shown.exchange) if shown else first

    def _subject(self, key: str, example: Example) -> Subject:
        """Return what sending an example (`key`: its JSON) got, sent on first sight."""
        if key not in self._sent:
            self._sent[key] = self.send(example.resource)
        return self._sent[key]

    def _judged(self, case: Case, key: str, subject: Subject) -> Outcome:
        """Return a case's outcome on an example (`key`: its JSON), judged once: a replay sends nothing."""
        if (case.id, key) not in self._outcomes:
            self._outcomes[case.id, key] = _outcome(case, subject)
        return self._outcomes[case.id, key]

    def _run(self, test: Callable[[Example], None]) -> None:
        """Run hypothesis over the examples with the run's seed: no deadline (the network), no example database
        (the seed reproduces a run), no explain phase (more requests)."""
        runs = settings(
            max_examples=self.count,
            deadline=None,
            database=None,
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
            phases=[phase for phase in settings().phases if phase is not Phase.explain],
        )
        seed(self.seed)(runs(given(self.examples)(test)))()


class _Spent(unittest.SkipTest):
    """A shrink has tried as many examples as its budget allows (hypothesis stops at once at a skip)."""


def _outcome(case: Case, subject: Subject) -> Outcome:
    """Judge one example: None when it passes, else the failure or the skip its check raised."""
    try:
        case.check(subject)
    except (ConformanceFailure, pytest.skip.Exception) as outcome:
        return outcome
    return None


def _own(outcome: Outcome, case: Case) -> TypeGuard[ConformanceFailure]:
    """Tell whether an outcome is a failure of the case's own requirement (not of a need, nor a skip)."""
    return isinstance(outcome, ConformanceFailure) and outcome.requirement in (None, case.verifies)


def _headed(heading: str, example: Example) -> str:
    """Put what an example's note says of it into a heading."""
    return f"{heading} ({example.note})" if example.note else heading


class Properties:
    """This process's properties, each over each type's examples, made on first use."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self._fuzzings: dict[tuple[str, str], Fuzzing] = {}

    def of(self, claim: Property, resource_type: str) -> Fuzzing:
        """Return a property's examples of a type; its cases are those the profile's claims apply to."""
        key = (claim.name, resource_type)
        if key not in self._fuzzings:
            suite = self.suite
            cases = [case for case in claim.cases if not suite.not_applicable(case.verifies)]
            examples = claim.examples(resource_type, suite.run.marker)
            seeded = run_seed(suite.settings.hypothesis_seed, suite.target.seed)
            send = self._sender(claim, resource_type)
            count = suite.settings.fuzz_examples
            self._fuzzings[key] = Fuzzing(examples, cases, send, claim.follow_up, count, seeded)
        return self._fuzzings[key]

    def _sender(self, claim: Property, resource_type: str) -> Callable[[Json], Subject]:
        """Return how an example is sent: as a create to accept, or as the attempt to refuse, each run-unique."""
        suite, run = self.suite, self.suite.run
        if claim.attempt is not None:
            attempt = replace(claim.attempt, name=f"{claim.attempt.name}-{resource_type.lower()}", type=resource_type)
            return lambda resource: suite.refuse(attempt, run.identify(resource))
        accepted = str(claim.accepted)
        return lambda resource: suite.create_as_sent(run.identify(resource), accepted)
