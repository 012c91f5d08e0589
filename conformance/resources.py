"""Run-scoped test resources: every one carries this run's marker, and the run deletes what it made."""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from conformance.client import FHIR_JSON, Exchange, FhirClient, parse_location
from conformance.concurrency import Pool

# The suite's own identifier and tag system: it searches by nothing else (run safety, DESIGN.md).
MARKER_SYSTEM = "https://example.org/fhir-create-conformance/run"
TYPES = ("Patient", "Observation", "Encounter", "Condition", "MedicationRequest", "Practitioner", "Organization")


@dataclass(frozen=True)
class Marker:
    """A run-unique tag and identifier system value put on every resource the run creates."""

    code: str = field(default_factory=lambda: f"run-{uuid.uuid4().hex[:16]}")

    @property
    def tag(self) -> dict[str, str]:
        """Return the meta.tag coding of this run."""
        return {"system": MARKER_SYSTEM, "code": self.code}

    def marks(self, resource: Mapping[str, Any]) -> bool:
        """Tell whether a resource carries this run's tag (and so is the run's own)."""
        return self.tag in (resource.get("meta") or {}).get("tag", []) and isinstance(resource.get("id"), str)

    @property
    def search(self) -> dict[str, str]:
        """Return the search parameters that find this run's resources, and only them."""
        return {"_tag": f"{MARKER_SYSTEM}|{self.code}"}


def _subject(marker: Marker) -> dict[str, Any]:
    """Return a logical reference (by identifier), so servers that check referential integrity accept it."""
    return {"identifier": {"system": MARKER_SYSTEM, "value": f"{marker.code}-subject"}, "display": "Zoë Ångström"}


def _score(value: str) -> list[dict[str, Any]]:
    """Return an extension carrying a decimal whose trailing zero is significant."""
    return [{"url": "https://example.org/fhir/StructureDefinition/score", "valueDecimal": Decimal(value)}]


