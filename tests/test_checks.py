"""Checks fail with 'expected X, received Y' and a curl reproducer; FHIR JSON keeps decimals exact."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks, fhirjson
from conformance.checks import ConformanceFailure
from conformance.client import Exchange, FhirClient, parse_location
from conformance.secrets import SECRETS
from tests.stubs import dropping_server, endless_server

SECRETS.add_headers([("X-Tenant", "t-1-key")])


def exchange(status: int = 201, headers: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> Exchange:
    """Return a recorded exchange of a create with the response given."""
    return Exchange(
        "POST",
        "http://127.0.0.1:1/Patient",
        (("Content-Type", "application/fhir+json"), ("Authorization", "Bearer secret-token"), ("X-Tenant", "t-1-key")),
        b'{"resourceType":"Patient"}',
        status,
        headers,
        body,
    )


def test_a_failure_says_expected_and_received_with_a_redacted_curl() -> None:
    """A failed status check reads 'expected 201, received 200' and ends with curl, secrets redacted."""
    with pytest.raises(ConformanceFailure) as raised:
        checks.status(exchange(200), 201)
    text = str(raised.value)
    assert text.startswith("expected 201, received 200\n\nReproduce with:\ncurl -i -X POST")
    assert "secret-token" not in text and "t-1-key" not in text and "'Authorization: ***'" in text


def test_transcripts_redact_secret_headers_and_echoed_values() -> None:
    """A transcript never shows a secret header's value, even where the server echoes it in its body."""
    text = exchange(401, (("Set-Cookie", "session=abc"),), b'{"message":"unknown key t-1-key"}').transcript()
    assert "secret-token" not in text and "t-1-key" not in text and "HTTP 401" in text and "unknown key ***" in text


def test_an_unanswered_request_reads_as_no_answer() -> None:
    """A request with no answer is an exchange of status 0 whose checks say 'received no answer'."""
    silent = Exchange("POST", "http://127.0.0.1:1/Patient", (), b"{}", 0, error="ReadTimeout after 30 s")
    assert not silent.answered and silent.transcript().endswith("no answer (ReadTimeout after 30 s)")
    with pytest.raises(ConformanceFailure, match=r"expected 201, received no answer \(ReadTimeout after 30 s\)"):
        checks.status(silent, 201)


@pytest.mark.parametrize(
    ("sent", "received", "message"),
    [
        ({"a": Decimal("1.50")}, {"a": Decimal("2.5")}, "expected Patient.a = 1.50, received 2.5"),
        ({"a": True}, {"a": 1}, "expected Patient.a = true, received 1"),
        ({"a": [1, 2]}, {"a": [1]}, "expected Patient.a = [1,2], received [1]"),
        ({"a": {"b": "x"}}, {"a": {}}, 'expected Patient.a.b = "x", received nothing (absent)'),
        ({}, {"extra": "y"}, 'expected Patient.extra = nothing (absent), received "y"'),
    ],
)
def test_same_content_names_the_first_difference(sent: dict[str, Any], received: dict[str, Any], message: str) -> None:
    """A round-trip failure names the path, the value sent and the value received."""
    with pytest.raises(ConformanceFailure, match=re.escape(message)):
        checks.same_content(
            exchange(), {"resourceType": "Patient", **sent}, {"resourceType": "Patient", **received}, None
        )


