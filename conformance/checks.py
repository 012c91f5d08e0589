"""Small checks: each raises ConformanceFailure("expected X, received Y") with a curl reproducer."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn

import pytest

from conformance import fhirjson
from conformance.client import Exchange, path_under, shown
from conformance.secrets import SECRETS, redact_url


class ConformanceFailure(AssertionError):
    """A server behaviour that breaks a requirement; requirement None means the case's own."""

    def __init__(
        self, expected: str, received: str, exchange: Exchange | None = None, requirement: str | None = None
    ) -> None:
        self.expected = expected
        self.received = received
        self.exchange = exchange
        self.requirement = requirement
        self.example = ""  # the resource that showed it, when generated, under a heading
        self.sent_by: Exchange | None = None  # the request that sent that resource, when another exchange failed
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        """Return the one-line verdict, secrets hidden."""
        return SECRETS.scrub(f"expected {self.expected}, received {self.received}")

    def __str__(self) -> str:
        example = f"\n\n{self.example}" if self.example else ""
        if self.exchange is None:
            return self.summary + example
        return f"{self.summary}{example}\n\nReproduce with:\n{self.reproducer()}"

    def reproducer(self) -> str:
        """Return the curl commands that repeat the failure: first the one that sent its generated example."""
        steps = self.exchange.curl() if self.exchange is not None else ""
        if self.sent_by is not None and self.sent_by is not self.exchange:
            steps = f"{self.sent_by.curl()}\n\nthen, with the id the server gives it:\n{steps}"
        return steps

    def shown_with(
        self, heading: str, resource: Mapping[str, Any], sent_by: Exchange | None = None
    ) -> ConformanceFailure:
        """Return a copy of the failure that shows the resource it was found with, as indented JSON, and the
        request that sent it (reproducing a failed read takes the create first)."""
        copied = ConformanceFailure(self.expected, self.received, self.exchange, self.requirement)
        copied.example = SECRETS.scrub(f"{heading}:\n{shown(fhirjson.pretty(resource))}")
        copied.sent_by = sent_by
        return copied


def fail(expected: str, received: str, exchange: Exchange | None = None, requirement: str | None = None) -> NoReturn:
    """Raise a ConformanceFailure."""
    raise ConformanceFailure(expected, received, exchange, requirement)


@contextmanager
def attributed(requirement: str) -> Iterator[None]:
    """Charge a failure of the checks inside, made on another requirement's behalf, to that requirement."""
    try:
        yield
    except ConformanceFailure as error:
        if error.requirement is not None:
            raise
        raise ConformanceFailure(error.expected, error.received, error.exchange, requirement) from None


def not_applicable(reason: str) -> NoReturn:
    """Skip a check whose subject the server legitimately did not produce (e.g. no ETag to compare)."""
    pytest.skip(reason)


def status(exchange: Exchange, *expected: int, requirement: str | None = None) -> None:
    """The response status is one of those expected."""
    if exchange.status not in expected:
        fail(" or ".join(map(str, expected)), received_status(exchange), exchange, requirement)


def success(exchange: Exchange, requirement: str | None = None) -> None:
    """The server accepted the request (a 2xx status)."""
    if not 200 <= exchange.status < 300:
        fail("a 2xx status", received_status(exchange), exchange, requirement)


def refusal_status(exchange: Exchange, expected: Sequence[int], tolerates_5xx: bool) -> None:
    """A refusal has an expected status; a 5xx passes where R4 tolerates one (another case charges it)."""
    # R4 http.html#create: "servers may also return 5xx errors in these cases without being deemed
    # non-conformant".
    if exchange.status not in expected and not (tolerates_5xx and exchange.status >= 500):
        fail(statuses(expected), received_status(exchange), exchange)


def below_500(exchange: Exchange) -> None:
    """The server answered, and not with a 5xx."""
    if not 0 < exchange.status < 500:
        fail("a status below 500", received_status(exchange), exchange)


def statuses(expected: Sequence[int]) -> str:
    """Describe expected statuses: '400', '400 or 422', 'a 4xx'."""
    if set(range(400, 500)) <= set(expected):
        return "a 4xx"
    return " or ".join(map(str, expected))


