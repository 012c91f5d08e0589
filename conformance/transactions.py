"""Transaction flows: Bundles of marked creates POSTed to the base, linked by urn:uuid placeholders and
ifNoneExist conditions on the run's own identifiers (FHIR R4 http.html#transaction, #trules)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance import checks
from conformance.client import Exchange, Location, parse_location, path_under
from conformance.conditional import Context
from conformance.created import Created
from conformance.identities import OTHER, OWN
from conformance.resources import MARKER_SYSTEM, Marker, Run, sample

BUNDLE = "tx.response.bundle"
SEARCH = "ccreate.search.standard"  # the counting search by the run's identifier
ENTRY = "tx.response.entry"
XHTML = "http://www.w3.org/1999/xhtml"
EXTENSION = "https://example.org/fhir/StructureDefinition"


@dataclass(frozen=True)
class Links:
    """The placeholders of one Bundle, and the run-unique identifier values of its two resources."""

    patient: str  # the Patient entry's fullUrl (urn:uuid)
    observation: str
    patient_value: str
    observation_value: str

    @staticmethod
    def new(run: Run) -> Links:
        """Return fresh placeholders and identifier values."""
        return Links(f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}", run.serial(), run.serial())


def entry(resource: dict[str, Any], full_url: str, **request: str) -> dict[str, Any]:
    """Return a POST entry of a transaction; `request` adds to its request (ifNoneExist, or another url)."""
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"], **request},
    }


def condition(marker: Marker, serial: str) -> str:
    """Return the ifNoneExist naming a run-unique identifier: identifier=system|value."""
    return f"identifier={MARKER_SYSTEM}|{marker.code}-{serial}"


def patient(marker: Marker, links: Links, conditional: bool = True, **request: str) -> dict[str, Any]:
    """Return the Patient entry, conditional on its own identifier unless told otherwise."""
    if conditional:
        request = {"ifNoneExist": condition(marker, links.patient_value), **request}
    return entry(sample("Patient", marker, links.patient_value), links.patient, **request)


def observation(marker: Marker, links: Links, **elements: Any) -> dict[str, Any]:
    """Return the Observation entry, its subject the Patient's placeholder, with the other elements given."""
    resource = {**sample("Observation", marker, links.observation_value), "subject": {"reference": links.patient}}
    return entry({**resource, **elements}, links.observation)


def linked_everywhere(links: Links) -> dict[str, Any]:
    """Return Observation elements naming the Patient's placeholder in each kind R4 #trules lists."""
    urn = links.patient
    div = f'<div xmlns="{XHTML}"><a href="{urn}">patient</a> <img src="{urn}" alt="patient"/></div>'
    extension = [
        {"url": f"{EXTENSION}/source-uri", "valueUri": urn},
        {"url": f"{EXTENSION}/source-url", "valueUrl": urn},
        {"url": f"{EXTENSION}/source-canonical", "valueCanonical": urn},
    ]
    return {"text": {"status": "generated", "div": div}, "extension": extension}


