"""A create the suite expects refused, and the subjects its cases check; an absent subject names its requirement."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from conformance import checks, fhirjson
from conformance.client import Exchange, FhirClient
from conformance.concurrency import made_once
from conformance.created import ID, LOCATION, READABLE, SUCCEEDED, Created
from conformance.resources import TYPES, Run, marker_identifier, token

OUTCOME = "reject.outcome.present"
ISSUE_TYPE = "reject.outcome.issue-type"
NOTHING_STORED = "reject.stored.none"
NO_SERVER_ERROR = "reject.server-error.none"
KEPT_ID = "reject.id.respected"
CLIENT_ERRORS = tuple(range(400, 500))
# Identifiers per search when many refusals are searched for together: a URL of about 2 KB.
CHUNK = 20


def as_json(resource: dict[str, Any]) -> bytes:
    """Write a resource as FHIR JSON."""
    return fhirjson.dumps(resource).encode("utf-8")


def nothing_to_skip(capabilities: Mapping[str, Any]) -> str | None:
    """Apply to every server."""
    return None


@dataclass(frozen=True)
class Attempt:
    """A create the suite expects refused: what it sends, and the requirements a wrong answer breaks.

    An acceptance, or no answer, breaks ``refused`` (``unclaimed`` instead where the profile makes no validation
    claim). Without ``status`` the same requirement asks for one of ``statuses``; with it, the exact status is a
    requirement of its own. ``statuses`` None: the invalid status the profile claims.
    """

    name: str
    description: str
    refused: str
    body: Callable[[dict[str, Any]], bytes] = as_json  # made from a fresh marked sample
    type: str = "Patient"  # the type in the URL
    sample: str = ""  # the type of the sample the body is made from (default: the URL's)
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    statuses: tuple[int, ...] | None = (400,)
    status: str | None = None
    unclaimed: str | None = None
    outcome: str = OUTCOME
    issue_type: str | None = ISSUE_TYPE  # None: no case of the outcome's issue codes
    stored: str = NOTHING_STORED
    server_error: str = NO_SERVER_ERROR
    tolerates_5xx: bool = True  # R4 http.html#create: "servers may also return 5xx errors in these cases"
    may_accept: bool = False  # processing the request is an answer the requirement allows
    searchable: bool = True  # what a server kept of the body can be found by the identifier it carries
    baseline: Attempt | None = None  # an attempt whose answer this one must repeat
    reuses: str | None = None  # a create (resources.VARIANTS) whose client id the body takes again
    skip: Callable[[Mapping[str, Any]], str | None] = nothing_to_skip  # a reason the server's statement gives

    @property
    def refusals(self) -> tuple[str, ...]:
        """Return the requirements an acceptance breaks: with the validation claim, and without it."""
        return (self.refused, self.unclaimed) if self.unclaimed else (self.refused,)

    @property
    def needs(self) -> tuple[str, ...]:
        """Return what every case of the attempt needs: the create whose client id it takes again, if any."""
        return (SUCCEEDED, LOCATION, READABLE, ID, KEPT_ID) if self.reuses else ()


class Refusal:
    """One attempt as sent: the body's resource, the answer, and what later requests found."""

    def __init__(
        self,
        attempt: Attempt,
        sent: dict[str, Any],
        exchange: Exchange,
        run: Run,
        refused_by: str,
        invalid_statuses: tuple[int, ...],
        findable: Callable[[str], None],
        baseline: Refusal | None = None,
        first: Created | None = None,
    ) -> None:
        self.attempt = attempt
        self.findable = findable  # skips unless a search of a type by identifier finds what the run created
        self.sent = sent
        self.exchange = exchange
        self.run = run
        self.refused_by = refused_by  # the requirement an acceptance breaks on this server
        self.invalid_statuses = invalid_statuses  # what the profile claims for invalid content
        self.baseline = baseline
        self.first = first
        self.exchanges = [exchange]

    @property
    def client(self) -> FhirClient:
        """Return the client the attempt was sent with."""
        return self.run.client

    @property
    def answer(self) -> Exchange:
        """Return the answer, provided the create whose client id the attempt takes again kept that id."""
        if self.first is not None:
            kept_id = self.first.id
            checks.equal(
                "id of the create sent with a client id", self.sent["id"], kept_id, self.first.exchange, KEPT_ID
            )
        return self.exchange

    @property
    def may_accept(self) -> bool:
        """Tell whether processing the request is an answer allowed here (as the baseline's was, if it has one)."""
        baseline = self.baseline.exchange if self.baseline is not None else None
        return self.attempt.may_accept or (baseline is not None and 200 <= baseline.status < 300)

    @property
    def refusal(self) -> Exchange:
        """Return the answer, provided the server refused the request (else nothing else can be checked)."""
        answer = self.answer
        if self.may_accept and 200 <= answer.status < 300:
            checks.not_applicable(f"the server processed the request ({answer.status}), as it may")
        if answer.status < 400:
            checks.fail("a refusal (a 4xx)", checks.received_status(answer), answer, self.refused_by)
        return answer

    @property
    def expected(self) -> tuple[int, ...]:
        """Return the statuses expected: the baseline's, those the attempt names, or the claimed invalid status."""
        if self.baseline is not None:
            return (self.baseline.answer.status,)
        return self.attempt.statuses or self.invalid_statuses

    @property
    def outcome(self) -> dict[str, Any]:
        """Return the OperationOutcome the refusal carries (R4 http.html#create: it SHOULD carry one)."""
        refusal = self.refusal
        resource = refusal.resource
        if resource is None or resource["resourceType"] != "OperationOutcome":
            checks.fail("an OperationOutcome body", checks.body_kind(refusal), refusal, self.attempt.outcome)
        return resource

    @property
    def identifier(self) -> dict[str, Any]:
        """Return the run-unique identifier the body carries (the marker system's)."""
        return marker_identifier(self.sent)

    @property
    def searched(self) -> tuple[str, ...]:
        """Return the types the body could be stored as: the URL's, and the body's own."""
        return tuple(dict.fromkeys(t for t in (self.attempt.type, self.sent["resourceType"]) if t in TYPES))

    @made_once
    def kept(self) -> list[str]:
        """Search every type the body could be stored as for its identifier; return what the server kept."""
        kept = []
        for rtype in self.searched:
            search = self.record(self.client.search(rtype, {"identifier": token(self.identifier)}))
            if search.status != 200 or search.resource is None:
                checks.not_applicable(f"a search of {rtype} by identifier answered {checks.received_status(search)}")
            kept += self.kept_in(rtype, search.resource)
        return kept

    def kept_in(self, rtype: str, bundle: Mapping[str, Any]) -> list[str]:
        """Return the resources of a search result that carry the body's identifier, and have the cleanup delete
        them."""
        found = [e.get("resource") or {} for e in bundle.get("entry", [])]
        # A server that ignores the parameter answers with everything: only the body's own identifier counts.
        own = self.identifier
        ids = [r["id"] for r in found if own in (r.get("identifier") or []) and isinstance(r.get("id"), str)]
        self.run.created.update(dict.fromkeys((rtype, i) for i in ids))
        return [f"{rtype}/{i}" for i in ids]

    def record(self, exchange: Exchange) -> Exchange:
        """Keep a follow-up exchange with this refusal, for transcripts."""
        self.exchanges.append(exchange)
        return exchange


