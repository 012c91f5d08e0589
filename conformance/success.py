"""The success rules of a create as checks of a Created: the create scenarios hold each plain create to them, and
the properties every generated one (FHIR R4 http.html#create, #versioning)."""

from __future__ import annotations

from conformance import checks
from conformance.created import Created


def location_id(c: Created) -> None:
    """The Location names the id of the created resource."""
    parts = c.location_parts or checks.fail("a Location naming [type]/[id]", repr(c.location), c.response)
    checks.equal("Location id", c.id, parts.id, c.response)


def location_version(c: Created) -> None:
    """The Location of a versioned resource names meta.versionId in /_history/[vid]."""
    version = c.version_id
    parts = c.location_parts
    if parts is None or parts.version is None:
        checks.fail(f"a Location ending /_history/{version}", repr(c.location), c.response)
    checks.equal("Location version", version, parts.version, c.response)


def etag_version(c: Created) -> None:
    """An ETag, if sent, carries meta.versionId."""
    etag = c.etag or checks.not_applicable("no ETag sent: nothing to compare (see etag-present)")
    checks.equal("ETag version", c.version_id, checks.etag_version(etag), c.response)


def response_round_trip(c: Created) -> None:
    """The response body is what was sent, plus id and meta."""
    body = c.body or checks.not_applicable("the server sent no resource body (its choice without Prefer)")
    checks.same_content(c.response, c.sent, body, c.tenant_system)


def read_round_trip(c: Created) -> None:
    """A read returns what was sent, plus id and meta."""
    checks.status(c.read, 200)
    checks.same_content(c.read, c.sent, c.read.resource or {}, c.tenant_system)
