"""Scenario cases as data: an id, a present-tense description, the requirements cited, and the check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.created import Created


@dataclass(frozen=True)
class Case:
    """One row of a scenario's case table; ``requirements[0]`` is what it verifies, the rest its preconditions."""

    id: str
    description: str
    requirements: tuple[str, ...]
    check: Callable[[Created], object]
    request: str = "plain"


def table(cases: Iterable[Case], types: Sequence[str]) -> list[Any]:
    """Return pytest params ``(created, case)`` for every type and case, with ids like ``patient-status-201``."""
    return [
        pytest.param(
            (resource_type, case.request),
            case,
            id=f"{resource_type.lower()}-{case.id}",
            marks=pytest.mark.requirements(*case.requirements, description=f"{resource_type}: {case.description}"),
        )
        for resource_type in types
        for case in cases
    ]
