"""The subjects cases check, as pytest fixtures: a create, a type's creates, a tenancy case's subject, a
refusal, a conditional-create flow, a transaction flow, a race, a property's examples of a type. Each is
skipped, with the reason, where the server's claims say it does not apply."""

from __future__ import annotations

import pytest

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


@pytest.fixture
def created(request: pytest.FixtureRequest, suite: Suite, sequences: Sequences) -> Created:
    """Return the create a case checks: (type, request name) come as the case's indirect parameter."""
    resource_type, how = request.param
    _skip_create(suite, sequences, resource_type, how)
    return suite.created(resource_type, how)


@pytest.fixture
def creates(request: pytest.FixtureRequest, suite: Suite) -> list[Created]:
    """Return every plain create of one type (the case's indirect parameter), one per way of sending it."""
    _skip(suite.unsupported(request.param))
    return suite.creates_of(request.param)


@pytest.fixture(scope="session")
def tenancy(suite: Suite) -> Tenancy:
    """Return this process's tenancy subjects."""
    return Tenancy(suite)


@pytest.fixture
def tenanted(request: pytest.FixtureRequest, suite: Suite, sequences: Sequences, tenancy: Tenancy) -> Subject:
    """Return a tenancy case's subject: (type, way of sending the create) come as its indirect parameter."""
    resource_type, way = request.param
    _skip_create(suite, sequences, resource_type, way)
    return tenancy.subject(resource_type, way)


@pytest.fixture
def refusal(request: pytest.FixtureRequest, suite: Suite) -> Refusal:
    """Return the refusal a case checks: its attempt comes as the case's indirect parameter."""
    attempt: Attempt = request.param
    _skip(suite.inapplicable(attempt))
    return suite.refusal(attempt)


@pytest.fixture(scope="session")
def sequences(suite: Suite) -> Sequences:
    """Return this process's flows, transactions and races."""
    return Sequences(suite)


@pytest.fixture
def flow(request: pytest.FixtureRequest, suite: Suite, sequences: Sequences) -> Flow:
    """Return a conditional-create flow: (type, flow name) come as the case's indirect parameter."""
    resource_type, name = request.param
    _skip(suite.unsupported(resource_type) or sequences.conditional_unsupported(resource_type))
    if FLOWS[name].query and not suite.profile.conditional_query:
        pytest.skip("not applicable: the profile does not claim the query form of conditional create")
    return sequences.flow(resource_type, name)


@pytest.fixture
def transaction(request: pytest.FixtureRequest, suite: Suite, sequences: Sequences) -> Transaction:
    """Return a transaction flow: ("Bundle", flow name) come as the case's indirect parameter."""
    _, name = request.param
    _skip(sequences.transactions_unsupported() or suite.unsupported(PATIENT))
    if TRANSACTIONS[name].conditional:
        _skip(sequences.conditional_unsupported(PATIENT))
    return sequences.transaction(name)


@pytest.fixture
def race(request: pytest.FixtureRequest, suite: Suite, sequences: Sequences) -> Race:
    """Return a race: (type, race name) come as the case's indirect parameter."""
    resource_type, name = request.param
    _skip(suite.unsupported(resource_type) or sequences.conditional_unsupported(resource_type))
    if name == "transaction":
        _skip(sequences.transactions_unsupported())
    return sequences.race(resource_type, name)


@pytest.fixture(scope="session")
def fuzzings(suite: Suite) -> Properties:
    """Return this process's properties over generated examples."""
    return Properties(suite)


@pytest.fixture
def fuzzed(request: pytest.FixtureRequest, suite: Suite, fuzzings: Properties) -> Fuzzing:
    """Return a property's examples of a type: (property, type) come as the case's indirect parameter."""
    claim, resource_type = request.param
    _skip(suite.unsupported(resource_type))
    return fuzzings.of(claim, resource_type)


def _skip_create(suite: Suite, sequences: Sequences, resource_type: str, way: str) -> None:
    """Skip a case of a create the server does not offer, or of a conditional one it does not support."""
    _skip(suite.unsupported(resource_type))
    if way in REQUESTS and REQUESTS[way].conditional:
        _skip(sequences.conditional_unsupported(resource_type))


def _skip(reason: str | None) -> None:
    """Skip the case when its subject does not apply to the server."""
    if reason:
        pytest.skip(reason)
