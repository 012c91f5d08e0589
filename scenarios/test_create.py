"""A valid resource is created: 201, a Location naming it, ETag and Last-Modified agreeing with meta,
server-assigned id and meta, and the resource returned as sent (FHIR R4 http.html#create, #versioning).
Every way the suite sends a create (plain, with a client id or meta, each Prefer form) meets these rules."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, table
from conformance.client import FHIR_JSON
from conformance.created import CONTENT_TYPE, ID, LAST_UPDATED, LOCATION, READABLE, VERSION_ID, Created
from conformance.resources import CLIENT_META, PLAIN, REQUESTS, TYPES
from conformance.success import etag_version, location_id, location_version, read_round_trip, response_round_trip

ALL = tuple(REQUESTS)
WITH_BODY = ("plain", "client-id", "client-meta", "prefer-representation", "if-none-exist")  # a body, if any, is it
NOT_MINIMAL = (*WITH_BODY, "prefer-outcome")
NO_PREFER = ("plain", "client-id", "client-meta", "if-none-exist")
RESOURCE = (LOCATION, READABLE)  # the created resource: the response body, or else what the Location reads


def content_type(c: Created) -> None:
    """A response body comes as application/fhir+json and parses as FHIR JSON."""
    if not c.response.response_body.strip():
        checks.not_applicable("the response has no body")
    checks.media_type(c.response, FHIR_JSON)
    _ = c.body


def location_form(c: Created) -> None:
    """The Location is [base]/[type]/[id]/_history/[vid] on the server's own base."""
    checks.location_form(c.response, c.location, c.client.url(c.location), c.bases, c.type)


def location_readable(c: Created) -> None:
    """A GET of the Location, as sent, returns the created resource (that id, that version)."""
    read = c.read_location
    checks.status(read, 200)
    resource = checks.resource_type(read, c.type)
    parts = c.location_parts
    body = c.body or {}
    expected_id = parts.id if parts else body.get("id")
    checks.equal("id of the resource read at the Location", expected_id, resource.get("id"), read)
    if parts and parts.version:
        version = (resource.get("meta") or {}).get("versionId")
        checks.equal("versionId of the resource read at the Location", parts.version, version, read)


def etag_weak(c: Created) -> None:
    """An ETag, if sent, is weak: W/"vid"."""
    checks.weak_etag(c.response, c.etag or checks.not_applicable("no ETag sent (see etag-present)"))


def last_modified_present(c: Created) -> None:
    """A Last-Modified header carries an HTTP-date."""
    checks.http_date(c.response, "Last-Modified", checks.header(c.response, "Last-Modified"))


def last_modified_matches(c: Created) -> None:
    """Last-Modified, if sent, is meta.lastUpdated to the second."""
    value = c.response.header("last-modified") or checks.not_applicable("no Last-Modified sent")
    sent = checks.http_date(c.response, "Last-Modified", value)
    checks.same_second(c.response, "Last-Modified of meta.lastUpdated", c.last_updated, sent)


def response_decimals(c: Created) -> None:
    """Every decimal in the response body is written as it was sent."""
    body = c.body or checks.not_applicable("the server sent no resource body (its choice without Prefer)")
    checks.decimal_precision(c.response, c.sent, body, c.type)


def read_decimals(c: Created) -> None:
    """Every decimal in a read is written as it was sent."""
    checks.status(c.read, 200, requirement="create.read.round-trip")
    checks.decimal_precision(c.read, c.sent, c.read.resource or {}, c.type)


def default_body(c: Created) -> None:
    """Without Prefer, the body is the resource or nothing, never an OperationOutcome."""
    resource = c.response.resource
    if resource is not None and resource["resourceType"] == "OperationOutcome":
        checks.fail(f"the created {c.type} or no body", "an OperationOutcome", c.response)


def client_id_ignored(c: Created) -> None:
    """The server ignores an id the client put in the POST body."""
    checks.differ(f"{c.type}.id", c.sent["id"], c.id, c.response)


def client_meta_ignored(c: Created) -> None:
    """The server ignores the client's meta.versionId and meta.lastUpdated."""
    checks.differ(f"{c.type}.meta.lastUpdated", CLIENT_META["lastUpdated"], c.meta.get("lastUpdated"), c.response)
    if c.versioned:
        checks.differ(f"{c.type}.meta.versionId", CLIENT_META["versionId"], c.version_id, c.response)


