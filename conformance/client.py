"""The FHIR client every scenario talks through; each request and its response is kept as an Exchange."""

from __future__ import annotations

import re
import shlex
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

import httpx

from conformance import fhirjson
from conformance.secrets import SECRETS, redact_url

FHIR_JSON = "application/fhir+json"
TRANSCRIPT_BODY_LIMIT = 20_000
# Requests that may go again when the connection they went on was closed under them (RFC 9110 section 9.2.2).
IDEMPOTENT = frozenset(("GET", "HEAD", "DELETE", "PUT"))
# Response bodies up to this size keep their parsed JSON beside their bytes.
KEEP_PARSED = 1 << 20
# Consecutive requests without an answer after which the server counts as stopped (the run then ends).
STOP_AFTER = 2
# The most of an answer's body the client reads: far beyond any resource the suite sends (a few MiB).
ANSWER_LIMIT = 64 << 20

Answer = tuple[int, tuple[tuple[str, str], ...], bytes]  # status, headers, body


class TooLarge(httpx.TransportError):
    """An answer's body went on beyond ANSWER_LIMIT."""


class EndpointError(Exception):
    """The base URL is not a reachable FHIR endpoint; the message is one line meant for the user."""


@dataclass(frozen=True)
class Exchange:
    """One request and the response to it (status 0: no answer); rendered with every secret hidden."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes
    status: int
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: bytes = b""
    error: str = ""  # why there was no answer (refused, reset, timed out)

    @property
    def answered(self) -> bool:
        """Tell whether the server answered at all."""
        return self.status != 0

    @property
    def outcome(self) -> str:
        """Describe the answer in a few words: 'HTTP 201', or 'no answer (ReadTimeout ...)'."""
        return f"HTTP {self.status}" if self.answered else f"no answer ({self.error})"

    def header(self, name: str) -> str | None:
        """Return the first response header of that name, or None."""
        return next((v for k, v in self.response_headers if k.lower() == name.lower()), None)

    @property
    def json(self) -> Any:
        """Return the response body parsed as FHIR JSON, or None when it is empty or not JSON."""
        if "_json" in self.__dict__:
            return self.__dict__["_json"]
        try:
            value = fhirjson.loads(self.response_body) if self.response_body.strip() else None
        except ValueError:
            value = None
        # A body of MiBs (the large-resource cases) is parsed each time it is asked for rather than kept twice.
        if len(self.response_body) <= KEEP_PARSED:
            self.__dict__["_json"] = value  # a frozen dataclass: its fields stay, this cache is its own
        return value

    @property
    def resource(self) -> dict[str, Any] | None:
        """Return the response body when it is a FHIR resource (a JSON object with resourceType)."""
        body = self.json
        return body if isinstance(body, dict) and isinstance(body.get("resourceType"), str) else None

    def curl(self) -> str:
        """Return a curl command that repeats the request, with secrets hidden."""
        return self._curl

    def transcript(self) -> str:
        """Return the exchange as HTTP-like text, secrets hidden, long bodies cut."""
        return self._transcript

    # Rendered once: the exchanges of a create are shown under each of its cases.
    @cached_property
    def _curl(self) -> str:
        parts = ["curl", "-i", "-X", self.method, shlex.quote(self.url)]
        for name, value in self._shown_request_headers():
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if not self.request_body:
            return SECRETS.scrub(" ".join(parts))
        # A body of several MiB is cut like a transcript's: the command then shows the request rather than repeat it.
        body = _shown(self.request_body)
        return SECRETS.scrub(" ".join([*parts, "--data-binary", "@-", "<<'FHIR'"]) + f"\n{body}\nFHIR")

    @cached_property
    def _transcript(self) -> str:
        request = [f"{self.method} {self.url}", *(f"{k}: {v}" for k, v in self._shown_request_headers())]
        if not self.answered:
            return SECRETS.scrub("\n".join([*request, "", _shown(self.request_body), "", self.outcome]))
        response = [f"HTTP {self.status}", *(f"{k}: {v}" for k, v in self.response_headers)]
        lines = [*request, "", _shown(self.request_body), "", *response, "", _shown(self.response_body)]
        return SECRETS.scrub("\n".join(lines))

    def _shown_request_headers(self) -> list[tuple[str, str]]:
        """Return the request headers with the values of secret ones replaced."""
        return [(k, SECRETS.header(k, v)) for k, v in self.request_headers]


@runtime_checkable
class Recorded(Protocol):
    """A subject of cases (a create, a flow, a race) that keeps the exchanges it made, for transcripts."""

    exchanges: list[Exchange]


@dataclass
class Silence:
    """How a server has been answering, shared by every client of the run that talks to it (other identities,
    racers): once STOP_AFTER requests of one method in a row got no answer, none of them sends another (a server
    that never answers a POST may well answer every GET in between)."""

    unanswered: dict[str, int] = field(default_factory=dict)  # by method: consecutive requests without an answer
    pending: dict[str, int] = field(default_factory=dict)  # by method: requests sent and not yet settled
    last: str = ""  # the last request that got no answer, and why
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def stopped(self) -> bool:
        """Tell whether the server stopped answering."""
        return any(count >= STOP_AFTER for count in self.unanswered.values())

    def sending(self, method: str) -> bool:
        """Return whether to send a request of this method, and count it as pending; after a request of it got no
        answer, first wait for those already out, which tell whether the server stopped (requests sent together
        would otherwise each wait out a timeout again)."""
        with self._changed:
            self._changed.wait_for(lambda: self.stopped or not self._doubtful(method))
            if self.stopped:
                return False
            self.pending[method] = self.pending.get(method, 0) + 1
            return True

    def _doubtful(self, method: str) -> bool:
        """Tell whether a request of this method got no answer while others of it are still out."""
        return bool(self.unanswered.get(method) and self.pending.get(method))

    def heard(self, method: str) -> None:
        """Note an answer to a request of this method."""
        self._settled(method, 0)

    def missed(self, method: str, why: str, counts: bool) -> None:
        """Note a request without an answer (`counts`: False where it was interrupted rather than unanswered)."""
        with self._changed:
            self.last = why
            self._settled(method, self.unanswered.get(method, 0) + counts)

    def _settled(self, method: str, unanswered: int) -> None:
        with self._changed:
            self.unanswered[method] = unanswered
            self.pending[method] -= 1
            self._changed.notify_all()


class FhirClient:
    """An httpx client bound to one FHIR base URL and the headers of the server profile."""

    def __init__(
        self,
        base_url: str,
        headers: Sequence[tuple[str, str]] = (),
        timeout: float = 30.0,
        silence: Silence | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.silence = silence or Silence()  # a sibling's or another identity's client shares its server's
        self.headers = tuple(headers)  # the profile's, sent on every request
        self._headers = [("Accept", FHIR_JSON), *headers]
        limits = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._http = httpx.Client(timeout=limits, follow_redirects=False, verify=_tls())

    @property
    def stopped(self) -> bool:
        """Tell whether the server stopped answering (so no more requests are sent)."""
        return self.silence.stopped

    def sibling(self, headers: Sequence[tuple[str, str]] | None = None) -> FhirClient:
        """Return a client of its own connections to the same base, with the same headers unless others are given
        (a racer, another identity), that learns with this one when the server stops answering."""
        return FhirClient(self.base_url, self.headers if headers is None else headers, self.timeout, self.silence)

    def url(self, path: str) -> str:
        """Resolve a path or a relative reference (such as a relative Location) against the base."""
        return urljoin(self.base_url + "/", path)

    def request(self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None) -> Exchange:
        """Send one request and keep it, with its response or the lack of one, as an Exchange."""
        sent = tuple(_merged(self._headers, headers or {}))
        url = self.url(path)
        shown = partial(Exchange, method, redact_url(url), sent, body)
        if _origin(url) != _origin(self.base_url):
            # A Location may name any host: the run's requests, and the credentials in them, go to the server alone.
            elsewhere = redact_url(_origin(url))
            return shown(0, error=f"not sent: {elsewhere} is not the base URL's host, and the suite sends only there")
        if not self.silence.sending(method):
            return shown(0, error="not sent: the server had stopped answering")
        try:
            response = self._send(method, url, body, sent)
        except httpx.HTTPError as error:
            why = _no_answer(error, self.timeout)
            self.silence.missed(method, f"{method} {redact_url(url)}: {why}", counts=True)
            return shown(0, error=why)
        except BaseException:  # interrupted: settle it, so that no other request waits on it
            self.silence.missed(method, self.silence.last, counts=False)
            raise
        self.silence.heard(method)
        return shown(*response)

    def create(
        self,
        resource: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
        path: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Exchange:
        """POST a resource to [base]/[type] (or to the path given), with query parameters if given."""
        target = path or str(resource["resourceType"])
        return self._post(str(httpx.URL(target, params=params)) if params else target, resource, headers)

    def transaction(self, bundle: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Exchange:
        """POST a Bundle to the base itself (R4 http.html#transaction: POST [base])."""
        return self._post(self.base_url, bundle, headers)

    def _send(self, method: str, url: str, body: bytes, headers: Sequence[tuple[str, str]]) -> Answer:
        """Send a request; an idempotent one goes again once on a fresh connection when the one it went on was
        closed under it (a server may close a kept-alive connection at any time, e.g. after answering a 500)."""
        try:
            return self._answer(method, url, body, headers)
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            if method not in IDEMPOTENT:
                raise
            return self._answer(method, url, body, headers)

    def _answer(self, method: str, url: str, body: bytes, headers: Sequence[tuple[str, str]]) -> Answer:
        """Return the status, headers and body of the answer, read within the timeout and the size limit
        (httpx times each read, so a body that trickles in a byte at a time would otherwise never end)."""
        deadline = time.monotonic() + self.timeout
        with self._http.stream(method, url, content=body or None, headers=headers) as response:
            content = bytearray()
            for chunk in response.iter_bytes():
                content += chunk
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"the body was still arriving after {self.timeout:g} s")
                if len(content) > ANSWER_LIMIT:
                    raise TooLarge(f"the body went on beyond {ANSWER_LIMIT >> 20} MiB")
            return response.status_code, tuple(response.headers.items()), bytes(content)

    def _post(self, path: str, resource: Mapping[str, Any], headers: Mapping[str, str] | None) -> Exchange:
        """POST a resource as application/fhir+json."""
        body = fhirjson.dumps(resource).encode("utf-8")
        return self.request("POST", path, body, {"Content-Type": FHIR_JSON, **(headers or {})})

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Exchange:
        """GET a path or URL (a read, a vread, a search, or a Location as the server sent it)."""
        return self.request("GET", path, headers=headers)

    def search(self, resource_type: str, params: Mapping[str, str]) -> Exchange:
        """Search one type with the parameters given."""
        return self.get(str(httpx.URL(resource_type, params=params)))

    def delete(self, resource_type: str, resource_id: str) -> Exchange:
        """DELETE one resource."""
        return self.request("DELETE", f"{resource_type}/{resource_id}")

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


