"""A valid resource is created: 201, a Location naming it, ETag and Last-Modified agreeing with meta,
server-assigned id and meta, and the resource returned as sent (FHIR R4 http.html#create, #versioning)."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, table
from conformance.client import FHIR_JSON
from conformance.created import Created
from conformance.resources import CLIENT_META, TYPES


def location_form(c: Created) -> None:
    """The Location is [base]/[type]/[id]/_history/[vid]; an unversioned server may leave out the history."""
    checks.equal("Location type", c.type, c.location_parts.type, c.exchange, "create.location.form")
    if c.versioned and c.location_parts.version is None:
        checks.fail("Location [base]/[type]/[id]/_history/[vid]", repr(c.location), c.exchange, "create.location.form")


def location_id(c: Created) -> None:
    """The Location names the id of the created resource."""
    checks.equal("Location id", c.id, c.location_parts.id, c.exchange, "create.location.id")


def location_version(c: Created) -> None:
    """The Location names the version in meta.versionId."""
    location_form(c)
    if c.versioned:
        checks.equal("Location version", c.version_id, c.location_parts.version, c.exchange, "create.location.version")


def location_readable(c: Created) -> None:
    """A GET of the Location, as sent, returns the created resource."""
    location_id(c)
    location_version(c)
    read = c.read_location
    checks.status(read, 200)
    checks.equal("resource read at the Location with id", c.id, (read.resource or {}).get("id"), read)


def etag_version(c: Created) -> None:
    """An ETag, if sent, carries meta.versionId."""
    etag = c.etag or checks.not_applicable("no ETag sent: nothing to compare (see etag-present)")
    checks.equal("ETag version", c.version_id, checks.etag_version(etag), c.exchange)


def etag_weak(c: Created) -> None:
    """An ETag, if sent, is weak: W/"vid"."""
    checks.weak_etag(c.exchange, c.etag or checks.not_applicable("no ETag sent (see etag-present)"))


def last_modified_present(c: Created) -> None:
    """A Last-Modified header carries an HTTP-date."""
    checks.http_date(c.exchange, "Last-Modified", checks.header(c.exchange, "Last-Modified"))


def last_modified_matches(c: Created) -> None:
    """Last-Modified, if sent, is meta.lastUpdated to the second."""
    value = c.exchange.header("last-modified") or checks.not_applicable("no Last-Modified sent")
    sent = checks.http_date(c.exchange, "Last-Modified", value)
    checks.same_second(c.exchange, "Last-Modified of meta.lastUpdated", c.last_updated, sent)


def content_type(c: Created) -> None:
    """A response body comes as application/fhir+json."""
    if not c.exchange.response_body.strip():
        checks.not_applicable("the response has no body")
    checks.media_type(c.exchange, FHIR_JSON)


def response_round_trip(c: Created) -> None:
    """The response body is what was sent, plus id and meta."""
    body = c.body or checks.not_applicable("the server sent no resource body (its choice without Prefer)")
    checks.same_content(c.exchange, c.sent, body, c.tenant_system)


def read_round_trip(c: Created) -> None:
    """A read returns what was sent, plus id and meta."""
    checks.status(c.read, 200)
    checks.same_content(c.read, c.sent, c.read.resource or {}, c.tenant_system)


def default_body(c: Created) -> None:
    """Without Prefer, the body is the resource or nothing, never an OperationOutcome."""
    if c.exchange.resource is not None and c.exchange.resource["resourceType"] == "OperationOutcome":
        checks.fail(f"the created {c.type} or no body", "an OperationOutcome", c.exchange)


def client_id_ignored(c: Created) -> None:
    """The server ignores an id the client put in the POST body."""
    checks.success(c.exchange)
    checks.differ(f"{c.type}.id", c.sent["id"], c.id, c.exchange)


def client_meta_ignored(c: Created) -> None:
    """The server ignores the client's meta.versionId and meta.lastUpdated."""
    checks.success(c.exchange)
    checks.differ(f"{c.type}.meta.lastUpdated", CLIENT_META["lastUpdated"], c.meta.get("lastUpdated"), c.exchange)
    if c.versioned:
        checks.differ(f"{c.type}.meta.versionId", CLIENT_META["versionId"], c.version_id, c.exchange)


