"""Scenario cases as data: an id, a present-tense description, what the case verifies and what it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.created import SUCCEEDED

MARKER = "requirements"


@dataclass(frozen=True)
class Case:
    """One row of a case table.

    ``verifies`` is the requirement the case checks; ``needs`` are the requirements whose failure leaves
    its subject missing (no Location to GET, no resource to take an id from): the case is then blocked by
    that requirement, never failed under it. Every case of a create also needs the create accepted
    (create.status.201). ``requests`` are the ways of sending the create it checks (resources.REQUESTS).
    """

    id: str
    description: str
    verifies: str
    check: Callable[[Any], object]
    needs: tuple[str, ...] = ()
    requests: tuple[str, ...] = ("plain",)

    def requirements(self) -> tuple[str, ...]:
        """Return the ids the case cites: what it verifies first, then what it needs."""
        return _cited(self.verifies, (*self.needs, SUCCEEDED))


@dataclass(frozen=True)
class Refusal(Case):
    """A row whose subject is a create the server should refuse: it does not need the create accepted."""

    def requirements(self) -> tuple[str, ...]:
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
        _param((resource_type, request), case, resource_type, request)
        for resource_type in types
        for case in cases
        for request in case.requests
    ]


def per_type(cases: Iterable[Case], types: Sequence[str]) -> list[Any]:
    """Return pytest params ``(type, case)`` for cases whose subject is every create of one type."""
    return [_param(resource_type, case, resource_type, "plain") for resource_type in types for case in cases]


def _param(subject: object, case: Case, resource_type: str, request: str) -> Any:
    """Build one pytest param: its id, its requirements marker, and its xdist group (one per type)."""
    way, how = ("", "") if request == "plain" else (f"{request}-", f" ({request})")
    return pytest.param(
        subject,
        case,
        id=f"{resource_type.lower()}-{way}{case.id}",
        marks=[
            pytest.mark.requirements(*case.requirements(), description=f"{resource_type}{how}: {case.description}"),
            # The cases of one type share its creates: under pytest-xdist they run on one worker.
            pytest.mark.xdist_group(resource_type),
        ],
    )
