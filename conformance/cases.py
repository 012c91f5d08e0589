"""Scenario cases as data: an id, a present-tense description, what the case verifies and what it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.created import NO_MATCH, SUCCEEDED
from conformance.refused import (
    Attempt,
    issue_codes,
    no_server_error,
    nothing_stored,
    refused,
    status,
)
from conformance.resources import REQUESTS, Marker

MARKER = "requirements"
# The xdist group of every refusal: their requests go out together, on one worker.
REFUSALS = "refusals"


@dataclass(frozen=True)
class Case:
    """One row of a case table.

    ``verifies`` is the requirement the case checks; ``needs`` are the requirements whose failure leaves
    its subject missing (no Location to GET, no resource to take an id from): the case is then blocked by
    that requirement, never failed under it. Every case of a create also needs the create accepted
    (create.status.201). ``requests`` are the ways of sending the create it checks (resources.REQUESTS,
    or VARIANTS), or for a sequence of requests (a conditional flow, a transaction, a race) the names of the
    sequences; a refusal's cases ignore them.
    """

    id: str
    description: str
    verifies: str
    check: Callable[[Any], object]
    needs: tuple[str, ...] = ()
    requests: tuple[str, ...] = ("plain",)

    def requirements(self, implied: Sequence[str] = ()) -> tuple[str, ...]:
        """Return the ids the case cites: what it verifies first, then what it and its subject need."""
        return (self.verifies, *dict.fromkeys(n for n in (*self.needs, *implied) if n != self.verifies))


@dataclass(frozen=True)
class RefusedCreate(Case):
    """A row whose subject is a create the server should refuse: it does not need the create accepted."""

    def requirements(self, implied: Sequence[str] = ()) -> tuple[str, ...]:
        """Return the ids the case cites, without the acceptance every other create case needs."""
        return super().requirements(tuple(need for need in implied if need != SUCCEEDED))


@dataclass(frozen=True)
class Property:
    """A claim about every generated resource of a kind, judged by a table of cases over each type's examples.

    ``examples(type, marker)`` draws them (a hypothesis strategy of fuzzing.Example). An example of a resource
    the server must accept is a create whose acceptance is ``accepted`` (every case needs it, as every create
    case needs create.status.201); one it must refuse is sent as ``attempt``, and its cases are the refusal's.
    ``follow_up(subjects)`` returns the calls that make the requests the cases make of the examples sent (a
    read each, a search for many), to go out together.
    """

    name: str
    description: str
    examples: Callable[[str, Marker], Any]
    cases: tuple[Case, ...]
    follow_up: Callable[[list[Any]], list[Callable[[], object]]]
    accepted: str | None = None
    attempt: Attempt | None = None


def table(cases: Iterable[Case], types: Sequence[str]) -> list[Any]:
    """Return pytest params ``((type, request), case)`` for every type, request and case.

    Ids read ``patient-status-201`` for the plain create and ``patient-prefer-minimal-status-201`` for
    another way of sending it.
    """
    return [
        _create_param((resource_type, request), case, resource_type, request)
        for resource_type in types
        for case in cases
        for request in case.requests
    ]


def per_type(cases: Iterable[Case], types: Sequence[str]) -> list[Any]:
    """Return pytest params ``(type, case)`` for cases whose subject is every create of one type."""
    return [_create_param(resource_type, case, resource_type, "plain") for resource_type in types for case in cases]


def sequences(cases: Iterable[Case], types: Sequence[str]) -> list[Any]:
    """Return pytest params ``((type, sequence), case)`` for cases whose subject is a sequence of requests.

    Ids read ``patient-one-match-status-200``; the cases of one sequence share its requests, and a case
    needs only what it lists (its sequence makes its own resources).
    """
    return [
        _param(
            (resource_type, name),
            case,
            f"{resource_type.lower()}-{name}-{case.id}",
            f"{resource_type} ({name}): {case.description}",
            (),
            resource_type,
        )
        for resource_type in types
        for case in cases
        for name in case.requests
    ]


def properties(claim: Property, types: Sequence[str]) -> list[Any]:
    """Return pytest params ``((property, type), case)``: each case of a property over one type's examples.

    Ids read ``patient-valid-accepted``; the cases of a property and type share its examples (one xdist group,
    so that hypothesis draws them in one process, one after the other).
    """
    implied = (claim.accepted,) if claim.accepted else ()
    return [
        _param(
            (claim, resource_type),
            case,
            f"{resource_type.lower()}-{claim.name}-{case.id}",
            f"{resource_type}, {claim.description}: {case.description}",
            implied,
            f"{claim.name}-{resource_type}",
        )
        for resource_type in types
        for case in claim.cases
    ]


def refusals(attempts: Iterable[Attempt], extra: Mapping[str, Sequence[Case]] | None = None) -> list[Any]:
    """Return pytest params ``(attempt, case)``: the cases every refusal gets, then an attempt's own.

    Ids read ``invalid-json-truncated-status``; the cases of one attempt share its one request.
    """
    return [
        _param(
            attempt,
            case,
            f"{attempt.name}-{case.id}",
            f"{attempt.description}: {case.description}",
            attempt.needs,
            REFUSALS,
        )
        for attempt in attempts
        for case in (*refusal_cases(attempt), *(extra or {}).get(attempt.name, ()))
    ]


def refusal_cases(attempt: Attempt) -> tuple[Case, ...]:
    """Return the cases of one refusal: its status, an OperationOutcome (and its issue codes), nothing stored,
    no 5xx."""
    rows = attempt.refusals
    outcome = Case("outcome", "the refusal carries an OperationOutcome", attempt.outcome, lambda r: r.outcome, rows)
    codes = [
        Case("issue-codes", "an issue's severity and code come from R4's value sets", row, issue_codes)
        for row in (attempt.issue_type,)
        if row
    ]
    stored = Case("nothing-stored", "nothing of the body is stored", attempt.stored, nothing_stored, rows)
    no_5xx = Case("no-5xx", "the answer is not a 5xx", attempt.server_error, no_server_error)
    return (
        *_status_cases(attempt),
        outcome,
        *codes,
        *([stored] if attempt.searchable else []),
        no_5xx,
    )


def _status_cases(attempt: Attempt) -> tuple[Case, ...]:
    """Return the status cases: one, or a refusal (with and without the validation claim) and then its status."""
    if attempt.status is None:
        return (Case("status", "the refusal has the status expected", attempt.refused, status),)
    names = ("refused", "refused-unclaimed")
    return (
        *(
            Case(name, "the request is refused", row, refused)
            for name, row in zip(names, attempt.refusals, strict=False)
        ),
        Case("status", "the refusal has the status expected", attempt.status, status, attempt.refusals),
    )


def _create_param(subject: object, case: Case, resource_type: str, request: str) -> Any:
    """Build the param of a create case: ids and descriptions name the type and the way of sending it."""
    way, how = ("", "") if request == "plain" else (f"{request}-", f" ({request})")
    description = f"{resource_type}{how}: {case.description}"
    # A create is accepted with 201; a conditional one that matches nothing is processed as a create.
    conditional = request in REQUESTS and REQUESTS[request].conditional
    implied = (NO_MATCH,) if conditional else (SUCCEEDED,)
    return _param(subject, case, f"{resource_type.lower()}-{way}{case.id}", description, implied, resource_type)


def _param(subject: object, case: Case, case_id: str, description: str, implied: Sequence[str], group: str) -> Any:
    """Build one pytest param: its id, its requirements marker, and its xdist group."""
    return pytest.param(
        subject,
        case,
        id=case_id,
        marks=[
            pytest.mark.requirements(*case.requirements(implied), description=description),
            # The cases of one subject (a type's creates, a sequence, an attempt's request) share it: one
            # worker runs them.
            pytest.mark.xdist_group(group),
        ],
    )