def bundle(*entries: dict[str, Any]) -> dict[str, Any]:
    """Return a transaction Bundle of the entries."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def _linked(marker: Marker, links: Links) -> dict[str, Any]:
    return bundle(patient(marker, links), observation(marker, links, **linked_everywhere(links)))


def _versioned(marker: Marker, links: Links) -> dict[str, Any]:
    subject = {"reference": f"{links.patient}/_history/1"}  # a version-specific link to the entry
    return bundle(patient(marker, links), observation(marker, links, subject=subject))


def _pair(marker: Marker, links: Links) -> dict[str, Any]:
    return bundle(patient(marker, links), observation(marker, links))


def _rollback(marker: Marker, links: Links) -> dict[str, Any]:
    """The Patient first; then another Patient POSTed to Observation, which the server refuses."""
    refused = entry(sample("Patient", marker, links.observation_value), links.observation, url="Observation")
    return bundle(patient(marker, links, conditional=False), refused)


def _miscased(marker: Marker, links: Links) -> dict[str, Any]:
    """A Patient whose request spells IfNoneExist: not the element ifNoneExist (JSON names are case-sensitive)."""
    return bundle(patient(marker, links, conditional=False, IfNoneExist=condition(marker, links.patient_value)))


@dataclass(frozen=True)
class Plan:
    """One transaction flow: Patients with its identifier made first, its Bundle, and how often it is sent."""

    bundle: Callable[[Marker, Links], dict[str, Any]]
    seeds: int = 0
    times: int = 1
    conditional: bool = True  # an entry carries ifNoneExist
    identity: str = OWN  # who makes the seeds and sends the Bundle (identities.identities)
    # Patients with the Patient entry's identifier that the run's own identity makes first: in another tenant than
    # the sender's, so the entry's ifNoneExist must not match them.
    foreign: int = 0


PLANS = {
    "links": Plan(_linked),
    "versioned-link": Plan(_versioned),
    "rerun": Plan(_pair, times=2),
    "multiple-matches": Plan(_pair, seeds=2),
    "rollback": Plan(_rollback, conditional=False),
    "miscased": Plan(_miscased, seeds=1, conditional=False),
    # The second tenant's Patient entry is conditional on what only this tenant holds, then on its own one Patient
    # beside this tenant's two (hapi-fhir #8270: a partitioned conditional create in a Bundle answered 412).
    "other-tenant-no-match": Plan(_pair, identity=OTHER, foreign=1),
    "other-tenant-one-match": Plan(_pair, seeds=1, identity=OTHER, foreign=2),
}


class Transaction:
    """One transaction flow, run at once: the Patients made first, the Bundle sent, the counts after."""

    def __init__(self, run: Run, plan: Plan, context: Context, bases: Sequence[str], claims: Mapping[str, Any]) -> None:
        self.client = run.client
        self.bases = tuple(bases)  # the server's own bases: an absolute link on one of them names a resource
        self.claims = claims  # what the profile claims (how a miscased ifNoneExist may be answered)
        self.context = context
        self.links = Links.new(run)
        marker, links = run.marker, self.links
        self.foreign = self._seed(context.own, plan.foreign)
        self.seeds = self._seed(run, plan.seeds)
        self.sent = plan.bundle(marker, links)
        self.responses = [run.transact(self.sent) for _ in range(plan.times)]
        values = {"Patient": links.patient_value, "Observation": links.observation_value}
        self.counts = {kind: run.count(kind, f"{marker.code}-{serial}") for kind, serial in values.items()}
        self.identifiers = {
            kind: {"system": MARKER_SYSTEM, "value": f"{marker.code}-{v}"} for kind, v in values.items()
        }
        self.reads: dict[int, Exchange] = {}
        made = (e for s in (*self.foreign, *self.seeds) for e in s.exchanges)
        self.exchanges = [*made, *self.responses, *self.counts.values()]

    def _seed(self, run: Run, count: int) -> list[Created]:
        """Make Patients carrying the Patient entry's identifier first, as the run's identity."""
        return self.context.seed(run, [sample("Patient", run.marker, self.links.patient_value) for _ in range(count)])

    @property
    def response(self) -> Exchange:
        """Return the answer to the (last) POST of the Bundle."""
        return self.responses[-1]

    def sibling(self, name: str) -> Transaction:
        """Return another transaction flow, run on first use."""
        transaction: Transaction = self.context.sibling(name)
        return transaction

    def made(self) -> int:
        """Return how many Patients the sender made first, provided the server created every one the flow made."""
        self.context.seeded(*self.foreign, *self.seeds)
        return len(self.seeds)

    def entries(self, which: int = -1) -> list[dict[str, Any]]:
        """Return the entries of a 200 transaction-response Bundle, one per entry sent (R4 #transaction-response)."""
        exchange = self.responses[which]
        checks.status(exchange, 200, requirement=BUNDLE)
        body = exchange.resource or {}
        if body.get("resourceType") != "Bundle" or body.get("type") != "transaction-response":
            checks.fail("a transaction-response Bundle", checks.body_kind(exchange), exchange, BUNDLE)
        found, sent = body.get("entry", []), self.sent["entry"]
        if not isinstance(found, list) or len(found) != len(sent):
            checks.fail(f"{len(sent)} entries, one per entry sent", str(len(found)), exchange, BUNDLE)
        for index, (answer, asked) in enumerate(zip(found, sent, strict=True)):
            # In the same order: an entry's location, where it has one, names the type its request created.
            kind = asked["resource"]["resourceType"]
            where = parse_location(self.client.url(str(((answer or {}).get("response") or {}).get("location", ""))))
            if where is not None and where.type != kind:
                checks.fail(f"entry[{index}] about the {kind} sent", f"one about {where.type}", exchange, BUNDLE)
        return found

    def outcome(self, index: int, which: int = -1) -> dict[str, Any]:
        """Return the response element of one entry of a transaction-response."""
        response = (self.entries(which)[index] or {}).get("response")
        if not isinstance(response, dict):
            checks.fail(f"entry[{index}].response", "none", self.responses[which], ENTRY)
        return response

    def status(self, index: int, which: int = -1) -> str:
        """Return entry[index].response.status: '201 Created', '200 OK'."""
        return str(self.outcome(index, which).get("status", ""))

    def answered(self, index: int, expected: str, requirement: str | None = None, why: str = "") -> None:
        """entry[index].response.status of the last send is the one expected ('201', '200'), for the reason given."""
        status = self.status(index)
        if not status.startswith(expected):
            reason = f" ({why})" if why else ""
            checks.fail(f"entry[{index}].response.status {expected}{reason}", repr(status), self.response, requirement)

    def location(self, index: int, which: int = -1) -> Location:
        """Return entry[index].response.location read as [type]/[id]/_history/[vid] (R4 #transaction-response)."""
        value = self.outcome(index, which).get("location")
        parts = parse_location(self.client.url(value)) if isinstance(value, str) else None
        if parts is None:
            checks.fail(
                f"entry[{index}].response.location naming [type]/[id]", repr(value), self.responses[which], ENTRY
            )
        return parts

    def stored(self, index: int) -> dict[str, Any]:
        """Return the resource an entry stored, as a read of its location's type and id returns it."""
        where = self.location(index)
        if index not in self.reads:
            self.reads[index] = self.client.get(f"{where.type}/{where.id}")
            self.exchanges.append(self.reads[index])
        read = self.reads[index]
        if read.status != 200 or read.resource is None or read.resource["resourceType"] != where.type:
            received = checks.received_status(read) if read.status != 200 else checks.body_kind(read)
            checks.fail(f"the {where.type} entry[{index}] stored", received, read, ENTRY)
        return read.resource

    def target(self, index: int, versioned: bool = False) -> str:
        """Return Type/id (with /_history/vid if asked) of the resource an entry stored or matched."""
        where = self.location(index)
        if not versioned:
            return f"{where.type}/{where.id}"
        version = where.version or checks.etag_version(str(self.outcome(index).get("etag") or ""))
        return f"{where.type}/{where.id}/_history/{version or checks.not_applicable('no version in location or etag')}"

    def expect_link(self, what: str, link: object, source: int, index: int, versioned: bool = False) -> None:
        """A link in what entry[source] stored names what entry[index] stored: Type/id, relative or absolute."""
        target = self.target(index, versioned)
        if link != target and (not isinstance(link, str) or path_under(self.client.url(link), self.bases) != target):
            checks.fail(f"{what} naming {target}", repr(link), self.reads[source])

    def rematched(self, requirement: str) -> None:
        """Sent again, the conditional Patient entry matched what the first send stored: 200, the same id."""
        self.answered(0, "200", requirement, "the Patient matched")
        checks.equal(
            "the Patient matched", self.location(0, which=0).id, self.location(0).id, self.response, requirement
        )

    def counted(self, resource_type: str, expected: int, requirement: str | None = None) -> None:
        """As many resources of the type as expected carry the flow's identifier after the Bundle was sent."""
        found = checks.matching(self.counts[resource_type], resource_type, self.identifiers[resource_type], SEARCH)
        checks.equal(
            f"{resource_type} resources with the identifier", expected, found, self.counts[resource_type], requirement
        )
        if not found:
            self.context.findable(resource_type)