def kept_together(refusals: Sequence[Refusal]) -> list[Callable[[], object]]:
    """Return calls that find what many refusals of one type left behind: one search per type and CHUNK of their
    identifiers (a comma is an OR, R4 search.html#combining), instead of one search per refusal."""
    chunks: dict[str, list[Refusal]] = {}
    calls: list[Callable[[], object]] = []
    for refusal in refusals:
        if len(refusal.searched) != 1:  # what the body could be stored as takes searches of its own
            calls.append(partial(getattr, refusal, "kept"))
            continue
        chunk = chunks.setdefault(refusal.searched[0], [])
        chunk.append(refusal)
        if len(chunk) == CHUNK:
            calls.append(partial(_search_together, chunks.pop(refusal.searched[0])))
    return calls + [partial(_search_together, chunk) for chunk in chunks.values()]


def _search_together(refusals: Sequence[Refusal]) -> None:
    """Search for the identifiers of refusals of one type at once; each refusal then knows what was kept of it,
    unless the answer cannot settle it (not a searchset, or paged), when each searches alone as it is judged."""
    rtype = refusals[0].searched[0]
    tokens = ",".join(token(r.identifier) for r in refusals)  # a run-unique value holds no comma
    search = refusals[0].client.search(rtype, {"identifier": tokens})
    bundle = search.resource
    if search.status != 200 or bundle is None or _paged(bundle):
        return
    for refusal in refusals:
        refusal.record(search)
        made_once.preset(refusal, "kept", refusal.kept_in(rtype, bundle))


