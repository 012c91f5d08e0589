"""A create the suite made, and what can be read off its response; every accessor is itself a check."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from conformance import checks
from conformance.client import Exchange, FhirClient, Location, parse_location


class Created:
    """The result of one create: what was sent, the exchange, and the facts its response states."""

    def __init__(self, client: FhirClient, sent: dict[str, Any], exchange: Exchange, tenant_system: str | None) -> None:
        self.client = client
        self.sent = sent
        self.exchange = exchange
        self.tenant_system = tenant_system
        self.exchanges = [exchange]

    @property
    def type(self) -> str:
        """Return the resource type sent."""
        return str(self.sent["resourceType"])

    @property
    def body(self) -> dict[str, Any] | None:
        """Return the response body when it is the created resource (not an OperationOutcome or nothing)."""
        resource = self.exchange.resource
        return resource if resource is not None and resource["resourceType"] == self.type else None

    @cached_property
    def location(self) -> str:
        """Return the Location header (R4 http.html#create: the server SHALL return one)."""
        return checks.header(self.exchange, "Location", "create.location.present")

    @cached_property
    def location_parts(self) -> Location:
        """Return the Location read as [base]/[type]/[id]/_history/[vid]."""
        parts = parse_location(self.client.url(self.location))
        if parts is None:
            checks.fail(
                "Location [base]/[type]/[id]/_history/[vid]", repr(self.location), self.exchange, "create.location.form"
            )
        return parts

    @cached_property
    def resource(self) -> dict[str, Any]:
        """Return the created resource: the response body or, when the server sent none, a read of the Location."""
        if self.body is not None:
            return self.body
        read = self.record(self.client.get(self.location_parts.url))
        if read.resource is None or read.resource["resourceType"] != self.type:
            checks.fail(
                f"the created {self.type} at the Location", f"HTTP {read.status}", read, "create.location.readable"
            )
        return read.resource

    @property
    def id(self) -> str:
        """Return the id the server assigned (R4 http.html#create: the server SHALL populate it)."""
        value = self.resource.get("id")
        if not isinstance(value, str) or not value:
            checks.fail(f"{self.type}.id set by the server", repr(value), self.exchange, "create.id.assigned")
        return value

    @property
    def meta(self) -> dict[str, Any]:
        """Return the created resource's meta (empty when absent)."""
        meta = self.resource.get("meta")
        return meta if isinstance(meta, dict) else {}

    @property
    def etag(self) -> str | None:
        """Return the ETag header, if the server sent one."""
        return self.exchange.header("etag")

    @property
    def versioned(self) -> bool:
        """Tell whether the server versions: it sent an ETag, a versionId, or a Location with _history."""
        location = self.exchange.header("location") or ""
        return bool(self.etag or "versionId" in self.meta or "/_history/" in location)

    @property
    def version_id(self) -> str:
        """Return meta.versionId, required when the server versions (R4 http.html#create)."""
        if not self.versioned:
            checks.not_applicable("the server does not version this resource (no ETag, versionId or _history)")
        value = self.meta.get("versionId")
        if not isinstance(value, str) or not value:
            checks.fail(
                f"{self.type}.meta.versionId set by the server", repr(value), self.exchange, "create.meta.version-id"
            )
        return value

    @property
    def last_updated(self) -> Any:
        """Return meta.lastUpdated (R4 http.html#create: the server SHALL populate it)."""
        value = self.meta.get("lastUpdated")
        requirement = "create.meta.last-updated"
        return checks.instant(self.exchange, f"{self.type}.meta.lastUpdated", value, requirement)

    @cached_property
    def read(self) -> Exchange:
        """Read the created resource back by its type and id."""
        return self.record(self.client.get(f"{self.type}/{self.id}"))

    @cached_property
    def read_location(self) -> Exchange:
        """GET the Location exactly as the server sent it (resolved against the base when relative)."""
        return self.record(self.client.get(self.location_parts.url))

    def record(self, exchange: Exchange) -> Exchange:
        """Keep a follow-up exchange with this create, for transcripts."""
        self.exchanges.append(exchange)
        return exchange