def test_decimal_precision_is_its_own_check() -> None:
    """9.50 read back as 9.5 is equal content but lost precision: the round trip passes, the precision check fails."""
    sent = {"resourceType": "Patient", "x": [{"v": Decimal("9.50")}], "gone": Decimal("1.0")}
    received = {"resourceType": "Patient", "x": [{"v": Decimal("9.5")}]}
    checks.same_content(exchange(), sent, {**received, "gone": Decimal("1")}, None)
    with pytest.raises(ConformanceFailure, match=re.escape("expected Patient.x[0].v = 9.50, received 9.5")):
        checks.decimal_precision(exchange(), sent, received, "Patient")


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://127.0.0.1:1/fhir/Patient/1/_history/1", None),
        ("HTTP://127.0.0.1:1/fhir/Patient/1", None),
        ("Patient/1/_history/1", None),
        ("https://proxy.example/fhir/Patient/1/_history/1", None),
        ("http://127.0.0.1:2/fhir/Patient/1/_history/1", "a Location under the server's base"),
        ("http://127.0.0.1:1/fhir/Patient/Patient/1/_history/1", "Location [base]/Patient/[id]/_history/[vid]"),
        ("http://127.0.0.1:1/fhir/Observation/1", "Location [base]/Patient/[id]/_history/[vid]"),
        ("/Patient/1", "a Location under the server's base"),
    ],
)
def test_location_form_is_on_the_servers_base(location: str, message: str | None) -> None:
    """An absolute Location starts with the base reached or the stated implementation.url; no doubled type."""
    bases = ("http://127.0.0.1:1/fhir", "https://proxy.example/fhir")
    resolved = FhirClient(bases[0]).url(location)
    if message is None:
        checks.location_form(exchange(), location, resolved, bases, "Patient")
        return
    with pytest.raises(ConformanceFailure, match=re.escape(message)):
        checks.location_form(exchange(), location, resolved, bases, "Patient")


def test_same_content_ignores_server_managed_meta_and_the_tenant_tag() -> None:
    """id, versionId, lastUpdated, source and the tenant's tag are the server's; other tags must come back."""
    sent = {"resourceType": "Patient", "id": "x", "meta": {"tag": [{"system": "s", "code": "1"}]}}
    received = {
        "resourceType": "Patient",
        "id": "y",
        "meta": {
            "versionId": "1",
            "source": "#a",
            "tag": [{"system": "tenant", "code": "t"}, {"system": "s", "code": "1"}],
        },
    }
    checks.same_content(exchange(), sent, received, "tenant")
    with pytest.raises(ConformanceFailure, match=r"meta\.tag"):
        checks.same_content(exchange(), sent, {"resourceType": "Patient", "meta": {}}, "tenant")


@pytest.mark.parametrize("value", ["Sat, 21 Nov 2026 08:06:27 GMT"])
def test_http_date_accepts_rfc_7231(value: str) -> None:
    """An IMF-fixdate parses."""
    assert checks.http_date(exchange(), "Last-Modified", value).year == 2026


@pytest.mark.parametrize("value", ["2026-11-21T08:06:27Z", "Sat, 21 Nov 2026 08:06:27 +0100", "yesterday"])
def test_http_date_refuses_other_forms(value: str) -> None:
    """An ISO instant, a numeric zone or prose is not an HTTP-date."""
    with pytest.raises(ConformanceFailure, match="expected Last-Modified as an HTTP-date"):
        checks.http_date(exchange(), "Last-Modified", value)