# R4 valueset-issue-severity.html and valueset-issue-type.html.
ISSUE_SEVERITIES = frozenset(("fatal", "error", "warning", "information"))
# fmt: off
ISSUE_TYPES = frozenset((
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired",
    "forbidden", "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found",
    "deleted", "too-long", "code-invalid", "extension", "too-costly", "business-rule", "conflict", "transient",
    "lock-error", "no-store", "exception", "timeout", "incomplete", "throttled", "informational",
))
# fmt: on


def issue_codes(exchange: Exchange, outcome: dict[str, Any]) -> None:
    """An issue of an OperationOutcome has a severity and a code from the R4 value sets; others may add their own."""
    issues = outcome.get("issue")
    pairs = (
        [(i.get("severity"), i.get("code")) for i in issues if isinstance(i, dict)] if isinstance(issues, list) else []
    )
    if not any(severity in ISSUE_SEVERITIES and code in ISSUE_TYPES for severity, code in pairs):
        shown = ", ".join(f"severity {s!r} code {c!r}" for s, c in pairs[:3]) or "no issue"
        fail("an issue with a severity from issue-severity and a code from issue-type", shown, exchange)


def received_status(exchange: Exchange) -> str:
    """Describe the status received: '404', or 'no answer (ReadTimeout after 30 s)'."""
    return str(exchange.status) if exchange.answered else exchange.outcome


def equal(what: str, expected: object, received: object, exchange: Exchange, requirement: str | None = None) -> None:
    """Two values that the spec says are the same are equal."""
    if expected != received:
        fail(f"{what} {expected!r}", repr(received), exchange, requirement)


def differ(what: str, unwanted: object, received: object, exchange: Exchange) -> None:
    """A value the server must set for itself is not the one the client sent."""
    if received == unwanted:
        fail(f"{what} set by the server, not the client's {unwanted!r}", repr(received), exchange)


# R4 http.html#create: Location: [base]/[type]/[id]/_history/[vid]; ids per R4 datatypes.html#id.
LOCATION_FORM = re.compile(r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9.-]{1,64})(?:/_history/[A-Za-z0-9.-]{1,64})?/?")


def location_form(exchange: Exchange, location: str, resolved: str, bases: Sequence[str], resource_type: str) -> None:
    """The Location is [base]/[type]/[id], then /_history/[vid], on the server's own base (R4 http.html#create)."""
    tail = path_under(resolved, bases)
    if tail is None:
        fail(f"a Location under the server's base {' or '.join(map(redact_url, bases))}", repr(location), exchange)
    match = LOCATION_FORM.fullmatch(tail)
    if match is None or match["type"] != resource_type:
        fail(f"Location [base]/{resource_type}/[id]/_history/[vid]", repr(location), exchange)


def media_type(exchange: Exchange, expected: str) -> None:
    """The response Content-Type names the expected media type (parameters such as charset aside)."""
    received = fhirjson.media_type(exchange.header("content-type"))
    if received != expected:
        fail(f"Content-Type {expected}", received or "no Content-Type", exchange)


def empty_body(exchange: Exchange) -> None:
    """The response has no body."""
    if exchange.response_body.strip():
        fail("no body", body_kind(exchange), exchange)


def resource_type(exchange: Exchange, expected: str) -> dict[str, Any]:
    """The response body is a resource of the expected type; return it."""
    resource = exchange.resource
    if resource is None or resource["resourceType"] != expected:
        fail(f"{article(expected)} {expected} as the body", body_kind(exchange), exchange)
    return resource


def matching(exchange: Exchange, resource_type: str, identifier: dict[str, str], requirement: str | None = None) -> int:
    """A search answers 200 with a Bundle; return how many of its resources of the type carry the identifier."""
    bundle = exchange.resource
    if exchange.status != 200 or bundle is None or bundle["resourceType"] != "Bundle":
        received = received_status(exchange) if exchange.status != 200 else body_kind(exchange)
        fail("a searchset Bundle (200)", received, exchange, requirement)
    found = [(e.get("resource") or {}) for e in bundle.get("entry", []) if isinstance(e, dict)]
    return sum(1 for r in found if r.get("resourceType") == resource_type and fhirjson.holds_identifier(r, identifier))