SAMPLES: Mapping[str, Callable[[Marker], dict[str, Any]]] = {
    "Patient": lambda m: {
        "active": True,
        "gender": "female",
        "birthDate": "1970-01-31",
        "name": [{"use": "official", "family": "Ångström", "given": ["Zoë", "Ann"]}],
        "telecom": [{"system": "phone", "value": "+1 555 0100", "use": "home"}],
        "extension": [
            {"url": "https://example.org/fhir/StructureDefinition/shoe-size", "valueDecimal": Decimal("9.50")}
        ],
    },
    "Observation": lambda m: {
        "status": "final",
        "subject": _subject(m),
        "effectiveDateTime": "2026-11-21T08:06:27+01:00",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
        "valueQuantity": {"value": Decimal("71.50"), "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    },
    "Encounter": lambda m: {
        "status": "finished",
        "subject": _subject(m),
        "period": {"start": "2026-11-20T09:00:00Z"},
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
        "extension": _score("0.50"),
    },
    "Condition": lambda m: {
        "subject": _subject(m),
        "recordedDate": "2026-11-20",
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
        },
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003", "display": "Hypertension"}]},
        "extension": _score("3.10"),
    },
    "MedicationRequest": lambda m: {
        "status": "active",
        "intent": "order",
        "subject": _subject(m),
        "authoredOn": "2026-11-20",
        "medicationCodeableConcept": {"text": "amoxicillin 500 mg"},
        "dosageInstruction": [
            {
                "text": "1 capsule three times a day",
                "doseAndRate": [{"doseQuantity": {"value": Decimal("1.0"), "unit": "capsule"}}],
            }
        ],
    },
    "Practitioner": lambda m: {
        "active": True,
        "name": [{"family": "Nakamura", "given": ["Hana"], "prefix": ["Dr."]}],
        "qualification": [{"code": {"text": "MD"}}],
        "extension": _score("12.000"),
    },
    "Organization": lambda m: {
        "active": True,
        "name": "Ærø Community Clinic",
        "telecom": [{"system": "email", "value": "front-desk@example.org"}],
        "extension": _score("250.00"),
    },
}


def sample(resource_type: str, marker: Marker, serial: str) -> dict[str, Any]:
    """Return a valid R4 resource of the type, marked with the run's tag and a unique identifier."""
    body = SAMPLES[resource_type](marker)
    identifier = {"system": MARKER_SYSTEM, "value": f"{marker.code}-{serial}"}
    return {"resourceType": resource_type, "meta": {"tag": [marker.tag]}, "identifier": [identifier], **body}


@dataclass(frozen=True)
class Request:
    """One way of sending a create: a change to the resource, extra headers, and whether it is conditional."""

    name: str
    headers: Mapping[str, str] = field(default_factory=dict)
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda resource: resource
    # With If-None-Exist naming the resource's own run-unique identifier, which nothing matches yet.
    conditional: bool = False


CLIENT_ID = "client-chosen-id"
CLIENT_META = {"versionId": "999", "lastUpdated": "2001-02-03T04:05:06.789Z"}


def _with_client_id(resource: dict[str, Any]) -> dict[str, Any]:
    """Add a client-chosen id (R4 http.html#create: the server SHALL ignore it)."""
    return {**resource, "id": f"{CLIENT_ID}-{resource['identifier'][0]['value']}"[:64]}


def _with_client_meta(resource: dict[str, Any]) -> dict[str, Any]:
    """Add a client-chosen meta.versionId and meta.lastUpdated (the server SHALL ignore them)."""
    return {**resource, "meta": {**resource["meta"], **CLIENT_META}}


REQUESTS = {
    request.name: request
    for request in (
        Request("plain"),
        Request("client-id", prepare=_with_client_id),
        Request("client-meta", prepare=_with_client_meta),
        Request("prefer-minimal", {"Prefer": "return=minimal"}),
        Request("prefer-representation", {"Prefer": "return=representation"}),
        Request("prefer-outcome", {"Prefer": "return=OperationOutcome"}),
        Request("if-none-exist", conditional=True),
    )
}
PLAIN = tuple(name for name, request in REQUESTS.items() if not request.conditional)


def by_identifier(resource: Mapping[str, Any]) -> str:
    """Return the condition naming a resource's run-unique identifier: identifier=system|value."""
    # The most portable condition (servers-in-the-wild: some accept no other), built only from
    # the run's own marker, so it can match nothing but the run's resources.
    return f"identifier={token(resource['identifier'][0])}"


def token(identifier: Mapping[str, Any]) -> str:
    """Return an identifier as a token search value: system|value."""
    return f"{identifier['system']}|{identifier['value']}"


def marker_identifier(resource: Mapping[str, Any]) -> dict[str, Any]:
    """Return the run-unique identifier a resource carries: the one in the marker's system."""
    return next(i for i in resource["identifier"] if isinstance(i, dict) and i.get("system") == MARKER_SYSTEM)


EXTENSION = "https://example.org/fhir/StructureDefinition"
# Latin, Greek, Cyrillic, CJK, Arabic, emoji (a ZWJ sequence with a skin tone) and combining marks.
SCRIPTS = (
    "Ærøskøbing Ñandú Łódź",
    "Ελληνικά κείμενα",
    "Съешь же ещё этих булок",
    "患者の名前 病人姓名 환자 이름",
    "اسم المريض",
    "🩺🧬👩🏽‍⚕️",
    "e\u0301 a\u0308 n\u0303",
)


def _with_narrative(resource: dict[str, Any]) -> dict[str, Any]:
    """Add about 3 MiB of narrative (R4 narrative.html: an XHTML div)."""
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>' + "Ærø clinic notes. " * 150_000 + "</p></div>"
    return {**resource, "text": {"status": "generated", "div": div}}


def _with_nested_extensions(resource: dict[str, Any]) -> dict[str, Any]:
    """Add an extension nested 50 levels deep (about 100 JSON levels)."""
    extension: dict[str, Any] = {"url": f"{EXTENSION}/leaf", "valueString": "leaf"}
    for level in range(50):
        extension = {"url": f"{EXTENSION}/level-{level}", "extension": [extension]}
    return {**resource, "extension": [*resource.get("extension", []), extension]}


def _with_scripts(resource: dict[str, Any]) -> dict[str, Any]:
    """Name the resource in many scripts."""
    return {**resource, "name": [{"family": text, "given": [text]} for text in SCRIPTS]}


# Creates that vary the media type, the size or the text of the body, or hold an id; scenarios name them.
VARIANTS = {
    request.name: request
    for request in (
        Request("json", {"Content-Type": "application/json", "Accept": "application/json"}),
        Request("charset", {"Content-Type": f"{FHIR_JSON}; charset=utf-8"}),
        Request(
            "fhir-version", {"Content-Type": f"{FHIR_JSON}; fhirVersion=4.0", "Accept": f"{FHIR_JSON}; fhirVersion=4.0"}
        ),
        Request("large-narrative", prepare=_with_narrative),
        Request("deep-extensions", prepare=_with_nested_extensions),
        Request("scripts", prepare=_with_scripts),
        Request("id-holder", prepare=_with_client_id),  # a create whose client id a refused one takes again
    )
}


class Run:
    """What one process made: it marks every resource and remembers each create's id for the cleanup."""

    def __init__(self, client: FhirClient, marker: Marker, origin: str = "") -> None:
        self.client = client
        self.marker = marker
        self.origin = origin  # a prefix for identifier values, unique per process (the xdist worker id)
        self.created: dict[tuple[str, str], None] = {}  # (type, id), in creation order
        self._serial = itertools.count(1)

    def serial(self) -> str:
        """Return a value unique to this process of the run (the identifier values of what it makes)."""
        return f"{self.origin}{next(self._serial)}"

    def identify(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of a generated resource whose marker identifier takes a value no other resource carries."""
        # Generated marker identifiers repeat across examples: the run's search by identifier needs one each.
        marked = copy.deepcopy(dict(resource))
        marker_identifier(marked)["value"] = f"{self.marker.code}-{self.serial()}"
        return marked

    def sample(self, resource_type: str) -> dict[str, Any]:
        """Return a fresh sample of the type, marked with the run's tag and an identifier no other carries."""
        return sample(resource_type, self.marker, self.serial())

    def create(self, resource_type: str, request: Request) -> tuple[dict[str, Any], Exchange]:
        """Create a fresh marked sample of the type, sent as the request says; return what was sent and the exchange."""
        sent = request.prepare(self.sample(resource_type))
        condition = {"If-None-Exist": by_identifier(sent)} if request.conditional else {}
        return sent, self.send(sent, {**request.headers, **condition})

    def send(
        self, sent: dict[str, Any], headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None
    ) -> Exchange:
        """POST a marked resource to [base]/[type], remembering what the server made of it."""
        exchange = self.client.create(copy.deepcopy(sent), headers=headers, params=params)
        self.remember(str(sent["resourceType"]), exchange)
        return exchange

    def transact(self, bundle: dict[str, Any]) -> Exchange:
        """POST a transaction Bundle of marked resources, remembering what its entries made."""
        exchange = self.client.transaction(bundle)
        self.remember_entries(exchange)
        return exchange

    def count(self, resource_type: str, value: str) -> Exchange:
        """Search the type for one of the run's identifier values."""
        return find(self.client, resource_type, value)

    def remember(self, resource_type: str, exchange: Exchange) -> None:
        """Note the id a create answered with, from its body or its Location, for the cleanup."""
        body = exchange.resource
        if body and body.get("resourceType") == resource_type and isinstance(body.get("id"), str):
            self.created[(resource_type, body["id"])] = None
        parts = parse_location(self.client.url(exchange.header("location") or ""))
        if parts is not None and parts.type == resource_type:
            self.created[(resource_type, parts.id)] = None

    def remember_entries(self, exchange: Exchange) -> None:
        """Note the id of each resource a transaction-response names in an entry's response.location."""
        bundle = exchange.resource or {}
        for entry in bundle.get("entry", []) if bundle.get("resourceType") == "Bundle" else []:
            location = ((entry if isinstance(entry, dict) else {}).get("response") or {}).get("location")
            parts = parse_location(self.client.url(location)) if isinstance(location, str) else None
            if parts is not None:
                self.created[(parts.type, parts.id)] = None


def find(client: FhirClient, resource_type: str, value: str) -> Exchange:
    """Search a type for one of the run's identifier values (never for anything the run did not make)."""
    return client.search(resource_type, {"identifier": f"{MARKER_SYSTEM}|{value}", "_count": "1000"})


def cleanup(client: FhirClient, marker: Marker, known: Iterable[tuple[str, str]], pool: Pool) -> list[str]:
    """Delete what the run created, found by id and by the run's tag; return what could not be deleted."""
    targets = dict.fromkeys(known)
    for found in pool.map(lambda resource_type: _search_marked(client, marker, resource_type), TYPES):
        targets.update(dict.fromkeys(found))
    problems = pool.map(lambda target: _delete(client, *target), list(targets))
    return [f"{t}/{i} ({problem})" for (t, i), problem in zip(targets, problems, strict=True) if problem]


def _search_marked(client: FhirClient, marker: Marker, resource_type: str) -> list[tuple[str, str]]:
    """Return the run's resources of a type (type, id), searching by the run's tag only."""
    bundle = client.search(resource_type, {**marker.search, "_count": "1000"}).resource
    entries = (bundle or {}).get("entry", [])
    resources = (entry.get("resource") or {} for entry in entries)
    # A server that ignores _tag answers with everyone's resources: delete only those carrying the marker.
    return [(resource_type, r["id"]) for r in resources if r.get("resourceType") == resource_type and marker.marks(r)]


def _delete(client: FhirClient, resource_type: str, resource_id: str) -> str | None:
    """Delete one resource; return why it could not be deleted, or None."""
    exchange = client.delete(resource_type, resource_id)
    # R4 http.html#delete: 200/202/204 on success; 404/410 mean it is already gone.
    if exchange.status in (200, 202, 204, 404, 410):
        return None
    return f"DELETE answered {exchange.status}" if exchange.answered else exchange.error
