"""Large, deep and many-scripted resources: a few MiB of narrative gets 201 or 413, extensions nested 50 deep
get 201 or a 4xx, text in many scripts comes back intact, and none gets a 5xx or goes unanswered within the
client timeout (FHIR R4 http.html#create, #mime-type: FHIR JSON is UTF-8)."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, table
from conformance.created import CONTENT_TYPE, ID, LOCATION, READABLE, Created

BIG = ("large-narrative", "deep-extensions")


def answered(c: Created) -> None:
    """The create is accepted or refused (413 or another 4xx) in time, and the server answers afterwards."""
    if not (200 <= c.exchange.status < 300 or 400 <= c.exchange.status < 500):
        checks.fail("a 2xx, or 413 or another 4xx", checks.received_status(c.exchange), c.exchange)
    checks.status(c.record(c.client.get("metadata")), 200)


def round_trip(c: Created) -> None:
    """The names in many scripts come back as sent, in the response body (if any) and in a read."""
    checks.success(c.exchange)
    for exchange in ([c.response] if c.body else []) + [c.read]:
        checks.status(exchange, 200, 201)
        checks.equal(f"{c.type}.name", c.sent["name"], (exchange.resource or {}).get("name"), exchange)


CASES = (
    Case(
        "answered",
        "the create is answered in time, and the server keeps serving",
        "reject.size.no-hang",
        answered,
        requests=BIG,
    ),
    Case(
        "round-trip",
        "text in many scripts comes back unchanged",
        "reject.unicode.accepted",
        round_trip,
        (CONTENT_TYPE, LOCATION, READABLE, ID),
        ("scripts",),
    ),
    Case(
        "no-5xx",
        "the create is not answered with a 5xx",
        "reject.server-error.none",
        lambda c: checks.below_500(c.exchange),
        requests=(*BIG, "scripts"),
    ),
)


@pytest.mark.parametrize(("created", "case"), table(CASES, ("Patient",)), indirect=["created"])
def test_robustness(created: Created, case: Case) -> None:
    """Each case checks one requirement of one large, deep or many-scripted create."""
    case.check(created)
