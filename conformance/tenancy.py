"""The subjects of the tenancy cases: this tenant's creates (the suite's own, and ones sent with a tenant tag of
the client's), the second tenant's view of them, creates sent without a valid key, and conditional creates and
transactions (this tenant's, or the second tenant's beside this one's resources)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from conformance import checks
from conformance.client import Exchange, FhirClient
from conformance.created import Created
from conformance.identities import FORGED, NO_KEY_HEADER, OTHER, OWN
from conformance.profile import Tag
from conformance.resources import REQUESTS, Request, token
from conformance.suite import Suite

INJECTED = "tenancy.tag.injected"
# Creates whose meta.tag carries a tag in the tenant system: another tenant's code, or the caller's own.
SPOOF_OTHER, SPOOF_OWN = "spoof-other", "spoof-own"
SPOOFS = (SPOOF_OTHER, SPOOF_OWN)
NO_OTHER_TENANT = "no second tenant (give its credentials with --other-tenant-header)"
S = TypeVar("S")


class Tenancy:
    """One process's tenancy subjects; each create is made once and shared by the cases that look at it."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite

    @property
    def tag(self) -> Tag:
        """Return the tenant tag the profile claims (a None code: any code of the system)."""
        tag = self.suite.profile.tenant_tag
        return tag if tag is not None else checks.not_applicable("the profile claims no tenant tag (--tenant-tag)")

    def subject(self, resource_type: str, way: str) -> Subject:
        """Return a case's subject; the suite's own creates are made now, the others when a check asks."""
        if way in REQUESTS:
            self.created(resource_type, way)
        return Subject(self, resource_type, way)

    def created(self, resource_type: str, way: str) -> Created:
        """Return the create of the type sent the way named: the suite's, a spoof, or another identity's."""
        if way in REQUESTS:
            return self.suite.created(resource_type, way)
        return self.suite.once.get(("tenancy", resource_type, way), lambda: self._create(resource_type, way))

    def made(self, resource_type: str, way: str) -> list[Created]:
        """Return the creates behind a subject made so far (the other tenant's first, for a spoof of its code)."""
        ways = [OTHER] if way == SPOOF_OTHER else []
        made = [w for w in [*ways, way] if self._made(resource_type, w)]
        return [self.created(resource_type, w) for w in made]

    def _made(self, resource_type: str, way: str) -> bool:
        """Tell whether the create of a type sent the way named is made."""
        key = ("created", resource_type, way) if way in REQUESTS else ("tenancy", resource_type, way)
        return self.suite.once.made(key)

    def client(self, identity: str) -> FhirClient:
        """Return the client of an identity (identities.identities)."""
        self._require(identity)
        return self.suite.run_as(identity).client

    def _require(self, identity: str) -> None:
        """Skip the case when the run cannot act as the identity (no second tenant, no key to withhold)."""
        if identity not in self.suite.identities:
            checks.not_applicable(NO_OTHER_TENANT if identity == OTHER else NO_KEY_HEADER)

    def own_code(self, resource_type: str) -> str:
        """Return this tenant's code: given with --tenant-tag, or learned from its plain create of the type."""
        return self.tag.code or self._code_of(self.created(resource_type, "plain"))

    def _create(self, resource_type: str, way: str) -> Created:
        """Make a spoof, or the plain create of another identity (the second tenant, or a withheld key)."""
        if way in (OTHER, *FORGED):
            self._require(way)
            return self.suite.create(resource_type, REQUESTS["plain"], way)
        code = self._other_code(resource_type) if way == SPOOF_OTHER else self.own_code(resource_type)
        return self.suite.create(
            resource_type, Request(way, prepare=_tagged({"system": self.tag.system, "code": code}))
        )

    def _other_code(self, resource_type: str) -> str:
        """Return another tenant's code: learned from what the second tenant creates, or else made up."""
        if OTHER not in self.suite.identities:
            return f"not-{self.suite.run.marker.code}"  # a code no tenant holds: no second tenant to learn from
        return self._code_of(self.created(resource_type, OTHER))

    def _code_of(self, created: Created) -> str:
        """Return the tenant code a create's resource carries; without one, the subject is missing."""
        return checks.tag(created.exchange, created.resource, self.tag.system, None, INJECTED)


@dataclass
class Subject:
    """What one tenancy case looks at: the create of a type sent one way, and what the case itself sent."""

    tenancy: Tenancy
    type: str
    way: str
    sent: list[Exchange] = field(default_factory=list)

    @property
    def created(self) -> Created:
        """Return the create (made now, if no case made it yet)."""
        return self.tenancy.created(self.type, self.way)

    @property
    def identifier(self) -> dict[str, Any]:
        """Return the run-unique identifier the create sent."""
        return dict(self.created.sent["identifier"][0])

    @property
    def by_identifier(self) -> dict[str, str]:
        """Return the search parameters that find the create's resource by its identifier."""
        return {"identifier": token(self.identifier)}

    @property
    def exchanges(self) -> list[Exchange]:
        """Return what the case's transcript shows: the creates behind it, then the case's own requests."""
        made = self.tenancy.made(self.type, self.way)
        return [*(e for created in made for e in created.exchanges), *self.sent]

    def findable(self, identity: str = OWN) -> None:
        """Skip unless a search of the type by identifier, as the identity, finds what it created (else absence
        proves nothing)."""
        made = partial(self.tenancy.created, self.type, "plain" if identity == OWN else identity)
        self.tenancy.suite.findable(self.type, identity, made)

    def get_as(self, identity: str, path: str) -> Exchange:
        """GET a path with an identity's credentials."""
        return self._keep(self.tenancy.client(identity).get(path))

    def search_as(self, identity: str, params: Mapping[str, str]) -> Exchange:
        """Search the subject's type with an identity's credentials."""
        return self._keep(self.tenancy.client(identity).search(self.type, params))

    def _keep(self, exchange: Exchange) -> Exchange:
        """Show a request the case sent in its transcript."""
        self.sent.append(exchange)
        return exchange


@dataclass(frozen=True)
class Sequenced(Generic[S]):
    """What a tenancy case on a sequence of requests looks at: a conditional-create flow or a transaction, and the
    tenant tag what it creates carries."""

    tenancy: Tenancy
    of: S

    @property
    def tag(self) -> Tag:
        """Return the tenant tag the profile claims (a None code: any code of the system)."""
        return self.tenancy.tag


def _tagged(tag: dict[str, str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return a change that adds a tag to the resource's meta.tag, beside the run's marker."""

    def prepare(resource: dict[str, Any]) -> dict[str, Any]:
        return {**resource, "meta": {**resource["meta"], "tag": [*resource["meta"]["tag"], tag]}}

    return prepare
