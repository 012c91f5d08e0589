"""The subjects cases check, as pytest fixtures: a create, a type's creates, a tenancy case's subject, a
refusal, a conditional-create flow, a transaction flow, a race, a property's examples of a
type. Each is skipped, with the reason, where the server's claims say it does not apply.

The first case of a group (its xdist group: a resource type, or the refusals) makes every subject the
group's selected cases need, together through the suite's pool, with the reads that follow them: the
cases then check what came back (--concurrency 1 sends one request at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest

from conformance.cases import Property
from conformance.conditional import PLANS as FLOWS
from conformance.conditional import Flow
from conformance.created import Created
from conformance.fuzzing import Fuzzing, Properties
from conformance.races import Race
from conformance.refused import Attempt, Refusal
from conformance.resources import REQUESTS
from conformance.sequences import PATIENT, Sequences
from conformance.suite import Suite
from conformance.tenancy import Subject, Tenancy
from conformance.transactions import PLANS as TRANSACTIONS
from conformance.transactions import Transaction

# A group's subjects, as (fixture name, indirect parameter) pairs.
Plan = Mapping[str, Sequence[tuple[str, Any]]]
PLAN = pytest.StashKey[Plan]()
EVERY_GROUP = "*"


@dataclass
class Subjects:
    """This process's subjects, made group by group."""

    suite: Suite
    sequences: Sequences
    tenancy: Tenancy
    properties: Properties
    plan: Plan = field(default_factory=dict)
    together: bool = True  # every group at once (one process runs them all); else each as its first case runs

    def of(self, request: pytest.FixtureRequest) -> Any:
        """Return the subject of the requesting case, after making its group's subjects together."""
        marker = request.node.get_closest_marker("xdist_group")
        if marker is not None:
            self.warm(EVERY_GROUP if self.together else str(marker.args[0]))
        return MAKERS[str(request.fixturename)](self, request.param)

    def warm(self, group: str) -> None:
        """Make a group's subjects together, then the reads that follow them together, once."""
        groups = self.plan if group == EVERY_GROUP else {group: self.plan.get(group, ())}
        wanted = [subject for subjects in groups.values() for subject in subjects]

        def run() -> None:
            self.suite.pool.settle(step for fixture, param in wanted for step in self._steps(fixture, param))
            follow = [
                call for fixture, param in wanted for made in self._made(fixture, param)
                for call in FOLLOW_UPS.get(type(made), _nothing)(made)
            ]  # fmt: skip
            self.suite.pool.settle(follow)

        self.suite.once.get(("warm", group), run)

    def _steps(self, fixture: str, param: Any) -> list[Callable[[], object]]:
        """Return the independent calls that make a subject: one, or one per example of a property."""
        if fixture != "fuzzed":
            return [partial(MAKERS[fixture], self, param)]
        return [send for fuzzing in self._made(fixture, param) for send in fuzzing.sends()]  # drawn, not sent

    def _made(self, fixture: str, param: Any) -> list[Any]:
        """Return a subject made (as a list: a type's creates already are one); none if it failed or skipped."""
        try:
            made = MAKERS[fixture](self, param)
        except BaseException:  # a case asking for it reports the failure, or the skip
            return []
        return made if isinstance(made, list) else [made]


def _created(s: Subjects, param: tuple[str, str]) -> Created:
    resource_type, how = param
    _skip_create(s, resource_type, how)
    return s.suite.created(resource_type, how)


def _creates(s: Subjects, resource_type: str) -> list[Created]:
    _skip(s.suite.unsupported(resource_type))
    return s.suite.creates_of(resource_type)


def _tenanted(s: Subjects, param: tuple[str, str]) -> Subject:
    resource_type, way = param
    _skip_create(s, resource_type, way)
    return s.tenancy.subject(resource_type, way)


def _refusal(s: Subjects, attempt: Attempt) -> Refusal:
    _skip(s.suite.inapplicable(attempt))
    return s.suite.refusal(attempt)


def _flow(s: Subjects, param: tuple[str, str]) -> Flow:
    resource_type, name = param
    _skip(s.suite.unsupported(resource_type) or s.sequences.conditional_unsupported(resource_type))
    if FLOWS[name].query and not s.suite.profile.conditional_query:
        pytest.skip("not applicable: the profile does not claim the query form of conditional create")
    return s.sequences.flow(resource_type, name)


def _transaction(s: Subjects, param: tuple[str, str]) -> Transaction:
    _, name = param
    _skip(s.sequences.transactions_unsupported() or s.suite.unsupported(PATIENT))
    if TRANSACTIONS[name].conditional:
        _skip(s.sequences.conditional_unsupported(PATIENT))
    return s.sequences.transaction(name)


def _race(s: Subjects, param: tuple[str, str]) -> Race:
    resource_type, name = param
    _skip(s.suite.unsupported(resource_type) or s.sequences.conditional_unsupported(resource_type))
    if name == "transaction":
        _skip(s.sequences.transactions_unsupported())
    return s.sequences.race(resource_type, name)


