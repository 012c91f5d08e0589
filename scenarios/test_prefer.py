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
    checks.success(c.exchange)
    checks.empty_body(c.exchange)


def representation(c: Created) -> None:
    """Prefer: return=representation gets the created resource as sent, plus id and meta."""
    checks.success(c.exchange)
    body = c.body or checks.fail(f"the created {c.type} as the body", checks.body_kind(c.exchange), c.exchange)
    checks.same_content(c.exchange, c.sent, body, c.tenant_system, "create.response.round-trip")


def outcome(c: Created) -> None:
    """Prefer: return=OperationOutcome gets an OperationOutcome."""
    checks.success(c.exchange)
    checks.resource_type(c.exchange, "OperationOutcome")


CASES = (
    Case(
        "minimal", "Prefer: return=minimal gets no body", ("create.prefer.minimal",), minimal, request="prefer-minimal"
    ),
    Case(
        "representation",
        "Prefer: return=representation gets the created resource",
        ("create.prefer.representation", "create.response.round-trip"),
        representation,
        request="prefer-representation",
    ),
    Case(
        "outcome",
        "Prefer: return=OperationOutcome gets an OperationOutcome",
        ("create.prefer.outcome",),
        outcome,
        request="prefer-outcome",
    ),
)


@pytest.mark.parametrize(("created", "case"), table(CASES, TYPES), indirect=["created"])
def test_prefer(created: Created, case: Case) -> None:
    """Each case sends a create with one Prefer form and checks what comes back."""
    case.check(created)
