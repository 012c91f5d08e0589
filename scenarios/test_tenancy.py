"""A multi-tenant server (ClinikAPI style) injects the caller's tenant tag into every create and keeps the
client's own tags, cannot be led by a client's tag into another tenant, keeps each tenant's resources from
the others, and refuses a create without a valid key (ClinikAPI docs: authentication, fhir/create)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from conformance import checks, fhirjson
from conformance.cases import Case, RefusedCreate, table
from conformance.client import Exchange
from conformance.created import ID, LOCATION, READABLE, Created
from conformance.identities import MALFORMED_KEY, NO_KEY, OTHER, OWN, UNKNOWN_KEY
from conformance.resources import REQUESTS, TYPES
from conformance.tenancy import INJECTED, SPOOF_OTHER, SPOOFS, Subject

CLIENT_KEPT = "tenancy.tag.client-kept"
AS_STORED = "tenancy.response.201"
SPOOF = "tenancy.tag.spoof-neutralised"
READ = "tenancy.isolation.read"
SEARCH = "tenancy.isolation.search"
KEY_REQUIRED = "tenancy.auth.key-required"
INVALID_KEY = "tenancy.auth.missing-401"
NOTHING_STORED = "tenancy.auth.nothing-created"
READ_BACK = "create.read.round-trip"  # a read of the created resource answers 200 (see test_create)

ALL = tuple(REQUESTS)
NO_PREFER = ("plain", "client-id", "client-meta")
ISOLATED = ("plain", SPOOF_OTHER)  # the spoof names another tenant's code, learned from a tag injected (INJECTED)
FORGED_KEYS = (MALFORMED_KEY, UNKNOWN_KEY)
RESOURCE = (LOCATION, READABLE)  # the created resource: the response body, or else what the Location reads
STORED = (*RESOURCE, ID, READ_BACK)  # a read of the created resource by its id
OTHERS = "none of the other tenant's resources"


def read(c: Created) -> Exchange:
    """Return a read of the created resource (it must answer 200 for its tags to be looked at)."""
    checks.status(c.read, 200, requirement=READ_BACK)
    return c.read


def tenant_tag(s: Subject) -> None:
    """The created resource holds the tenant tag."""
    c = s.created
    checks.tag(c.exchange, c.resource, s.tenancy.tag.system, s.tenancy.tag.code)


def tenant_tag_read(s: Subject) -> None:
    """A read of the created resource holds the tenant tag."""
    stored = read(s.created)
    checks.tag(stored, stored.resource, s.tenancy.tag.system, s.tenancy.tag.code)


def client_tags(s: Subject) -> None:
    """A read keeps every tag the client sent outside the tenant system."""
    stored = read(s.created)
    sent = [t for t in fhirjson.tags(s.created.sent) if t.get("system") != s.tenancy.tag.system]
    checks.tags_kept(stored, stored.resource, sent)


def as_stored(s: Subject) -> None:
    """The create answers with the resource as stored: its body holds the tags a read returns."""
    c = s.created
    body = checks.resource_type(c.response, c.type)
    stored = read(c)
    checks.same_tags(stored, body, stored.resource)


def one_tenant_tag(s: Subject) -> None:
    """The stored resource holds the caller's tenant tag and no other tag of the tenant system."""
    c = s.created
    if 400 <= c.exchange.status < 500:
        return  # refusing a client's tenant tag stores nothing, in any tenant: as safe as replacing it
    stored, system = read(c), s.tenancy.tag.system
    own = checks.tag(stored, stored.resource, system, s.tenancy.own_code(c.type), INJECTED)
    checks.only_tag(stored, stored.resource, system, own)


def isolated(s: Subject) -> Created:
    """Return the create whose resource the other tenant must not see (a refused spoof left none)."""
    c = s.created
    if s.way in SPOOFS and 400 <= c.exchange.status < 500:
        checks.not_applicable(f"the server refused the create with the client's tenant tag ({c.exchange.status})")
    return c


