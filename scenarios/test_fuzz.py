"""Generated resources (hypothesis): every valid one is accepted, gets an id, a meta.versionId and a
meta.lastUpdated, a Location and an ETag naming them (the create rows themselves, judged on every example), and
comes back exactly as sent in the response and in a read, each decimal written as sent; every invalid one is
refused as the validation claim asks, with an OperationOutcome, nothing of it stored, never a 5xx (FHIR R4
http.html#create). A failing case shows the smallest failing resource hypothesis shrank its failure to, and the
curl commands that send it again (--fuzz-examples, --hypothesis-seed)."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis.strategies import SearchStrategy

from conformance import checks
from conformance.cases import Case, Property, properties, refusal_cases
from conformance.created import CONTENT_TYPE, ID, LOCATION, READABLE, VERSION_ID, Created
from conformance.fuzzing import Example, Fuzzing
from conformance.refused import Attempt, kept_together
from conformance.resources import TYPES, Marker
from conformance.strategies import invalid, valid
from conformance.success import etag_version, location_id, location_version, read_round_trip, response_round_trip

ACCEPTED = "fuzz.valid.accepted"
RESOURCE = (LOCATION, READABLE)  # the created resource: the response body, or else what the Location reads
SUCCESS = "fuzz.valid.success"
READ = "fuzz.valid.round-trip"


def valid_examples(resource_type: str, marker: Marker) -> SearchStrategy[Example]:
    """Draw valid resources of the type, carrying the run's marker."""
    return valid(resource_type, marker).map(Example)


def invalid_examples(resource_type: str, marker: Marker) -> SearchStrategy[Example]:
    """Draw resources of the type that break one R4 rule each, saying which and where."""
    return invalid(resource_type, marker).map(
        lambda broken: Example(broken.resource, f"{broken.rule} at {broken.where}")
    )


def success(c: Created) -> None:
    """The server gives the resource an id, a meta.versionId and a meta.lastUpdated (charged here, whichever
    create row the accessor names; what the Location and ETag say of them are cases of their own)."""
    _ = c.resource  # the subject: without it the case is blocked, as the create cases are
    try:
        _ = c.id, c.version_id, c.last_updated
    except checks.ConformanceFailure as failure:  # an id, a version or an instant missing: what this case looks for
        checks.fail(failure.expected, failure.received, failure.exchange)


def decimals(c: Created) -> None:
    """Every decimal in the response body and in a read is written as it was sent."""
    body = c.body
    if body is not None:
        checks.decimal_precision(c.response, c.sent, body, c.type)
    checks.status(c.read, 200, requirement=READ)
    checks.decimal_precision(c.read, c.sent, c.read.resource or {}, c.type)


VALID = Property(
    "valid",
    "every generated valid resource",
    valid_examples,
    (
        Case("accepted", "the create is accepted (a 2xx)", ACCEPTED, lambda c: checks.success(c.exchange)),
        Case(
            "success",
            "the server gives it an id, a meta.versionId and a meta.lastUpdated",
            SUCCESS,
            success,
            (LOCATION, READABLE),
        ),
        Case(
            "location-id",
            "the Location names the new id",
            "create.location.id",
            location_id,
            (*RESOURCE, ID),
        ),
        Case(
            "location-version",
            "the Location names the new meta.versionId",
            "create.location.version",
            location_version,
            (*RESOURCE, VERSION_ID),
        ),
        Case(
            "etag-version",
            "an ETag, if sent, carries the new meta.versionId",
            "create.etag.version",
            etag_version,
            (*RESOURCE, VERSION_ID),
        ),
        Case(
            "response-round-trip",
            "the response body is what was sent plus id and meta",
            "fuzz.valid.response-round-trip",
            response_round_trip,
            (CONTENT_TYPE,),
        ),
        Case(
            "read-round-trip",
            "a read returns what was sent plus id and meta",
            READ,
            read_round_trip,
            (LOCATION, READABLE, ID),
        ),
        Case(
            "decimals",
            "decimals keep the precision sent, in the response body and in a read",
            "fuzz.valid.decimals",
            decimals,
            (CONTENT_TYPE, LOCATION, READABLE, ID, READ),
        ),
    ),
    lambda made: [partial(getattr, c, "read") for c in made],
    accepted=ACCEPTED,
)
REFUSE = Attempt(
    "invalid",
    "a generated invalid resource",
    "fuzz.invalid.refused",
    statuses=None,
    status="fuzz.invalid.status",
    unclaimed="fuzz.invalid.unclaimed",
    outcome="fuzz.invalid.outcome",
    issue_type=None,
    stored="fuzz.invalid.not-stored",
    server_error="fuzz.invalid.no-5xx",
)
INVALID = Property(
    "invalid",
    "every generated invalid resource",
    invalid_examples,
    refusal_cases(REFUSE),
    kept_together,
    attempt=REFUSE,
)


@pytest.mark.parametrize(("fuzzed", "case"), properties(VALID, TYPES), indirect=["fuzzed"])
def test_valid(fuzzed: Fuzzing, case: Case) -> None:
    """Each case judges every generated valid resource of one type."""
    fuzzed.holds(case)


@pytest.mark.parametrize(("fuzzed", "case"), properties(INVALID, TYPES), indirect=["fuzzed"])
def test_invalid(fuzzed: Fuzzing, case: Case) -> None:
    """Each case judges every generated invalid resource of one type."""
    fuzzed.holds(case)
