"""Where conditional create and transactions apply: the profile's word first, then the CapabilityStatement."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from conformance.profile import Settings, build_profile
from conformance.resources import Marker
from conformance.sequences import Sequences
from conformance.suite import Suite
from conformance.target import Target

PATIENT = {"type": "Patient", "interaction": [{"code": "create"}]}


def sequences(statement: dict[str, Any], claim: bool | None = None) -> Sequences:
    """Return the sequences of a suite whose server states `rest` as given (no request is sent)."""
    profile = replace(build_profile("r4", {}), conditional_create=claim)
    capabilities = {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", **statement}]}
    target = Target("http://127.0.0.1:9", profile, capabilities, Marker())
    return Sequences(Suite(Settings(profile=profile), target))


@pytest.mark.parametrize(
    ("statement", "claim", "reason"),
    [
        ({"resource": [PATIENT]}, None, None),  # the statement says nothing either way
        ({"resource": [{**PATIENT, "conditionalCreate": True}]}, None, None),
        ({"resource": [{**PATIENT, "conditionalCreate": False}]}, None, "CapabilityStatement says conditionalCreate"),
        ({"resource": [{**PATIENT, "conditionalCreate": False}]}, True, None),  # claimed: failures count
        ({"resource": [PATIENT]}, False, "the profile says the server has no conditional create"),
    ],
)
def test_conditional_create_applies_unless_the_profile_or_the_statement_says_not(
    statement: dict[str, Any], claim: bool | None, reason: str | None
) -> None:
    """The profile's claim decides; without one, an explicit conditionalCreate false skips (with the reason)."""
    found = sequences(statement, claim).conditional_unsupported("Patient")
    assert found == reason if reason is None else reason in str(found)


@pytest.mark.parametrize(
    ("interactions", "applies"),
    [(None, True), ([{"code": "transaction"}], True), ([{"code": "history-system"}], False)],
)
def test_transactions_apply_unless_the_statement_lists_system_interactions_without_them(
    interactions: list[dict[str, str]] | None, applies: bool
) -> None:
    """A statement listing no system interaction says nothing; one listing others but not transaction rules out."""
    statement = {"resource": [PATIENT], **({"interaction": interactions} if interactions else {})}
    assert (sequences(statement).transactions_unsupported() is None) == applies
