"""A create the suite made, and the subjects its cases check; an absent subject names the requirement it lacks."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from conformance import checks
from conformance.client import Exchange, FhirClient, Location, parse_location
from conformance.concurrency import made_once

# Requirement ids of the subjects below: a case whose subject is missing is blocked by them.
SUCCEEDED = "create.status.201"
NO_MATCH = "ccreate.match.none"  # a conditional create that matches nothing is processed as a create
LOCATION = "create.location.present"
READABLE = "create.location.readable"
ID = "create.id.assigned"
VERSION_ID = "create.meta.version-id"
LAST_UPDATED = "create.meta.last-updated"
CONTENT_TYPE = "create.content-type"
DISTINCT = "create.new.distinct"
KEPT = "create.new.kept"


class Created:
    """One create: what was sent, the exchange, and the facts its response states."""

    def __init__(
        self,
        client: FhirClient,
        sent: dict[str, Any],
        exchange: Exchange,
        tenant_system: str | None,
        bases: Sequence[str],
        accepted: str = SUCCEEDED,
    ) -> None:
        self.client = client
        self.sent = sent
        self.exchange = exchange
        self.tenant_system = tenant_system
        self.bases = tuple(bases)  # the server's own base URLs: where it was reached, and implementation.url
        self.accepted = accepted  # the requirement that says the server accepts this create
        self.exchanges = [exchange]

    @property
    def type(self) -> str:
        """Return the resource type sent."""
        return str(self.sent["resourceType"])

    @property
    def response(self) -> Exchange:
        """Return the create's exchange, provided the server accepted it (else nothing else can be checked)."""
        checks.success(self.exchange, self.accepted)
        return self.exchange

    @property
    def body(self) -> dict[str, Any] | None:
        """Return the response body when it is the created resource; None when there is none or another resource."""
        response = self.response
        if response.response_body.strip() and response.json is None:
            checks.fail("a FHIR JSON body", checks.body_kind(response), response, CONTENT_TYPE)
        return self._resource_body()

    @property
    def returned(self) -> bool:
        """Tell whether the response body is the created resource (so its id is known without a read)."""
        return self._resource_body() is not None

    def _resource_body(self) -> dict[str, Any] | None:
        resource = self.response.resource
        return resource if resource is not None and resource["resourceType"] == self.type else None

    @cached_property
    def location(self) -> str:
        """Return the Location header (R4 http.html#create: the server SHALL return one)."""
        return checks.header(self.response, "Location", LOCATION)

    @cached_property
    def location_parts(self) -> Location | None:
        """Return the Location read as [type]/[id]/_history/[vid] (None when it names no type and id)."""
        return parse_location(self.client.url(self.location))

    @made_once
    def resource(self) -> dict[str, Any]:
        """Return the created resource: the response body or, when it is not usable, what the Location reads."""
        body = self._resource_body()
        if body is not None:
            return body
        read = self.read_location
        if read.status != 200 or read.resource is None or read.resource["resourceType"] != self.type:
            received = checks.received_status(read) if read.status != 200 else checks.body_kind(read)
            checks.fail(f"the created {self.type} at the Location", received, read, READABLE)
        return read.resource

    @property
    def id(self) -> str:
        """Return the id the server assigned (R4 http.html#create: the server SHALL populate it)."""
        value = self.resource.get("id")
        if not isinstance(value, str) or not value:
            checks.fail(f"{self.type}.id set by the server", checks.json_value(value), self.exchange, ID)
        return value

    @property
    def meta(self) -> dict[str, Any]:
        """Return the created resource's meta (empty when absent)."""
        meta = self.resource.get("meta")
        return meta if isinstance(meta, dict) else {}

    @property
    def etag(self) -> str | None:
        """Return the ETag header, if the server sent one."""
        return self.response.header("etag")

    @property
    def versioned(self) -> bool:
        """Tell whether the server versions: it sent an ETag, a versionId, or a Location with _history."""
        location = self.response.header("location") or ""
        body = self._resource_body() or {}
        return bool(self.etag or "versionId" in (body.get("meta") or {}) or "/_history/" in location)

    @property
    def version_id(self) -> str:
        """Return meta.versionId, required when the server versions (R4 http.html#create)."""
        if not self.versioned:
            checks.not_applicable("the server does not version this resource (no ETag, versionId or _history)")
        value = self.meta.get("versionId")
        if not isinstance(value, str) or not value:
            expected = f"{self.type}.meta.versionId set by the server"
            checks.fail(expected, checks.json_value(value), self.exchange, VERSION_ID)
        return value

    @property
    def last_updated(self) -> Any:
        """Return meta.lastUpdated (R4 http.html#create: the server SHALL populate it)."""
        value = self.meta.get("lastUpdated")
        return checks.instant(self.exchange, f"{self.type}.meta.lastUpdated", value, LAST_UPDATED)

    @made_once
    def read(self) -> Exchange:
        """Read the created resource back by its type and id."""
        return self.record(self.client.get(f"{self.type}/{self.id}"))

    @made_once
    def read_location(self) -> Exchange:
        """GET the Location exactly as the server sent it (resolved against the base when relative)."""
        return self.record(self.client.get(self.client.url(self.location)))

    def record(self, exchange: Exchange) -> Exchange:
        """Keep a follow-up exchange with this create, for transcripts."""
        self.exchanges.append(exchange)
        return exchange


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
    with checks.attributed(DISTINCT):  # two creates, one id: neither can be read back as its own
        distinct_ids(creates)
    for c in accepted(creates):
        # The read made after the type's creates (subjects.py makes a group's creates first, its reads after).
        read = c.read
        checks.status(read, 200)
        resource = checks.resource_type(read, c.type)
        checks.equal(f"{c.type}.identifier", c.sent["identifier"], resource.get("identifier"), read)
        if "versionId" in c.meta:  # as the create gave it: whether it should and is well formed is for VERSION_ID
            version = (resource.get("meta") or {}).get("versionId")
            checks.equal(f"{c.type}.meta.versionId", c.meta["versionId"], version, read)


def sound(plain: Created, creates: list[Created]) -> None:
    """A type's creates meet the rules that sequences of requests rely on: 201, readable, distinct, kept. Only
    the plain create must be found at its Location: a create answered without a body (Prefer: return=minimal)
    whose Location cannot be read is its own cases' failure, and says nothing of how searches and matches go."""
    checks.status(plain.exchange, 201, requirement=SUCCEEDED)
    _ = plain.resource
    with checks.attributed(KEPT):
        kept([c for c in creates if c is plain or c.returned])
