"""Conditional-create flows: make resources that share a run-unique identifier, count them, send a
conditional create, count again (FHIR R4 http.html#ccreate). Every condition names only the run's markers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from conformance import checks
from conformance.client import Exchange, FhirClient
from conformance.created import DISTINCT, ID, KEPT, LOCATION, READABLE, SUCCEEDED, VERSION_ID, Created
from conformance.identities import OTHER, OWN
from conformance.resources import MARKER_SYSTEM, Run, sample

SEARCH = "ccreate.search.standard"
ONE = "ccreate.match.one"
MULTIPLE = "ccreate.match.multiple"
BODY = "ccreate.match.body"
QUERY = "ccreate.query.form"
# What a sequence of requests relies on: the type's plain creates answer 201, can be read, get ids of their
# own and are kept (test_create and test_new_resource verify these; here they are needs).
SOUND = (SUCCEEDED, LOCATION, READABLE, ID, VERSION_ID, DISTINCT, KEPT)
# General parameters of every interaction (R4 http.html): the query form sends them beside the
# condition, and a server that took them for search criteria would match nothing.
GENERAL = {"_format": "json", "_pretty": "true"}


@dataclass(frozen=True)
class Marks:
    """The run-unique values of one flow: the identifier value its resources share, and two names."""

    value: str
    name: str
    other_name: str

    @property
    def identifier(self) -> str:
        """Return the identifier condition: identifier=system|value."""
        return f"identifier={MARKER_SYSTEM}|{self.value}"

    @property
    def coding(self) -> dict[str, str]:
        """Return the identifier the flow's resources carry."""
        return {"system": MARKER_SYSTEM, "value": self.value}


@dataclass(frozen=True)
class Plan:
    """How one flow runs: how many resources it makes first, its condition, and how it sends it."""

    seeds: int
    condition: Callable[[Marks], str] = lambda m: m.identifier
    query: bool = False  # POST [type]?condition (Aidbox) rather than If-None-Exist
    headers: Mapping[str, str] = field(default_factory=dict)
    judge: str | None = None  # the flow whose answer tells whether conditions are evaluated at all
    counterpart: str | None = None  # the run's own If-None-Exist flow with the outcome this one shares
    identity: str = OWN  # who makes the seeds and sends the conditional create (identities.identities)
    # Resources with the flow's identifier that the run's own identity makes first: in another tenant than the
    # sender's, so its condition must not match them.
    foreign: int = 0


PLANS = {
    "no-match": Plan(0),
    "one-match": Plan(1),
    "one-match-prefer-minimal": Plan(1, headers={"Prefer": "return=minimal"}),
    "one-match-prefer-representation": Plan(1, headers={"Prefer": "return=representation"}),
    "one-match-prefer-outcome": Plan(1, headers={"Prefer": "return=OperationOutcome"}),
    "multiple-matches": Plan(2, judge="one-match"),
    "two-parameters": Plan(1, lambda m: f"{m.identifier}&name={m.name}"),
    "two-parameters-unmatched": Plan(1, lambda m: f"{m.identifier}&name={m.other_name}"),
    "name": Plan(1, lambda m: f"name={m.name}"),
    # One resource made first: a server that took an empty condition for "everything" shows it.
    "empty-condition": Plan(1, lambda m: ""),
    "ampersand-condition": Plan(1, lambda m: "&"),
    "query-no-match": Plan(0, query=True, counterpart="no-match"),
    "query-one-match": Plan(1, query=True, counterpart="one-match"),
    "query-multiple-matches": Plan(2, query=True, judge="query-one-match", counterpart="multiple-matches"),
    # The second tenant's condition names what only this tenant holds: it matches nothing of the sender's own.
    "other-tenant-no-match": Plan(0, judge="one-match", counterpart="no-match", identity=OTHER, foreign=1),
    # The second tenant holds one resource, this tenant two more: its condition matches its own one.
    "other-tenant-one-match": Plan(1, counterpart="one-match", identity=OTHER, foreign=2),
}


@dataclass(frozen=True)
class Context:
    """What a sequence asks of the suite: to keep a create it made, its sibling sequences, sound creates, the run's
    own identity (beside whose resources another identity's sequence is sent), and a search by identifier shown to
    find what the run created (else a count of none proves nothing)."""

    made: Callable[[dict[str, Any], Exchange, str, FhirClient], Created]
    sibling: Callable[[str], Any]
    sound: Callable[[], None]
    own: Run
    findable: Callable[[str], None]

    def seed(self, run: Run, resources: Iterable[dict[str, Any]]) -> list[Created]:
        """Create the resources a sequence makes before its conditional request, as the Run's identity."""
        return [self.made(sent, run.send(sent), SUCCEEDED, run.client) for sent in resources]

    def seeded(self, *seeds: Created) -> None:
        """The plain creates a sequence rests on are sound, and the server created every resource it made first."""
        self.sound()
        for seed in seeds:
            checks.success(seed.exchange, SUCCEEDED)