def test_weak_etag_and_its_version() -> None:
    """W/"3" is weak and carries version 3; "3" is strong."""
    checks.weak_etag(exchange(), 'W/"3"')
    assert checks.etag_version('W/"3"') == checks.etag_version('"3"') == checks.etag_version("3") == "3"
    with pytest.raises(ConformanceFailure):
        checks.weak_etag(exchange(), '"3"')


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    # An integral Decimal prints as an integer and so reads back as int: FHIR JSON numbers with a point stay Decimal.
    | st.decimals(allow_nan=False, allow_infinity=False).filter(lambda d: "." in str(d) or "E" in str(d)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_fhir_json_round_trips_exactly(value: Any) -> None:
    """What dumps writes, loads reads back identically, decimals with their precision."""
    again = fhirjson.loads(fhirjson.dumps(value))
    assert checks.first_difference(value, again, "$") is None


@pytest.mark.parametrize(
    ("location", "parts"),
    [
        ("Patient/abc/_history/1", ("Patient", "abc", "1")),
        ("http://127.0.0.1:1/fhir/Patient/abc/_history/1", ("Patient", "abc", "1")),
        ("https://h/v1/fhir/Observation/a.b-c", ("Observation", "a.b-c", None)),
        ("http://h/fhir/Patient/Patient123/_history/2/", ("Patient", "Patient123", "2")),
    ],
)
def test_locations_parse_absolute_or_relative_to_the_base(location: str, parts: tuple[str, str, str | None]) -> None:
    """R4 allows an absolute or a relative Location; both read as type, id and version."""
    client = FhirClient("http://127.0.0.1:1/fhir")
    parsed = parse_location(client.url(location))
    assert parsed is not None and (parsed.type, parsed.id, parsed.version) == parts
    client.close()


@pytest.mark.parametrize("location", ["http://h/fhir/Patient", "http://h/fhir/patient/1", "http://h/fhir/Patient/a b"])
def test_locations_without_type_and_id_do_not_parse(location: str) -> None:
    """A Location that names no [type]/[id] is not one."""
    assert parse_location(location) is None


@pytest.mark.parametrize("value", ["2026-11-21T08:06:27.123Z", "2026-11-21T09:06:27+01:00"])
def test_instant_accepts_a_time_with_a_timezone(value: str) -> None:
    """meta.lastUpdated is an instant: date, time and timezone."""
    assert checks.instant(exchange(), "meta.lastUpdated", value).utcoffset() is not None


@pytest.mark.parametrize("value", ["2026-11-21", "2026-11-21T08:06:27", 20261121, None])
def test_instant_refuses_a_date_a_local_time_or_no_text(value: object) -> None:
    """A date alone, a time without a timezone, or a number is not an instant."""
    with pytest.raises(ConformanceFailure, match="as a FHIR instant"):
        checks.instant(exchange(), "meta.lastUpdated", value)


@pytest.mark.parametrize(
    ("value", "received"),
    [
        (None, "nothing (absent)"),
        ("", "''"),
        (1, "1 (a number, not a string)"),
        ({"v": 1}, '{"v":1} (an object, not a string)'),
    ],
)
def test_a_value_that_should_be_a_string_is_shown_with_its_kind(value: object, received: str) -> None:
    """A versionId sent as the number 1 reads 'received 1 (a number, not a string)', not a bare 1 that looks set."""
    assert checks.json_value(value) == received


TENANT = "https://clinikapi.com/tenant"


def test_tenant_tag_checks_name_the_tags_held() -> None:
    """A missing or doubled tenant tag is reported with every tag the resource holds."""
    held = {"meta": {"tag": [{"system": "urn:run", "code": "r1"}, {"system": TENANT, "code": "b"}]}}
    assert checks.tag(exchange(), held, TENANT, None) == "b"
    with pytest.raises(ConformanceFailure) as missing:
        checks.tag(exchange(), held, TENANT, "a")
    assert missing.value.summary == f"expected meta.tag holding {TENANT}|a, received {TENANT}|b, urn:run|r1"
    doubled = {"meta": {"tag": [*held["meta"]["tag"], {"system": TENANT, "code": "a"}]}}
    with pytest.raises(ConformanceFailure) as twice:
        checks.only_tag(exchange(), doubled, TENANT, "a")
    assert (
        twice.value.summary == f"expected one tag of {TENANT}, {TENANT}|a, received {TENANT}|a, {TENANT}|b, urn:run|r1"
    )


def test_another_tenants_resource_is_hidden_only_when_absent_from_the_answer() -> None:
    """A read of it answers 404 or 403, or 200 with a resource of the reader's own; a search does not list it."""
    mine, theirs = {"system": "urn:run", "value": "1"}, b'{"resourceType":"Patient","identifier":[{"value":"2"}]}'
    checks.hidden(exchange(404), mine)
    checks.hidden(exchange(200, body=theirs), mine)  # ids scoped per tenant: the reader's own Patient
    with pytest.raises(ConformanceFailure, match="expected 404 or 403, received 200"):
        checks.hidden(
            exchange(200, body=b'{"resourceType":"Patient","identifier":[{"system":"urn:run","value":"1"}]}'), mine
        )
    bundle = b'{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"p1","identifier":[%s]}}]}'
    checks.absent(exchange(200, body=bundle % b'{"value":"1"}'), mine, "none of theirs")
    with pytest.raises(ConformanceFailure, match="expected none of theirs, received Patient/p1 in the search results"):
        checks.absent(exchange(200, body=bundle % b'{"system":"urn:run","value":"1"}'), mine, "none of theirs")


@pytest.mark.parametrize(
    ("status", "expected", "tolerates_5xx", "message"),
    [
        (400, (400,), False, None),
        (503, (400,), True, None),  # R4 http.html#create tolerates a 5xx; the no-5xx case charges it
        (503, (409,), False, "expected 409, received 503"),
        (201, (400, 422), True, "expected 400 or 422, received 201"),
        (201, tuple(range(400, 500)), True, "expected a 4xx, received 201"),
        (0, (400,), True, "expected 400, received no answer"),
    ],
)
def test_a_refusal_status_is_graded_with_r4_s_tolerance_of_5xx(
    status: int, expected: tuple[int, ...], tolerates_5xx: bool, message: str | None
) -> None:
    """A refusal has one of the statuses expected; a 5xx passes only where R4 tolerates one."""
    answer = Exchange("POST", "http://127.0.0.1:1/Patient", (), b"{}", status, error="ReadTimeout after 1 s")
    if message is None:
        checks.refusal_status(answer, expected, tolerates_5xx)
    else:
        with pytest.raises(ConformanceFailure, match=re.escape(message)):
            checks.refusal_status(answer, expected, tolerates_5xx)


@pytest.mark.parametrize(
    ("issues", "passes"),
    [
        ([{"severity": "error", "code": "structure"}], True),
        ([{"severity": "error", "code": "400"}, {"severity": "information", "code": "informational"}], True),
        ([{"severity": "error", "code": "400"}], False),
        ([{"severity": "ERROR", "code": "invalid"}], False),
        ([], False),
        ("not a list", False),
    ],
)
def test_an_outcome_needs_one_issue_coded_from_the_r4_value_sets(issues: Any, passes: bool) -> None:
    """One issue with an issue-severity and an issue-type code suffices; others may carry their own codes."""
    outcome = {"resourceType": "OperationOutcome", "issue": issues}
    if passes:
        checks.issue_codes(exchange(400), outcome)
    else:
        with pytest.raises(ConformanceFailure, match="expected an issue with a severity from issue-severity"):
            checks.issue_codes(exchange(400), outcome)


@pytest.mark.parametrize(("method", "status"), [("GET", 200), ("DELETE", 200), ("POST", 0)])
def test_an_idempotent_request_goes_again_when_its_connection_is_closed_under_it(method: str, status: int) -> None:
    """A server may close a connection without answering (a kept-alive one, after an error): a GET or DELETE
    goes again once on a new connection; a POST does not, since the server may have made what it sent."""
    with dropping_server() as url:
        client = FhirClient(url, timeout=5)
        answered = client.request(
            method, "Patient/x" if method != "POST" else "Patient", b"{}" if method == "POST" else b""
        )
        client.close()
    assert answered.status == status, answered.error


@pytest.mark.parametrize(
    ("pause", "error"), [(0.2, "ReadTimeout after 2 s"), (0, "TooLarge: the body went on beyond 64 MiB")]
)
def test_an_answer_that_never_ends_is_no_answer(pause: float, error: str) -> None:
    """A body that trickles in (each read within the timeout) ends at the timeout; one that pours in without end
    ends at the size limit: neither hangs the run nor fills its memory."""
    with endless_server(pause) as url:
        started = time.monotonic()
        client = FhirClient(url, timeout=2)
        answered = client.get("Patient/x")
        client.close()
    assert answered.status == 0 and answered.error == error and time.monotonic() - started < 5, answered.error