def _fuzzed(s: Subjects, param: tuple[Property, str]) -> Fuzzing:
    claim, resource_type = param
    _skip(s.suite.unsupported(resource_type))
    return s.properties.of(claim, resource_type)


MAKERS: Mapping[str, Callable[[Subjects, Any], Any]] = {
    "created": _created,
    "creates": _creates,
    "tenanted": _tenanted,
    "refusal": _refusal,
    "flow": _flow,
    "transaction": _transaction,
    "race": _race,
    "fuzzed": _fuzzed,
}


def _nothing(subject: object) -> list[Callable[[], object]]:
    return []


# The requests cases make of a subject after it is made, as calls: warmed with it. (Races run their rounds when
# judged.)
FOLLOW_UPS: Mapping[type, Callable[[Any], list[Callable[[], object]]]] = {
    Created: lambda c: [partial(getattr, c, "read_location"), partial(getattr, c, "read")],
    Refusal: lambda r: [partial(getattr, r, "kept")],
    Fuzzing: lambda f: f.follow_ups(),
}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Plan what the selected cases need (after every deselection: -k, -m, --only-requirement)."""
    runs = [item for item in session.items if item.get_closest_marker("skip") is None]
    session.config.stash[PLAN] = plan(runs)


def plan(items: Sequence[pytest.Item]) -> dict[str, list[tuple[str, Any]]]:
    """Return each group's subjects that the selected cases need, in order, once each."""
    groups: dict[str, dict[tuple[str, str], tuple[str, Any]]] = {}
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        params = getattr(item, "callspec", None)
        for fixture in MAKERS:
            if marker is not None and params is not None and fixture in params.params:
                param = params.params[fixture]
                groups.setdefault(str(marker.args[0]), {})[(fixture, repr(param))] = (fixture, param)
    return {group: list(subjects.values()) for group, subjects in groups.items()}


@pytest.fixture(scope="session")
def tenancy(suite: Suite) -> Tenancy:
    """Return this process's tenancy subjects."""
    return Tenancy(suite)


@pytest.fixture(scope="session")
def sequences(suite: Suite) -> Sequences:
    """Return this process's flows, transactions and races."""
    return Sequences(suite)


@pytest.fixture(scope="session")
def subjects(request: pytest.FixtureRequest, suite: Suite, sequences: Sequences, tenancy: Tenancy) -> Subjects:
    """Return this process's subjects, with the plan of what its selected cases need."""
    # An xdist worker runs only the groups sent to it, so it makes each group's subjects as the group comes.
    together = not hasattr(request.config, "workerinput")
    return Subjects(suite, sequences, tenancy, Properties(suite), request.config.stash.get(PLAN, {}), together)


@pytest.fixture
def created(request: pytest.FixtureRequest, subjects: Subjects) -> Created:
    """Return the create a case checks: (type, request name) come as the case's indirect parameter."""
    return subjects.of(request)  # type: ignore[no-any-return]


@pytest.fixture
def creates(request: pytest.FixtureRequest, subjects: Subjects) -> list[Created]:
    """Return every plain create of one type (the case's indirect parameter), one per way of sending it."""
    return subjects.of(request)  # type: ignore[no-any-return]


@pytest.fixture
def tenanted(request: pytest.FixtureRequest, subjects: Subjects) -> Subject:
    """Return a tenancy case's subject: (type, way of sending the create) come as its indirect parameter."""
    return subjects.of(request)  # type: ignore[no-any-return]


@pytest.fixture
def refusal(request: pytest.FixtureRequest, subjects: Subjects) -> Refusal:
    """Return the refusal a case checks: its attempt comes as the case's indirect parameter."""
    return subjects.of(request)  # type: ignore[no-any-return]


@pytest.fixture
def flow(request: pytest.FixtureRequest, subjects: Subjects) -> Flow:
    """Return a conditional-create flow: (type, flow name) come as the case's indirect parameter."""
    return subjects.of(request)  # type: ignore[no-any-return]


@pytest.fixture
def transaction(request: pytest.FixtureRequest, subjects: Subjects) -> Transaction:
    """Return a transaction flow: ("Bundle", flow name) come as the case's indirect parameter."""
    return subjects.of(request)  # type: ignore[no-any-return]


@pytest.fixture
def race(request: pytest.FixtureRequest, subjects: Subjects) -> Race:
    """Return a race: (type, race name) come as the case's indirect parameter."""
    return subjects.of(request)  # type: ignore[no-any-return]


@pytest.fixture
def fuzzed(request: pytest.FixtureRequest, subjects: Subjects) -> Fuzzing:
    """Return a property's examples of a type: (property, type) come as the case's indirect parameter."""
    return subjects.of(request)  # type: ignore[no-any-return]


def _skip_create(s: Subjects, resource_type: str, way: str) -> None:
    """Skip a case of a create the server does not offer, or of a conditional one it does not support."""
    _skip(s.suite.unsupported(resource_type))
    if way in REQUESTS and REQUESTS[way].conditional:
        _skip(s.sequences.conditional_unsupported(resource_type))


def _skip(reason: str | None) -> None:
    """Skip the case when its subject does not apply to the server."""
    if reason:
        pytest.skip(reason)
