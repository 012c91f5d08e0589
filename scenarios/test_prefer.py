"""The Prefer header chooses what a create returns: nothing, the resource, or an OperationOutcome
(FHIR R4 http.html#prefer: servers SHOULD honour it)."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, table
from conformance.created import Created
from conformance.resources import TYPES


def minimal(c: Created) -> None:
    """Prefer: return=minimal gets no body."""
    checks.empty_body(c.response)


def representation(c: Created) -> None:
    """Prefer: return=representation gets the created resource as the body."""
    checks.resource_type(c.response, c.type)


def outcome(c: Created) -> None:
    """Prefer: return=OperationOutcome gets an OperationOutcome."""
    checks.resource_type(c.response, "OperationOutcome")


CASES = (
    Case(
        "body",
        "Prefer: return=minimal gets no body",
        "create.prefer.minimal",
        minimal,
        requests=("prefer-minimal",),
    ),
    Case(
        "body",
        "Prefer: return=representation gets the created resource",
        "create.prefer.representation",
        representation,
        requests=("prefer-representation",),
    ),
    Case(
        "body",
        "Prefer: return=OperationOutcome gets an OperationOutcome",
        "create.prefer.outcome",
        outcome,
        requests=("prefer-outcome",),
    ),
)


@pytest.mark.parametrize(("created", "case"), table(CASES, TYPES), indirect=["created"])
def test_prefer(created: Created, case: Case) -> None:
    """Each case sends a create with one Prefer form and checks what comes back."""
    case.check(created)