def article(word: str) -> str:
    """Return the indefinite article of a word: 'an OperationOutcome', 'a Patient'."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def body_kind(exchange: Exchange) -> str:
    """Describe a response body in a few words: none, not JSON, or its resourceType."""
    if not exchange.response_body.strip():
        return "no body"
    if exchange.resource is None:
        return f"a {len(exchange.response_body)}-byte body that is not a FHIR JSON resource"
    kind = exchange.resource["resourceType"]
    return f"{article(kind)} {kind}"


def header(exchange: Exchange, name: str, requirement: str | None = None) -> str:
    """The response carries the header; return its value."""
    value = exchange.header(name)
    if value is None:
        fail(f"a {name} header", "none", exchange, requirement)
    return value


def weak_etag(exchange: Exchange, etag: str) -> None:
    """The ETag is weak and quoted: W/"vid" (R4 http.html#versioning)."""
    if not (etag.startswith('W/"') and etag.endswith('"') and len(etag) > 4):
        fail('a weak ETag W/"<versionId>"', etag, exchange)


def etag_version(etag: str) -> str:
    """Return the version an ETag carries, whether weak, quoted, or bare as some servers send it."""
    return etag.removeprefix("W/").strip('"')


def http_date(exchange: Exchange, name: str, value: str) -> datetime:
    """A header holds an RFC 7231 HTTP-date; return it."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None or not value.rstrip().endswith("GMT"):
        fail(f"{name} as an HTTP-date such as 'Sat, 21 Nov 2026 08:06:27 GMT'", repr(value), exchange)
    return parsed


def instant(exchange: Exchange, what: str, value: object, requirement: str | None = None) -> datetime:
    """A FHIR instant has a date, a time and a timezone; return it."""
    parsed = fhirjson.parse_instant(value)
    if parsed is None:
        fail(f"{what} as a FHIR instant such as 2026-11-21T08:06:27.123Z", json_value(value), exchange, requirement)
    return parsed


def same_second(exchange: Exchange, what: str, expected: datetime, received: datetime) -> None:
    """Two instants agree to the second (HTTP-dates carry no fractions)."""
    if expected.replace(microsecond=0) != received.replace(microsecond=0):
        fail(f"{what} {expected.isoformat()}", received.isoformat(), exchange)


def same_content(
    exchange: Exchange,
    sent: dict[str, Any],
    received: dict[str, Any],
    ignored_tag: str | None,
    requirement: str | None = None,
) -> None:
    """A resource carries exactly what was sent, server-managed id and meta aside (R4 http.html#create)."""
    expected, actual = _comparable(sent, ignored_tag), _comparable(received, ignored_tag)
    difference = first_difference(expected, actual, str(sent["resourceType"]))
    if difference is not None:
        path, want, got = difference
        fail(f"{path} = {want}", got, exchange, requirement)


def first_difference(expected: Any, received: Any, path: str) -> tuple[str, str, str] | None:
    """Return the first place two FHIR JSON values differ, as (path, expected, received)."""
    if isinstance(expected, dict) and isinstance(received, dict):
        for key in [*expected, *(k for k in received if k not in expected)]:
            if key not in received or key not in expected:
                return f"{path}.{key}", _show(expected, key), _show(received, key)
            found = first_difference(expected[key], received[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(received, list) and len(expected) == len(received):
        for index, (want, got) in enumerate(zip(expected, received, strict=True)):
            found = first_difference(want, got, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if _same_leaf(expected, received) else (path, _render(expected), _render(received))


def _same_leaf(expected: Any, received: Any) -> bool:
    """Compare JSON leaves strictly (true is not 1); decimals by value, as precision has a check of its own."""
    if type(expected) is not type(received):
        return _number(expected) and _number(received) and expected == received
    return bool(expected == received)


def _number(value: Any) -> bool:
    """Tell whether a JSON value is a number (true and false are not)."""
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def decimal_precision(exchange: Exchange, sent: Any, received: Any, path: str) -> None:
    """Every decimal sent comes back written as sent: 9.50 stays 9.50 (R4 datatypes.html#decimal)."""
    for where, want, got in _decimals(sent, received, path):
        # Only numbers: a missing or retyped element is the round trip's finding, not this one's.
        if _number(got) and str(want) != str(got):
            fail(f"{where} = {want}", str(got), exchange)


def _decimals(sent: Any, received: Any, path: str) -> Iterator[tuple[str, Decimal, Any]]:
    """Yield each decimal sent beside what stands at the same place in what was received."""
    if isinstance(sent, Decimal):
        yield path, sent, received
    elif isinstance(sent, dict) and isinstance(received, dict):
        for key, value in sent.items():
            yield from _decimals(value, received.get(key), f"{path}.{key}")
    elif isinstance(sent, list) and isinstance(received, list):
        for index, (want, got) in enumerate(zip(sent, received, strict=False)):
            yield from _decimals(want, got, f"{path}[{index}]")


def _comparable(resource: dict[str, Any], ignored_tag: str | None) -> dict[str, Any]:
    """Drop what the server manages: id, meta but its tag/profile/security, and its own tenant tag."""
    body = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    meta = resource.get("meta") or {}
    for key in ("tag", "profile", "security"):
        values = [
            v for v in meta.get(key, []) if not (isinstance(v, dict) and ignored_tag and v.get("system") == ignored_tag)
        ]
        if values:  # the order of a set of codings carries no meaning: compare them sorted
            body[f"meta.{key}"] = sorted(fhirjson.dumps(v) for v in values)
    return body


def _show(container: dict[str, Any], key: str) -> str:
    """Render a member of an object, or say it is absent."""
    return _render(container[key]) if key in container else "nothing (absent)"


def json_value(value: object) -> str:
    """Render a JSON value with its kind where a string is expected: 'nothing (absent)', '1 (a number)'."""
    if value is None:
        return "nothing (absent)"
    if isinstance(value, str):
        return repr(value)
    kind = {bool: "a boolean", int: "a number", float: "a number", dict: "an object", list: "an array"}
    return f"{_render(value)} ({kind.get(type(value), 'a number')}, not a string)"


def _render(value: Any) -> str:
    """Render a JSON value compactly for a failure message."""
    text = fhirjson.dumps(value)
    return text if len(text) <= 200 else text[:200] + "..."


def tag(exchange: Exchange, resource: Any, system: str, code: str | None, requirement: str | None = None) -> str:
    """meta.tag holds a tag of the system, with the code when one is given; return the code it holds."""
    found = [t for t in fhirjson.tags(resource) if t.get("system") == system and code in (None, t.get("code"))]
    if not found or not isinstance(found[0].get("code"), str):
        fail(f"meta.tag holding {system}|{code or '<any code>'}", _codings(resource), exchange, requirement)
    return str(found[0]["code"])


def only_tag(exchange: Exchange, resource: Any, system: str, code: str) -> None:
    """meta.tag holds one tag of the system, with the code: a client-supplied one in that system is not kept."""
    if [_coding(t) for t in fhirjson.tags(resource) if t.get("system") == system] != [f"{system}|{code}"]:
        fail(f"one tag of {system}, {system}|{code}", _codings(resource), exchange)


def tags_kept(exchange: Exchange, resource: Any, sent: Sequence[dict[str, Any]]) -> None:
    """meta.tag holds each tag the client sent."""
    held = {_coding(t) for t in fhirjson.tags(resource)}
    for wanted in (t for t in sent if _coding(t) not in held):
        fail(f"meta.tag keeping the client's {_coding(wanted)}", _codings(resource), exchange)


def same_tags(exchange: Exchange, expected: Any, received: Any) -> None:
    """Two resources hold the same meta.tag codings, in any order."""
    equal("meta.tag", _codings(expected), _codings(received), exchange)


def _coding(tag: dict[str, Any]) -> str:
    """Render a coding as system|code."""
    return f"{tag.get('system')}|{tag.get('code')}"


def _codings(resource: Any) -> str:
    """Render a resource's tags, sorted, for a comparison or a failure message."""
    return ", ".join(sorted(_coding(t) for t in fhirjson.tags(resource))) or "no tag"


def hidden(exchange: Exchange, identifier: dict[str, Any]) -> None:
    """Another tenant's read of the resource carrying the identifier is refused: 404, or 403."""
    shown = exchange.resource
    # Ids may be scoped per tenant: a 200 with a resource of the reader's own (another identifier) reveals nothing.
    if exchange.status != 200 or shown is None or fhirjson.holds_identifier(shown, identifier):
        status(exchange, 404, 403)


def absent(exchange: Exchange, identifier: dict[str, Any], expected: str) -> None:
    """A search answer lists no resource carrying the identifier."""
    entries = (exchange.resource or {}).get("entry")
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and fhirjson.holds_identifier(resource, identifier):
            fail(expected, f"{resource.get('resourceType')}/{resource.get('id')} in the search results", exchange)


def refused(exchange: Exchange, requirement: str | None = None) -> None:
    """The server did not accept the request: no 2xx status."""
    if 200 <= exchange.status < 300:
        fail("a refusal", received_status(exchange), exchange, requirement)
