"""Switchable faults: each breaks exactly one requirement of the catalogue, for any resource type.

The app calls `apply(names, stage, target)` at a few fixed stages; a fault is data in REGISTRY,
never a conditional in the app. Each scenario of the suite is proven able to fail by the fault
that names its requirement in `breaks`. One module per behaviour family lists its faults.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from conformance.server.faults import conditional, create, fuzz, rejections, tenancy, transactions
from conformance.server.faults.model import (
    AUTHENTICATE,
    CONDITION,
    CREATE_ASSIGN,
    CREATE_PARSED,
    CREATE_REFUSED,
    CREATE_RESPONSE,
    CREATE_STORED,
    ERROR_RESPONSE,
    MATCH_RESPONSE,
    READ_RESPONSE,
    READ_SCOPE,
    REQUEST_CHECK,
    SEARCH_SCOPE,
    STAGES,
    TENANT_TAGGED,
    TRANSACTION,
    TRANSACTION_RESPONSE,
    VREAD_RESPONSE,
    Assignment,
    Caller,
    Check,
    Condition,
    ErrorReply,
    Fault,
    Reply,
    Scope,
    Stored,
    Submitted,
    TransactionPlan,
)

_FAULTS: list[Fault] = [
    *create.FAULTS,
    *rejections.FAULTS,
    *fuzz.FAULTS,
    *tenancy.FAULTS,
    *conditional.FAULTS,
    *transactions.FAULTS,
]
REGISTRY: dict[str, Fault] = {fault.name: fault for fault in _FAULTS}

__all__ = [
    "AUTHENTICATE",
    "CONDITION",
    "CREATE_ASSIGN",
    "CREATE_PARSED",
    "CREATE_REFUSED",
    "CREATE_RESPONSE",
    "CREATE_STORED",
    "ERROR_RESPONSE",
    "MATCH_RESPONSE",
    "READ_RESPONSE",
    "READ_SCOPE",
    "REGISTRY",
    "REQUEST_CHECK",
    "SEARCH_SCOPE",
    "STAGES",
    "TENANT_TAGGED",
    "TRANSACTION",
    "TRANSACTION_RESPONSE",
    "VREAD_RESPONSE",
    "Assignment",
    "Caller",
    "Check",
    "Condition",
    "ErrorReply",
    "Fault",
    "Reply",
    "Scope",
    "Stored",
    "Submitted",
    "TransactionPlan",
    "apply",
    "check_names",
]


def check_names(names: Iterable[str]) -> None:
    """Raise ValueError naming the unknown faults and listing the known ones."""
    unknown = sorted(set(names) - REGISTRY.keys())
    if unknown:
        raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")


def apply(names: Iterable[str], stage: str, target: Any) -> None:
    """Let every enabled fault of `stage` change `target`, in registry order."""
    if not names:  # a correct server: every request passes a dozen stages
        return
    enabled = set(names)
    for fault in _FAULTS:
        if fault.name in enabled and fault.stage == stage:
            fault.apply(target)
