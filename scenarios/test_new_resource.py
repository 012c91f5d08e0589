"""Every create makes a new resource: no two creates share an id, and each resource still reads back as
created after the later ones (FHIR R4 http.html#create: "creates a new resource")."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, per_type
from conformance.created import ID, READABLE, SUCCEEDED, VERSION_ID, Created
from conformance.resources import TYPES

RESOURCE_ID = ("create.location.present", READABLE, ID)
DISTINCT = "create.new.distinct"


def accepted(creates: list[Created]) -> list[Created]:
    """Return the creates the server accepted; fewer than two leave nothing to compare."""
    done = [c for c in creates if 200 <= c.exchange.status < 300]
    if len(done) < 2:
        refused = next(c for c in creates if c not in done)
        checks.success(refused.exchange, SUCCEEDED)
    return done


def distinct_ids(creates: list[Created]) -> None:
    """No two creates of the type answer with the same id."""
    first: dict[str, Created] = {}
    for c in accepted(creates):
        earlier = first.setdefault(c.id, c)
        if earlier is not c:
            checks.fail(f"a new id for each of {len(creates)} creates", f"id {c.id!r} twice", c.response)


def kept(creates: list[Created]) -> None:
    """After the type's last create, each resource it made reads back with its own version and identifier."""
    try:
        distinct_ids(creates)
    except checks.ConformanceFailure as error:  # two creates, one id: neither can be read back as its own
        checks.fail(error.expected, error.received, error.exchange, DISTINCT)
    for c in accepted(creates):
        read = c.record(c.client.get(f"{c.type}/{c.id}"))
        checks.status(read, 200)
        resource = checks.resource_type(read, c.type)
        checks.equal(f"{c.type}.identifier", c.sent["identifier"], resource.get("identifier"), read)
        if c.versioned:
            version = (resource.get("meta") or {}).get("versionId")
            checks.equal(f"{c.type}.meta.versionId", c.version_id, version, read)


CASES = (
    Case("new-ids", "each create gets an id of its own", DISTINCT, distinct_ids, RESOURCE_ID),
    Case(
        "new-kept",
        "each resource created reads back as created after later creates",
        "create.new.kept",
        kept,
        (*RESOURCE_ID, VERSION_ID, DISTINCT),
    ),
)


@pytest.mark.parametrize(("creates", "case"), per_type(CASES, TYPES), indirect=["creates"])
def test_new_resource(creates: list[Created], case: Case) -> None:
    """Each case looks at every create the suite made of one type."""
    case.check(creates)