CASES = (
    # A conditional create that matches nothing answers 201 too: ccreate.match.none, in test_conditional_create.
    Case(
        "status-201",
        "a create answers 201 Created",
        "create.status.201",
        lambda c: checks.status(c.exchange, 201),
        requests=PLAIN,
    ),
    Case(
        "content-type",
        "a response body is application/fhir+json",
        "create.content-type",
        content_type,
        requests=NOT_MINIMAL,
    ),
    Case("location-present", "the response carries a Location header", LOCATION, lambda c: c.location, requests=ALL),
    Case(
        "location-form",
        "the Location reads [base]/[type]/[id]/_history/[vid] on the server's base",
        "create.location.form",
        location_form,
        (LOCATION,),
        ALL,
    ),
    Case(
        "location-id",
        "the Location names the id of the created resource",
        "create.location.id",
        location_id,
        (*RESOURCE, ID),
        ALL,
    ),
    Case(
        "location-version",
        "the Location names meta.versionId",
        "create.location.version",
        location_version,
        (*RESOURCE, VERSION_ID),
        ALL,
    ),
    Case(
        "location-readable",
        "a GET of the Location returns the created resource",
        READABLE,
        location_readable,
        (LOCATION, CONTENT_TYPE),
        ALL,
    ),
    Case("id-assigned", "the server assigns the resource an id", ID, lambda c: c.id, RESOURCE, ALL),
    Case(
        "version-id-assigned",
        "a versioning server sets meta.versionId",
        VERSION_ID,
        lambda c: c.version_id,
        RESOURCE,
        ALL,
    ),
    Case(
        "last-updated-assigned",
        "the server sets meta.lastUpdated to an instant",
        LAST_UPDATED,
        lambda c: c.last_updated,
        RESOURCE,
        ALL,
    ),
    Case(
        "etag-present",
        "the response carries an ETag",
        "create.etag.present",
        lambda c: checks.header(c.response, "ETag"),
        requests=ALL,
    ),
    Case(
        "etag-version",
        "the ETag carries meta.versionId",
        "create.etag.version",
        etag_version,
        (*RESOURCE, VERSION_ID),
        ALL,
    ),
    Case("etag-weak", 'the ETag is weak: W/"versionId"', "create.etag.weak", etag_weak, requests=ALL),
    Case(
        "last-modified-present",
        "the response carries Last-Modified as an HTTP-date",
        "create.last-modified.present",
        last_modified_present,
        requests=ALL,
    ),
    Case(
        "last-modified-matches",
        "Last-Modified is meta.lastUpdated to the second",
        "create.last-modified.matches",
        last_modified_matches,
        (*RESOURCE, LAST_UPDATED),
        ALL,
    ),
    Case(
        "response-round-trip",
        "the response body is what was sent plus id and meta",
        "create.response.round-trip",
        response_round_trip,
        (CONTENT_TYPE,),
        WITH_BODY,
    ),
    Case(
        "response-decimals",
        "decimals in the response body keep the precision sent",
        "create.decimal.precision",
        response_decimals,
        (CONTENT_TYPE,),
        WITH_BODY,
    ),
    Case(
        "read-round-trip",
        "a read returns what was sent plus id and meta",
        "create.read.round-trip",
        read_round_trip,
        (*RESOURCE, ID),
        ALL,
    ),
    Case(
        "read-decimals",
        "decimals in a read keep the precision sent",
        "create.decimal.precision",
        read_decimals,
        (*RESOURCE, ID, "create.read.round-trip"),
        ALL,
    ),
    Case(
        "default-body",
        "without Prefer the body is the resource or nothing",
        "create.prefer.default",
        default_body,
        requests=NO_PREFER,
    ),
    Case(
        "client-id-ignored",
        "the server ignores an id sent in the POST body",
        "create.id.client-ignored",
        client_id_ignored,
        (*RESOURCE, ID),
        ("client-id",),
    ),
    Case(
        "client-meta-ignored",
        "the server ignores a meta.versionId and meta.lastUpdated sent by the client",
        "create.meta.client-ignored",
        client_meta_ignored,
        (*RESOURCE, VERSION_ID, LAST_UPDATED),
        ("client-meta",),
    ),
)


@pytest.mark.parametrize(("created", "case"), table(CASES, TYPES), indirect=["created"])
def test_create(created: Created, case: Case) -> None:
    """Each case checks one requirement of the create interaction on one resource type and way of sending it."""
    case.check(created)
