"""The areas of the create interaction a requirement belongs to, read from its id, and counts per area."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

# DESIGN.md "What it checks" has one row per area. A requirement id's first segment names its family, and
# the family its area, except for the rows named by their leading segments below: Prefer (R4 http.html#prefer)
# and the client id (R4 http.html#create: "If an id is provided, the server SHALL ignore it"; Aidbox honours
# it and answers 409 on a duplicate).
FAMILIES = {
    "create": "success",
    "reject": "rejections",
    "ccreate": "conditional",
    "tx": "transactions",
    "tenancy": "tenancy",
    "fuzz": "fuzzing",
}
TOPICS = {
    ("create", "prefer"): "Prefer",
    ("create", "id", "client-ignored"): "client id",
    ("reject", "id"): "client id",
}
AREAS = ("success", "Prefer", "rejections", "client id", "conditional", "transactions", "tenancy", "fuzzing")
# A requirement's outcome in a run, in the order tables show them: a case verdict, or one of a row without cases.
OUTCOMES = ("passed", "failed", "warned", "blocked", "waived", "skipped", "error", "not-tested", "not-run")


def area(requirement_id: str) -> str:
    """Return the area of a requirement id: that of its longest listed leading segments, else its family's."""
    parts = tuple(requirement_id.split("."))
    topic = next((TOPICS[parts[:n]] for n in (3, 2) if parts[:n] in TOPICS), None)
    return topic or FAMILIES[parts[0]]


def counts(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Count requirement entries (with ``id`` and ``verdict``) per area and outcome, zeros included."""
    found: dict[str, Counter[str]] = {name: Counter() for name in AREAS}
    for entry in entries:
        found[area(entry["id"])][entry["verdict"]] += 1
    return {name: {outcome: found[name][outcome] for outcome in OUTCOMES} for name in AREAS}
