"""Client-assigned ids: ignored by an R4 server (http.html#create: "If an id is provided, the server SHALL
ignore it"); honoured under the respect policy (Aidbox), where a taken id gets 409 and leaves its resource as
it was, and an id that breaks the R4 id syntax (datatypes.html#id) is refused."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, refusals, table
from conformance.created import ID, LOCATION, READABLE, VERSION_ID, Created
from conformance.refused import Attempt, Refusal, as_json

DUPLICATE = "reject.id.duplicate-409"


def unused(c: Created) -> None:
    """A read of the id the client sent does not return the new resource."""
    _ = c.response
    read = c.record(c.client.get(f"{c.type}/{c.sent['id']}"))
    found = read.resource if read.status == 200 else None
    if found is not None and c.sent["identifier"][0] in (found.get("identifier") or []):
        checks.fail(f"no new {c.type} at the client's id {c.sent['id']!r}", f"the new {c.type} there", read)


def respected(c: Created) -> None:
    """The resource is created under the id the client sent."""
    checks.equal(f"{c.type}.id", c.sent["id"], c.id, c.response)


CASES = (
    Case(
        "unused",
        "a read of the client's id does not return the new resource",
        "create.id.client-ignored",
        unused,
        requests=("client-id",),
    ),
    Case(
        "respected",
        "the resource is created under the client's id",
        "reject.id.respected",
        respected,
        (LOCATION, READABLE, ID),
        ("client-id",),
    ),
)


def unchanged(r: Refusal) -> None:
    """The resource that holds the id reads back as it was created: its content and its version."""
    _ = r.refusal
    first = r.first
    assert first is not None, "the duplicate attempt reuses a create"
    read = r.record(r.client.get(f"{first.type}/{first.id}"))
    checks.status(read, 200)
    resource = checks.resource_type(read, first.type)
    checks.same_content(read, first.sent, resource, first.tenant_system)
    if first.versioned:
        checks.equal(
            f"{first.type}.meta.versionId", first.version_id, (resource.get("meta") or {}).get("versionId"), read
        )


ATTEMPTS = (
    Attempt(
        "duplicate-id",
        "a second create under a client id already taken",
        DUPLICATE,
        statuses=(409,),
        tolerates_5xx=False,
        reuses="id-holder",
    ),
    Attempt(
        "client-id-syntax",
        "a create whose client id breaks the R4 id syntax",
        "reject.id.syntax",
        lambda resource: as_json({**resource, "id": "not an id!"}),
    ),
)
EXTRA = {
    "duplicate-id": (
        Case(
            "unchanged",
            "the resource holding the id is left as it was",
            "reject.id.duplicate-unchanged",
            unchanged,
            (DUPLICATE, VERSION_ID),
        ),
    )
}


@pytest.mark.parametrize(("created", "case"), table(CASES, ("Patient",)), indirect=["created"])
def test_client_id(created: Created, case: Case) -> None:
    """Each case checks what became of the id a create sent."""
    case.check(created)


@pytest.mark.parametrize(("refusal", "case"), refusals(ATTEMPTS, EXTRA), indirect=["refusal"])
def test_refuse(refusal: Refusal, case: Case) -> None:
    """Each case checks one requirement of one refused client id, sent once."""
    case.check(refusal)