LOCATION = ("create.location.present", "create.location.form")  # preconditions of the Location cases
CASES = (
    Case(
        "status-201", "a create answers 201 Created", ("create.status.201",), lambda c: checks.status(c.exchange, 201)
    ),
    Case("content-type", "the response body is application/fhir+json", ("create.content-type",), content_type),
    Case(
        "location-present", "the response carries a Location header", ("create.location.present",), lambda c: c.location
    ),
    Case(
        "location-form",
        "the Location reads [base]/[type]/[id]/_history/[vid]",
        ("create.location.form", "create.location.present"),
        location_form,
    ),
    Case(
        "location-id",
        "the Location names the id of the created resource",
        ("create.location.id", *LOCATION, "create.id.assigned"),
        location_id,
    ),
    Case(
        "location-version",
        "the Location names meta.versionId",
        ("create.location.version", *LOCATION, "create.meta.version-id"),
        location_version,
    ),
    Case(
        "location-readable",
        "a GET of the Location returns the created resource",
        (
            "create.location.readable",
            *LOCATION,
            "create.location.id",
            "create.location.version",
            "create.id.assigned",
            "create.meta.version-id",
        ),
        location_readable,
    ),
    Case("id-assigned", "the server assigns the resource an id", ("create.id.assigned",), lambda c: c.id),
    Case(
        "version-id-assigned",
        "a versioning server sets meta.versionId",
        ("create.meta.version-id",),
        lambda c: c.version_id,
    ),
    Case(
        "last-updated-assigned",
        "the server sets meta.lastUpdated to an instant",
        ("create.meta.last-updated",),
        lambda c: c.last_updated,
    ),
    Case(
        "etag-present",
        "the response carries an ETag",
        ("create.etag.present",),
        lambda c: checks.header(c.exchange, "ETag"),
    ),
    Case(
        "etag-version",
        "the ETag carries meta.versionId",
        ("create.etag.version", "create.meta.version-id"),
        etag_version,
    ),
    Case("etag-weak", 'the ETag is weak: W/"versionId"', ("create.etag.weak",), etag_weak),
    Case(
        "last-modified-present",
        "the response carries Last-Modified as an HTTP-date",
        ("create.last-modified.present",),
        last_modified_present,
    ),
    Case(
        "last-modified-matches",
        "Last-Modified is meta.lastUpdated to the second",
        ("create.last-modified.matches", "create.meta.last-updated"),
        last_modified_matches,
    ),
    Case(
        "response-round-trip",
        "the response body is what was sent plus id and meta",
        ("create.response.round-trip",),
        response_round_trip,
    ),
    Case(
        "read-round-trip",
        "a read returns what was sent plus id and meta",
        ("create.read.round-trip", "create.id.assigned"),
        read_round_trip,
    ),
    Case(
        "default-body", "without Prefer the body is the resource or nothing", ("create.prefer.default",), default_body
    ),
    Case(
        "client-id-ignored",
        "the server ignores an id sent in the POST body",
        ("create.id.client-ignored", "create.id.assigned"),
        client_id_ignored,
        request="client-id",
    ),
    Case(
        "client-meta-ignored",
        "the server ignores a meta.versionId and meta.lastUpdated sent by the client",
        ("create.meta.client-ignored", "create.meta.version-id", "create.meta.last-updated"),
        client_meta_ignored,
        request="client-meta",
    ),
)


@pytest.mark.parametrize(("created", "case"), table(CASES, TYPES), indirect=["created"])
def test_create(created: Created, case: Case) -> None:
    """Each case checks one requirement of the create interaction on one resource type."""
    case.check(created)
