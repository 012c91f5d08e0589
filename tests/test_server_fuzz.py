"""Self-tests of what the properties need of the reference server: refusals that name the invalid element, and
the faults that only generated resources show, each on one request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from conformance import fhirjson
from conformance.server.faults import fuzz
from tests.conftest import Client
from tests.test_server_rejections import CLAIMS, FaultCase, patient, send

EXTENSION = "https://example.org/fhir/StructureDefinition/x"
EXPRESSIONS = {
    "Patient.name[0].family": patient(name=[{"family": ""}]),
    "Patient.gender": patient(gender="banana"),
    "Patient.name[0].colour": patient(name=[{"colour": "red"}]),
    "Patient.extension[0].valueInteger": patient(extension=[{"url": EXTENSION, "valueInteger": "1"}]),
    "Patient.name[0].given[0].id": patient(name=[{"given": ["Ann"], "_given": [{"id": 42}]}]),
    "Patient.name[0].period.start": patient(name=[{"period": {"start": "2020-13"}}]),
}


@pytest.mark.parametrize(("expression", "resource"), list(EXPRESSIONS.items()), ids=list(EXPRESSIONS))
def test_a_refusal_names_the_invalid_element(start: Client, expression: str, resource: dict[str, Any]) -> None:
    """The OperationOutcome's issue names the element as FHIRPath (R4 operationoutcome.html#OperationOutcome.issue.
    expression): a primitive's `_name` object is that primitive."""
    response = send(start(**CLAIMS["ignore-400"]), resource)
    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


def _created_then_read(body: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
    """Create a resource, then read it."""

    def read(client: httpx.Client) -> httpx.Response:
        return client.get(f"/Patient/{send(client, body).json()['id']}")

    return read


def _searching_after(body: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
    """Send a resource carrying a fresh identifier, then search Patient for it."""

    def search(client: httpx.Client) -> httpx.Response:
        value = uuid.uuid4().hex
        send(client, {**body, "identifier": [{"system": "urn:test", "value": value}]})
        return client.get("/Patient", params={"identifier": f"urn:test|{value}"})

    return search


def _sending(body: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: send(client, body)


def _status(response: httpx.Response) -> int:
    return response.status_code


def _media(response: httpx.Response) -> str:
    return fhirjson.media_type(response.headers.get("content-type"))


def _has(*path: str | int) -> Callable[[httpx.Response], bool]:
    """Observe whether the response body holds a member at a path."""

    def has(response: httpx.Response) -> bool:
        value: Any = response.json()
        for step in path:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return False
        return True

    return has


def _decimal_text(response: httpx.Response) -> str:
    return str(fhirjson.loads(response.text)["extension"][0]["valueDecimal"])


def _family(response: httpx.Response) -> str:
    return str(response.json()["name"][0]["family"])


def _total(response: httpx.Response) -> int:
    return int(response.json()["total"])


BAD_EXTENSION = patient(extension=[{"url": EXTENSION, "valueInteger": "1"}])
NESTED = patient(name=[{"family": "Ann", "extension": [{"url": EXTENSION, "valueString": "x"}]}])
# fmt: off
FAULT_CASES = {
    "primitive-elements-500": FaultCase(
        {}, _sending(patient(name=[{"given": ["Ann"], "_given": [{"id": "g1"}]}])), _status, 201, 500),
    "meta-unset-beside-profile": FaultCase(
        {}, _sending(patient(meta={"source": "urn:uuid:9e0c8a52-6ad9-4a2f-9b1c-0c4c4d3b7a10"})),
        _has("meta", "versionId"), True, False),
    "response-drops-periods": FaultCase(
        {}, _sending(patient(name=[{"family": "Ann", "period": {"start": "2000"}}])), _has("name", 0, "period"),
        True, False),
    "read-drops-nested-extensions": FaultCase(
        {}, _created_then_read(NESTED), _has("name", 0, "extension"), True, False),
    "read-replaces-astral-characters": FaultCase(
        {}, _created_then_read(patient(name=[{"family": "Ann \U0001f600 \U00020000"}])), _family,
        "Ann \U0001f600 \U00020000", "Ann ? ?"),
    "read-expands-decimal-exponents": FaultCase(
        {}, _created_then_read(patient(extension=[{"url": EXTENSION, "valueDecimal": Decimal("1.5E+3")}])),
        _decimal_text, "1.5E+3", "1500"),
    "extensions-unvalidated": FaultCase(CLAIMS["ignore-400"], _sending(BAD_EXTENSION), _status, 400, 201),
    "deep-content-unvalidated": FaultCase(
        CLAIMS["ignore-400"], _sending(patient(name=[{"period": {"start": "2020-13"}}])), _status, 400, 201),
    "extension-refusals-400": FaultCase(CLAIMS["ignore-422"], _sending(BAD_EXTENSION), _status, 422, 400),
    "extension-refusals-plain-text": FaultCase(
        CLAIMS["ignore-400"], _sending(BAD_EXTENSION), _media, "application/fhir+json", "text/plain"),
    "extension-refusals-stored": FaultCase(CLAIMS["ignore-400"], _searching_after(BAD_EXTENSION), _total, 0, 1),
    "extension-refusals-500": FaultCase(CLAIMS["ignore-400"], _sending(BAD_EXTENSION), _status, 400, 500),
}
# Content each fault leaves alone: what the suite's samples and hand-written cases hold.
UNTOUCHED = {
    "extensions-unvalidated": (patient(gender="banana"), 400),
    "deep-content-unvalidated": (patient(name=[{"family": ""}]), 400),
    "extension-refusals-400": (patient(gender="banana"), 422),
    "extension-refusals-500": (patient(gender="banana"), 400),
    "primitive-elements-500": (patient(extension=[{"url": EXTENSION, "valueDecimal": Decimal("9.50")}]), 201),
}
# fmt: on


@pytest.mark.parametrize("fault", list(FAULT_CASES))
def test_each_fuzz_fault_breaks_its_rule(start: Client, fault: str) -> None:
    """The request answers as the good server does, until the fault is switched on."""
    case = FAULT_CASES[fault]
    assert case.observe(case.request(start(**case.claims))) == case.good
    assert case.observe(case.request(start(**case.claims, faults=frozenset({fault})))) == case.broken


@pytest.mark.parametrize("fault", list(UNTOUCHED))
def test_a_fuzz_fault_leaves_the_hand_written_inputs_alone(start: Client, fault: str) -> None:
    """Content at the top of a resource, outside extensions, is answered as the good server answers it."""
    resource, status = UNTOUCHED[fault]
    claims = FAULT_CASES[fault].claims
    assert send(start(**claims, faults=frozenset({fault})), resource).status_code == status


def test_every_fuzz_fault_is_shown_breaking_its_rule() -> None:
    """Each fault of the fuzz family has its request above."""
    assert sorted(FAULT_CASES) == sorted(fault.name for fault in fuzz.FAULTS)