class Flow:
    """One flow, run at once: the resources made first, the counts around the conditional create, its answer."""

    def __init__(self, run: Run, resource_type: str, plan: Plan, context: Context) -> None:
        self.type = resource_type
        self.plan = plan
        self.context = context
        self._serial = run.serial()
        code = run.marker.code
        # Names end in a letter: a string search matches from the start, and serial 1 must not find 10.
        self.marks = Marks(f"{code}-{self._serial}", f"{code}{self._serial}x", f"{code}{self._serial}y")
        self.foreign = context.seed(context.own, (self._resource(run) for _ in range(plan.foreign)))
        self.seeds = context.seed(run, (self._resource(run) for _ in range(plan.seeds)))
        self.counts = [run.count(resource_type, self.marks.value)]
        self.sent = self._resource(run)
        self.response = self._send(run)
        self.counts.append(run.count(resource_type, self.marks.value))
        made = (e for s in (*self.foreign, *self.seeds) for e in s.exchanges)
        self.exchanges = [*made, *self.counts, self.response]

    def _resource(self, run: Run) -> dict[str, Any]:
        """Return a marked sample carrying the flow's identifier value (and, on a Patient, its name)."""
        resource = sample(self.type, run.marker, self._serial)
        if self.type == "Patient":
            resource["name"] = [{"use": "official", "family": self.marks.name, "given": ["Zoë"]}]
        return resource

    def _send(self, run: Run) -> Exchange:
        """Send the conditional create: in If-None-Exist, or (query form) in the URL beside _format and _pretty."""
        if self.plan.query:
            return run.send(self.sent, self.plan.headers, {**dict(parse_qsl(self.condition)), **GENERAL})
        return run.send(self.sent, {**self.plan.headers, "If-None-Exist": self.condition})

    @property
    def condition(self) -> str:
        """Return the condition as sent."""
        return self.plan.condition(self.marks)

    @property
    def seed(self) -> Created:
        """Return the resource made first (the one a condition matches), provided the server created it."""
        self._made()
        return self.seeds[0]

    def _made(self) -> int:
        """Return how many resources the sender made first, provided the server created every one the flow made."""
        self.context.seeded(*self.foreign, *self.seeds)
        return len(self.seeds)

    @cached_property
    def before(self) -> int:
        """Return how many resources carry the flow's identifier before the conditional create."""
        made = self._made()
        found = checks.matching(self.counts[0], self.type, self.marks.coding, SEARCH)
        if found != made:
            checks.fail(f"the search to find the {made} {self.type} made", str(found), self.counts[0], SEARCH)
        return found

    @cached_property
    def after(self) -> int:
        """Return how many resources carry the flow's identifier after the conditional create."""
        return checks.matching(self.counts[1], self.type, self.marks.coding, SEARCH)

    def evaluated(self) -> None:
        """The condition was evaluated: a create that matched is not processed as a plain create (201, one more)."""
        self.context.sound()
        judge = self.sibling(self.plan.judge) if self.plan.judge else self
        if judge.response.status == 201 and judge.after > judge.before:
            received = f"201 and a new {self.type} beside the {judge.before} it matches"
            checks.fail(f"the condition {judge.condition} to be evaluated", received, judge.response, judge.requirement)

    @property
    def requirement(self) -> str:
        """Return what evaluating this flow's condition verifies: the search (If-None-Exist) or the query form."""
        return QUERY if self.plan.query else SEARCH

    @property
    def matched(self) -> Exchange:
        """Return the conditional create's answer, once its condition is known to be evaluated."""
        self.evaluated()
        return self.response

    @property
    def answer(self) -> Exchange:
        """Return the conditional create's answer, once the type's plain creates are known sound."""
        self.context.sound()
        return self.response

    def sibling(self, name: str) -> Flow:
        """Return another flow of the type, run on first use."""
        flow: Flow = self.context.sibling(name)
        return flow

    @property
    def counterpart(self) -> Flow:
        """Return the run's own If-None-Exist flow this one shares its outcome with."""
        return self.sibling(self.plan.counterpart or "")

    def creates(self, requirement: str) -> None:
        """The conditional create was processed as a create: 201, and one more resource carries the identifier."""
        checks.status(self.answer, 201, requirement=requirement)
        self.grew(1, requirement)

    def grew(self, by: int, requirement: str) -> None:
        """After the conditional create, `by` more resources carry the flow's identifier than before."""
        if self.after != self.before + by:
            expected = f"{self.before + by} {self.type} with identifier {self.marks.value} after the create"
            checks.fail(expected, str(self.after), self.response, requirement)

    def unchanged(self, requirement: str) -> None:
        """The condition was evaluated, and no resource was added by the create it matched."""
        self.evaluated()
        self.grew(0, requirement)

    def found(self, requirement: str) -> dict[str, Any] | None:
        """Return the matched answer's body when it is a resource of the type, provided it is the matched one."""
        body = self.matched.resource
        if body is None or body["resourceType"] != self.type:
            return None
        checks.equal(f"{self.type}.id of the body", self.seed.id, body.get("id"), self.response, requirement)
        version = (body.get("meta") or {}).get("versionId")
        if version is not None:
            checks.equal(
                f"{self.type}.meta.versionId of the body", self.seed.version_id, version, self.response, requirement
            )
        return body
