"""Scenario cases as data: an id, a present-tense description, what the case verifies and what it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.created import NO_MATCH, SUCCEEDED
from conformance.resources import REQUESTS

MARKER = "requirements"


@dataclass(frozen=True)
class Case:
    """One row of a case table.

    ``verifies`` is the requirement the case checks; ``needs`` are the requirements whose failure leaves
    its subject missing (no Location to GET, no resource to take an id from): the case is then blocked by
    that requirement, never failed under it. Every case of a create also needs the create accepted
    (create.status.201). ``requests`` are the ways of sending the create it checks (resources.REQUESTS), or
    for a sequence of requests (a conditional flow, a transaction, a race) the names of the sequences.
    """

    id: str
    description: str
    verifies: str
    check: Callable[[Any], object]
    needs: tuple[str, ...] = ()
    requests: tuple[str, ...] = ("plain",)

    def requirements(self, accepted: str | None = SUCCEEDED) -> tuple[str, ...]:
        """Return the ids the case cites: what it verifies, then its needs and the create accepted (if a create)."""
        return _cited(self.verifies, (*self.needs, *([accepted] if accepted else [])))


@dataclass(frozen=True)
class Refusal(Case):
    """A row whose subject is a create the server should refuse: it does not need the create accepted."""

    def requirements(self, accepted: str | None = SUCCEEDED) -> tuple[str, ...]:
        """Return the ids the case cites: what it verifies first, then what it needs."""
        return _cited(self.verifies, self.needs)


def _cited(verifies: str, needs: Iterable[str]) -> tuple[str, ...]:
    """Return what a case verifies, then each of its needs once (never the verified one again)."""
    return (verifies, *dict.fromkeys(n for n in needs if n != verifies))


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
            None,
            resource_type,
        )
        for resource_type in types
        for case in cases
        for name in case.requests
    ]


def _create_param(subject: object, case: Case, resource_type: str, request: str) -> Any:
    """Build the param of a create case: ids and descriptions name the type and the way of sending it."""
    way, how = ("", "") if request == "plain" else (f"{request}-", f" ({request})")
    description = f"{resource_type}{how}: {case.description}"
    # A create is accepted with 201; a conditional one that matches nothing is processed as a create.
    conditional = request in REQUESTS and REQUESTS[request].conditional
    accepted = NO_MATCH if conditional else SUCCEEDED
    return _param(subject, case, f"{resource_type.lower()}-{way}{case.id}", description, accepted, resource_type)


def _param(subject: object, case: Case, case_id: str, description: str, accepted: str | None, group: str) -> Any:
    """Build one pytest param: its id, its requirements marker, and its xdist group."""
    return pytest.param(
        subject,
        case,
        id=case_id,
        marks=[
            pytest.mark.requirements(*case.requirements(accepted), description=description),
            # The cases of one subject (a type's creates and sequences) share it: one worker runs them.
            pytest.mark.xdist_group(group),
        ],
    )