# R4 http.html#create: Location: [base]/[type]/[id]/_history/[vid]; ids per R4 datatypes.html#id.
LOCATION_TAIL = re.compile(
    r"(?:^|/)(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9.-]{1,64})(?:/_history/(?P<vid>[A-Za-z0-9.-]{1,64}))?/?$"
)


@dataclass(frozen=True)
class Location:
    """The parts of a Location header: the URL as resolved against the base, type, id, version."""

    url: str
    type: str
    id: str
    version: str | None


def parse_location(url: str) -> Location | None:
    """Read an absolute Location URL as [base]/[type]/[id]/_history/[vid], or return None."""
    match = LOCATION_TAIL.search(urlsplit(url).path)
    return None if match is None else Location(url, match["type"], match["id"], match["vid"])


def path_under(url: str, bases: Sequence[str]) -> str | None:
    """Return the path of an absolute URL below one of the bases, or None when it is under none of them."""
    for base in bases:
        prefix = _origin_and_path(base).rstrip("/") + "/"
        full = _origin_and_path(url)
        if full.startswith(prefix):
            return full[len(prefix) :]
    return None


def _origin_and_path(url: str) -> str:
    """Normalise a URL for comparison: scheme and host lower-cased, default port and userinfo dropped."""
    return _origin(url) + urlsplit(url).path