def _paged(bundle: Mapping[str, Any]) -> bool:
    """Tell whether a search result holds more matches than its page shows."""
    links = bundle.get("link") or []
    total = bundle.get("total")
    entries = bundle.get("entry") or []
    return any(isinstance(k, dict) and k.get("relation") == "next" for k in links) or (
        isinstance(total, int) and total > len(entries)
    )


def refused(r: Refusal) -> None:
    """The request is refused: a 4xx, or a 5xx where R4 tolerates one (the no-5xx case charges it)."""
    checks.refusal_status(r.answer, CLIENT_ERRORS, r.attempt.tolerates_5xx)


def status(r: Refusal) -> None:
    """The answer has a status expected of it (a 2xx only where processing the request is allowed)."""
    answer = r.answer
    if r.attempt.status is not None:
        answer = r.refusal  # the exact status of a refusal, once there is one
    if not (r.may_accept and 200 <= answer.status < 300):
        checks.refusal_status(answer, r.expected, r.attempt.tolerates_5xx)


def issue_codes(r: Refusal) -> None:
    """An issue of the OperationOutcome has a severity and a code from the R4 value sets."""
    # operationoutcome-definitions.html binds "the system that creates an OperationOutcome": a refusal
    # without one (which the outcome case grades) leaves nothing to check, as a missing ETag does.
    answer = r.answer
    outcome = answer.resource if answer.status >= 400 else None
    if outcome is None or outcome["resourceType"] != "OperationOutcome":
        checks.not_applicable("the answer is no refusal with an OperationOutcome (see the outcome case)")
    checks.issue_codes(answer, outcome)


def nothing_stored(r: Refusal) -> None:
    """No resource carrying the refused body's identifier exists afterwards, as a search shown to find what was
    stored says."""
    refusal = r.refusal
    kept = r.kept
    if kept:
        checks.fail(f"nothing stored after a {refusal.status}", f"{', '.join(kept)} stored", r.exchanges[-1])
    for rtype in r.searched:
        r.findable(rtype)


def unfindable(created: Created) -> str | None:
    """Return why a search by identifier cannot show what a create left behind, or None: it finds a resource the
    run created (a search that finds nothing at all, such as one whose index lags behind writes, would find
    nothing after a refusal either, and prove nothing)."""
    try:
        made = created.id
    except checks.ConformanceFailure as failure:
        return f"no {created.type} the run created to search for ({failure.requirement} failed)"
    search = created.record(created.client.search(created.type, {"identifier": token(marker_identifier(created.sent))}))
    entries = (search.resource or {}).get("entry") if search.status == 200 else None
    found = [entry.get("resource") or {} for entry in entries or [] if isinstance(entry, dict)]
    if made not in [resource.get("id") for resource in found if isinstance(resource, dict)]:
        return (
            f"a search of {created.type} by identifier does not find the {created.type} the run created "
            f"({checks.received_status(search)}, {len(found)} found), so finding nothing proves nothing"
        )
    return None


def no_server_error(r: Refusal) -> None:
    """The answer is not a 5xx."""
    checks.below_500(r.answer)