def isolation_read(s: Subject) -> None:
    """The other tenant's read of the resource answers 404 (403 tolerated)."""
    c = isolated(s)
    checks.hidden(s.get_as(OTHER, f"{c.type}/{c.id}"), s.identifier)


def isolation_search(params: Callable[[Subject, Created], Mapping[str, str]]) -> Callable[[Subject], None]:
    """Return a check that the other tenant's search with these parameters lists none of this tenant's (and that
    its search by identifier finds its own)."""

    def search(s: Subject) -> None:
        c = isolated(s)
        checks.absent(s.search_as(OTHER, params(s, c)), s.identifier, OTHERS)
        s.findable(OTHER)

    return search


def refused(s: Subject) -> None:
    """A create without a valid key answers 401 (403 tolerated)."""
    checks.status(s.created.exchange, 401, 403)


def nothing_stored(s: Subject) -> None:
    """A refused create leaves nothing behind: this tenant's search by the identifier sent finds nothing (and finds
    what the run created)."""
    checks.refused(s.created.exchange, KEY_REQUIRED if s.way == NO_KEY else INVALID_KEY)
    found = s.search_as(OWN, s.by_identifier)
    checks.status(found, 200)
    checks.absent(found, s.identifier, "nothing stored from the refused create")
    s.findable()


CASES = (
    Case("tenant-tag", "the created resource holds the tenant tag", INJECTED, tenant_tag, RESOURCE, ALL),
    Case("tenant-tag-read", "a read holds the tenant tag", INJECTED, tenant_tag_read, STORED, ALL),
    Case(
        "client-tags", "a read keeps the client's own tags beside the tenant tag", CLIENT_KEPT, client_tags, STORED, ALL
    ),
    Case(
        "as-stored",
        "the create answers with the resource as a read returns it",
        AS_STORED,
        as_stored,
        STORED,
        NO_PREFER,
    ),
    Case(
        "one-tenant-tag",
        "a tenant tag sent by the client leaves one tenant tag stored, the caller's",
        SPOOF,
        one_tenant_tag,
        (INJECTED, *STORED),
        SPOOFS,
    ),
    Case(
        "isolation-read",
        "the other tenant cannot read the resource",
        READ,
        isolation_read,
        (INJECTED, *RESOURCE, ID),
        ISOLATED,
    ),
    Case(
        "isolation-identifier",
        "the other tenant's search by identifier does not find the resource",
        SEARCH,
        isolation_search(lambda s, c: s.by_identifier),
        (INJECTED,),
        ISOLATED,
    ),
    Case(
        "isolation-id",
        "the other tenant's search by _id does not find the resource",
        SEARCH,
        isolation_search(lambda s, c: {"_id": c.id}),
        (INJECTED, *RESOURCE, ID),
        ISOLATED,
    ),
    Case(
        "isolation-tag",
        "the other tenant's search by the run's _tag does not find the resource",
        SEARCH,
        isolation_search(lambda s, c: s.tenancy.suite.run.marker.search),
        (INJECTED,),
        ISOLATED,
    ),
    RefusedCreate("refused", "a create without a key answers 401", KEY_REQUIRED, refused, requests=(NO_KEY,)),
    RefusedCreate(
        "refused", "a create with a malformed or unknown key answers 401", INVALID_KEY, refused, requests=FORGED_KEYS
    ),
    RefusedCreate(
        "nothing-stored",
        "a create without a key stores nothing",
        NOTHING_STORED,
        nothing_stored,
        (KEY_REQUIRED,),
        (NO_KEY,),
    ),
    RefusedCreate(
        "nothing-stored",
        "a create with a malformed or unknown key stores nothing",
        NOTHING_STORED,
        nothing_stored,
        (INVALID_KEY,),
        FORGED_KEYS,
    ),
)


@pytest.mark.parametrize(("tenanted", "case"), table(CASES, TYPES), indirect=["tenanted"])
def test_tenancy(tenanted: Subject, case: Case) -> None:
    """Each case looks at one create of a type, sent one way, as the tenant that made it or as another."""
    case.check(tenanted)