def _origin(url: str) -> str:
    """Return a URL's scheme, host and port, normalised (scheme and host lower-cased, the default port dropped)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = "" if parts.port in (None, default) else f":{parts.port}"
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}{port}"


def probe(client: FhirClient) -> dict[str, Any]:
    """Fetch the CapabilityStatement, or raise EndpointError saying in one line why there is none."""
    exchange = client.get("metadata")
    if not exchange.answered:
        raise EndpointError(f"cannot reach {redact_url(client.base_url)}: {exchange.error}")
    if exchange.status in (401, 403):
        raise EndpointError(
            f"{exchange.url} answered {exchange.status}: the server refused the request's credentials "
            "(give them with --header)"
        )
    statement = exchange.resource
    if exchange.status != 200 or statement is None or statement["resourceType"] != "CapabilityStatement":
        kind = exchange.header("content-type") or "no content type"
        raise EndpointError(
            f"{redact_url(client.base_url)} is not a FHIR endpoint: GET {exchange.url} answered {exchange.status} "
            f"({kind}) without a CapabilityStatement"
        )
    return statement


def _merged(base: Sequence[tuple[str, str]], extra: Mapping[str, str]) -> list[tuple[str, str]]:
    """Merge request headers; an extra header replaces any base header of the same name."""
    replaced = {name.lower() for name in extra}
    return [(k, v) for k, v in base if k.lower() not in replaced] + list(extra.items())


@cache
def _tls() -> ssl.SSLContext:
    """Return the one TLS context every client shares (building one costs tens of milliseconds)."""
    return httpx.create_ssl_context()


def _no_answer(error: httpx.HTTPError, timeout: float) -> str:
    """Say in a few words why a request got no answer."""
    if isinstance(error, httpx.TimeoutException):
        return f"{type(error).__name__} after {timeout:g} s"
    return f"{type(error).__name__}: {error}"


def _shown(body: bytes) -> str:
    """Return a body as text for a transcript, cut when very long."""
    return shown(body.decode("utf-8", "replace"))


def shown(text: str) -> str:
    """Return a text as people are shown it, cut when very long."""
    if len(text) <= TRANSCRIPT_BODY_LIMIT:
        return text
    return text[:TRANSCRIPT_BODY_LIMIT] + f"\n... ({len(text) - TRANSCRIPT_BODY_LIMIT} more characters)"
