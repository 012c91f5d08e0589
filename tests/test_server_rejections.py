"""Self-tests of the reference server's refusals under each claim, and of the faults that break them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

import httpx
import pytest

from conformance import fhirjson
from conformance.checks import ISSUE_SEVERITIES, ISSUE_TYPES
from conformance.resources import TYPES, Marker, sample
from conformance.server.faults import rejections
from conformance.server.profiles import PATIENT_WITH_BIRTHDATE
from tests.conftest import Client

FHIR_JSON_TYPE = "application/fhir+json"
CLAIMS: dict[str, dict[str, Any]] = {
    "r4": {},
    "ignore-400": {"validates": True},
    "ignore-422": {"validates": True, "invalid_status": 422},
    "respect-400": {"validates": True, "id_policy": "respect"},
    "respect-422": {"validates": True, "id_policy": "respect", "invalid_status": 422},
}
Body = str | bytes | dict[str, Any]
VALIDATING = [name for name, claims in CLAIMS.items() if claims.get("validates")]


def send(client: httpx.Client, body: Body, path: str = "/Patient", **headers: str) -> httpx.Response:
    """POST a body (a resource, JSON text, or raw bytes) as FHIR JSON unless the headers say otherwise."""
    content = fhirjson.dumps(body).encode() if isinstance(body, dict) else body
    content = content.encode() if isinstance(content, str) else content
    return client.post(path, content=content, headers={"Content-Type": FHIR_JSON_TYPE, **headers})


def refused(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response has `status` and an OperationOutcome whose issues use the R4 value sets."""
    assert response.status_code == status, response.text
    assert fhirjson.media_type(response.headers["content-type"]) == FHIR_JSON_TYPE
    outcome: dict[str, Any] = fhirjson.loads(response.text)
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"]
    for issue in outcome["issue"]:
        assert issue["severity"] in ISSUE_SEVERITIES and issue["code"] in ISSUE_TYPES, issue
        assert issue["diagnostics"]
    return outcome


def count(client: httpx.Client, *types: str) -> int:
    """How many live resources of the types (default: Patient and Observation) the server holds."""
    return sum(client.get(f"/{rtype}?_count=0").json()["total"] for rtype in types or ("Patient", "Observation"))


def patient(**extra: Any) -> dict[str, Any]:
    """A valid Patient, with `extra` elements."""
    return {"resourceType": "Patient", "gender": "female", "birthDate": "1970-01-31", **extra}


def observation(**extra: Any) -> dict[str, Any]:
    """A valid Observation, with `extra` elements."""
    return {"resourceType": "Observation", "status": "final", "code": {"text": "weight"}, **extra}


def without(resource: dict[str, Any], name: str) -> dict[str, Any]:
    """The resource without one element."""
    return {key: value for key, value in resource.items() if key != name}


def nested(levels: int) -> dict[str, Any]:
    """A Patient with an extension nested `levels` deep (about two JSON levels each)."""
    extension: dict[str, Any] = {"url": "https://example.org/leaf", "valueString": "leaf"}
    for level in range(levels):
        extension = {"url": f"https://example.org/level-{level}", "extension": [extension]}
    return patient(extension=[extension])


@pytest.fixture(params=list(CLAIMS))
def server(request: pytest.FixtureRequest, start: Client) -> httpx.Client:
    """A client of the reference server under each claim: r4, and validating in both id policies and statuses."""
    return start(**CLAIMS[request.param])


@pytest.fixture(params=VALIDATING)
def validating(request: pytest.FixtureRequest, start: Client) -> tuple[httpx.Client, int]:
    """A client of a validating server, in both id policies and statuses, and the status it refuses with."""
    claims = CLAIMS[request.param]
    return start(**claims), claims.get("invalid_status", 400)


# -- unparsable bodies: 400 -----------------------------------------------------------------------

UNPARSABLE: dict[str, Body] = {
    "truncated": '{"resourceType": "Patient",',
    "trailing-garbage": '{"resourceType": "Patient"} x',
    "two-documents": '{"resourceType": "Patient"}{"resourceType": "Patient"}',
    "single-quotes": "{'resourceType': 'Patient'}",
    "nan": '{"resourceType": "Patient", "extension": [{"url": "https://e.org/x", "valueDecimal": NaN}]}',
    "infinity": '{"resourceType": "Patient", "extension": [{"url": "https://e.org/x", "valueDecimal": -Infinity}]}',
    "repeated-name": '{"resourceType": "Patient", "active": true, "active": false}',
    "repeated-name-nested": '{"resourceType": "Patient", "name": [{"family": "A", "family": "B"}]}',
    "latin-1-bytes": b'{"resourceType": "Patient", "name": [{"family": "Ren\xe9"}]}',
    "utf-16": '{"resourceType": "Patient"}'.encode("utf-16"),
    "lone-surrogate": '{"resourceType": "Patient", "name": [{"family": "\\ud800"}]}',
    "empty": "",
    "whitespace": " \r\n\t",
    "array": '[{"resourceType": "Patient"}]',
    "string": '"Patient"',
    "number": "42",
    "null": "null",
    "no-resource-type": '{"active": true}',
    "other-resource-type": json.dumps(observation()),
    "resource-type-not-a-string": '{"resourceType": ["Patient"]}',
    "too-deep": json.dumps(nested(70)),
    "beyond-the-parser": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("body", list(UNPARSABLE.values()), ids=list(UNPARSABLE))
def test_unparsable_bodies_are_refused_with_400_and_nothing_is_stored(server: httpx.Client, body: Body) -> None:
    before = count(server)
    refused(send(server, body), 400)
    assert count(server) == before


# -- types, media types and versions ----------------------------------------------------------------

UNSUPPORTED_BODIES = {
    "text-plain": {"Content-Type": "text/plain"},
    "form-encoded": {"Content-Type": "application/x-www-form-urlencoded"},
    "fhir-xml": {"Content-Type": "application/fhir+xml"},
    "xml": {"Content-Type": "application/xml"},
    "no-content-type": {"Content-Type": ""},
    "latin-1-charset": {"Content-Type": "application/fhir+json; charset=iso-8859-1"},
    "fhir-version-3": {"Content-Type": "application/fhir+json; fhirVersion=3.0"},
    "fhir-version-5": {"Content-Type": "application/fhir+json; fhirVersion=5.0"},
    "format-does-not-override": {"Content-Type": "text/plain", "path": "/Patient?_format=application/fhir+json"},
}
UNACCEPTABLE = {
    "fhir-xml": {"Accept": "application/fhir+xml"},
    "html": {"Accept": "text/html"},
    "json-weighted-zero": {"Accept": "application/fhir+json;q=0"},
    "fhir-version-3": {"Accept": "application/fhir+json; fhirVersion=3.0"},
    "format-xml": {"path": "/Patient?_format=xml"},
}
ACCEPTED = {
    "fhir-json": ({}, FHIR_JSON_TYPE),
    "json": ({"Content-Type": "application/json"}, FHIR_JSON_TYPE),
    "charset": ({"Content-Type": "application/fhir+json; charset=utf-8"}, FHIR_JSON_TYPE),
    "charset-upper-case": ({"Content-Type": "application/json;charset=UTF-8"}, FHIR_JSON_TYPE),
    "fhir-version-4": ({"Content-Type": "application/fhir+json; fhirVersion=4.0"}, FHIR_JSON_TYPE),
    "both-parameters": ({"Content-Type": 'application/fhir+json; charset="utf-8"; fhirVersion=4.0'}, FHIR_JSON_TYPE),
    "accept-fhir-version-4": ({"Accept": "application/fhir+json; fhirVersion=4.0"}, FHIR_JSON_TYPE),
    "accept-json": ({"Accept": "application/json"}, "application/json"),
    "accept-text-json": ({"Accept": "text/json"}, "text/json"),
    "accept-any": ({"Accept": "*/*"}, FHIR_JSON_TYPE),
    "accept-weighted": ({"Accept": "text/html, application/json;q=0.5"}, "application/json"),
    "accept-tie-prefers-fhir-json": ({"Accept": "application/json, application/fhir+json"}, FHIR_JSON_TYPE),
    "format-json": ({"path": "/Patient?_format=json", "Accept": "text/html"}, FHIR_JSON_TYPE),
    "format-generic-json": ({"path": "/Patient?_format=application/json"}, "application/json"),
}


def send_with(client: httpx.Client, body: Body, request: dict[str, str]) -> httpx.Response:
    """POST with the headers of a case, to its path (default /Patient)."""
    headers = {name: value for name, value in request.items() if name != "path"}
    return send(client, body, request.get("path", "/Patient"), **headers)


@pytest.mark.parametrize("request_", list(UNSUPPORTED_BODIES.values()), ids=list(UNSUPPORTED_BODIES))
def test_bodies_that_are_not_r4_json_get_415(server: httpx.Client, request_: dict[str, str]) -> None:
    before = count(server)
    refused(send_with(server, patient(), request_), 415)
    assert count(server) == before


@pytest.mark.parametrize("request_", list(UNACCEPTABLE.values()), ids=list(UNACCEPTABLE))
def test_requests_that_accept_no_json_get_406(server: httpx.Client, request_: dict[str, str]) -> None:
    before = count(server)
    refused(send_with(server, patient(), request_), 406)
    assert count(server) == before


@pytest.mark.parametrize(("request_", "answered"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_json_types_and_their_parameters_are_accepted(
    server: httpx.Client, request_: dict[str, str], answered: str
) -> None:
    response = send_with(server, patient(), request_)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == f"{answered}; charset=utf-8"


@pytest.mark.parametrize("path", ["/NotAType", "/patient", "/Patients"])
def test_a_type_r4_does_not_define_gets_404(server: httpx.Client, path: str) -> None:
    refused(send(server, {"resourceType": path[1:]}, path), 404)


# -- validation: the claimed status ---------------------------------------------------------------

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "name-is-a-string": (patient(name="Bob"), "structure"),
    "unknown-element": (patient(nickname="Bobby"), "structure"),
    "null-value": (patient(active=None), "structure"),
    "empty-string": (patient(name=[{"family": ""}]), "structure"),
    "whitespace-string": (patient(name=[{"family": "  "}]), "structure"),
    "empty-object": (patient(name=[{}]), "structure"),
    "empty-array": (patient(name=[]), "structure"),
    "boolean-as-string": (patient(active="true"), "structure"),
    "integer-as-boolean": (patient(multipleBirthInteger=True), "structure"),
    "decimal-as-string": (observation(valueQuantity={"value": "72.5", "unit": "kg"}), "structure"),
    "gender-banana": (patient(gender="banana"), "code-invalid"),
    "observation-status": (observation(status="done"), "code-invalid"),
    "name-use": (patient(name=[{"use": "nick", "family": "A"}]), "code-invalid"),
    "telecom-system": (patient(telecom=[{"system": "pigeon", "value": "x"}]), "code-invalid"),
    "quantity-comparator": (observation(valueQuantity={"value": 1, "comparator": "~"}), "code-invalid"),
    "language": (patient(language="en_US"), "code-invalid"),
    "attachment-content-type": (patient(photo=[{"contentType": "jpeg"}]), "code-invalid"),
    "extension-value-code": (
        patient(extension=[{"url": "https://e.org/x", "valueMoney": {"currency": "eur"}}]),
        "code-invalid",
    ),
    "url-as-number": (patient(photo=[{"url": 42}]), "structure"),
    "encounter-status": ({"resourceType": "Encounter", "status": "ongoing", "class": {"code": "AMB"}}, "code-invalid"),
    "condition-clinical-status": (
        {
            "resourceType": "Condition",
            "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "cured"}]},
        },
        "code-invalid",
    ),
    "month-13": (patient(birthDate="1990-13-45"), "structure"),
    "date-with-a-time": (patient(birthDate="1990-01-01T10:00:00Z"), "structure"),
    "time-without-timezone": (observation(effectiveDateTime="2026-11-20T10:00:00"), "structure"),
    "instant-without-timezone": (observation(issued="2026-11-20T10:00:00"), "structure"),
    "observation-without-status": (without(observation(), "status"), "required"),
    "two-choice-variants": (observation(valueString="heavy", valueQuantity={"value": 72}), "structure"),
    "contained-invalid": (patient(contained=[without(observation(id="o"), "status")]), "required"),
    "profile-violated": (without(patient(meta={"profile": [PATIENT_WITH_BIRTHDATE]}), "birthDate"), "invalid"),
    "profile-of-another-type": (observation(meta={"profile": [PATIENT_WITH_BIRTHDATE]}), "invalid"),
}


@pytest.mark.parametrize(("resource", "code"), list(INVALID.values()), ids=list(INVALID))
def test_a_validating_server_refuses_invalid_resources_with_its_status(
    validating: tuple[httpx.Client, int], resource: dict[str, Any], code: str
) -> None:
    client, status = validating
    rtype = resource["resourceType"]
    before = count(client, rtype)
    outcome = refused(send(client, resource, f"/{rtype}"), status)
    assert outcome["issue"][0]["code"] == code
    assert count(client, rtype) == before


def _suite_samples() -> dict[str, dict[str, Any]]:
    marker = Marker()
    return {rtype.lower(): sample(rtype, marker, "1") for rtype in TYPES}


VALID = {
    **_suite_samples(),
    "extensions-50-deep": nested(50),
    "profile-satisfied": patient(meta={"profile": [PATIENT_WITH_BIRTHDATE]}),
    "unknown-profile-claimed": patient(meta={"profile": ["https://example.org/StructureDefinition/other"]}),
    "client-meta-ignored": patient(meta={"versionId": "not an id!", "lastUpdated": "yesterday"}),
    "coding-among-others": {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p"},
        "clinicalStatus": {
            "coding": [
                {"system": "https://example.org/local", "code": "x"},
                {"system": CONDITION_CLINICAL, "code": "active"},
            ]
        },
    },
    "primitive-extension-padding": patient(
        name=[{"given": ["Ann", "Bo"], "_given": [None, {"extension": [{"url": "https://e.org/x", "valueCode": "y"}]}]}]
    ),
}


@pytest.mark.parametrize("resource", list(VALID.values()), ids=list(VALID))
def test_a_validating_server_accepts_valid_resources(
    validating: tuple[httpx.Client, int], resource: dict[str, Any]
) -> None:
    client, _ = validating
    response = send(client, resource, f"/{resource['resourceType']}")
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("resource", [resource for resource, _ in INVALID.values()], ids=list(INVALID))
def test_a_server_without_the_claim_stores_what_it_can_parse(start: Client, resource: dict[str, Any]) -> None:
    client = start()
    response = send(client, resource, f"/{resource['resourceType']}")
    assert response.status_code == 201, response.text
    read = fhirjson.loads(client.get(f"/{resource['resourceType']}/{response.json()['id']}").text)
    assert without(read, "id") == {**without(resource, "id"), "meta": read["meta"]}


def test_the_enforced_profile_is_advertised_only_by_a_validating_server(start: Client) -> None:
    def profiles(client: httpx.Client) -> dict[str, Any]:
        entries = client.get("/metadata").json()["rest"][0]["resource"]
        return {entry["type"]: entry["supportedProfile"] for entry in entries if "supportedProfile" in entry}

    assert profiles(start(validates=True)) == {"Patient": [PATIENT_WITH_BIRTHDATE]}
    assert profiles(start()) == {}


# -- client ids -----------------------------------------------------------------------------------

BAD_IDS = {
    "space": "not valid!",
    "too-long": "a" * 65,
    "empty": "",
    "non-ascii": "pätient",
    "slash": "a/b",
    "number": 5,
    "object": {"value": "a"},
}


@pytest.mark.parametrize("claims", ["r4", "ignore-400", "ignore-422"])
@pytest.mark.parametrize("client_id", ["client-chosen", *BAD_IDS.values()], ids=["valid", *BAD_IDS])
def test_the_ignore_policy_assigns_its_own_id(start: Client, claims: str, client_id: Any) -> None:
    client = start(**CLAIMS[claims])
    response = send(client, patient(id=client_id))
    assert response.status_code == 201, response.text
    assigned = response.json()["id"]
    assert assigned != client_id and response.headers["location"].endswith(f"/Patient/{assigned}/_history/1")
    if client_id == "client-chosen":
        refused(client.get("/Patient/client-chosen"), 404)


@pytest.mark.parametrize("claims", ["respect-400", "respect-422"])
def test_the_respect_policy_creates_under_the_client_id_and_answers_a_duplicate_with_409(
    start: Client, claims: str
) -> None:
    client = start(**CLAIMS[claims])
    rid = f"client-{uuid.uuid4().hex}"
    first = send(client, patient(id=rid, active=True))
    assert first.status_code == 201 and first.json()["id"] == rid
    assert first.headers["location"].endswith(f"/Patient/{rid}/_history/1")
    before = count(client)
    refused(send(client, patient(id=rid, active=False)), 409)
    kept = client.get(f"/Patient/{rid}")
    assert kept.json() == first.json() and kept.headers["etag"] == 'W/"1"'
    assert count(client) == before


@pytest.mark.parametrize("claims", ["respect-400", "respect-422"])
@pytest.mark.parametrize("client_id", list(BAD_IDS.values()), ids=list(BAD_IDS))
def test_the_respect_policy_refuses_an_id_that_is_not_an_r4_id_with_400(
    start: Client, claims: str, client_id: Any
) -> None:
    client = start(**CLAIMS[claims])
    before = count(client)
    refused(send(client, patient(id=client_id)), 400)
    assert count(client) == before


# -- robustness -----------------------------------------------------------------------------------

TEXTS = {
    "latin": "Ærøskøbing Ñandú Łódź",
    "greek": "Ελληνικά κείμενα",
    "cyrillic": "Съешь же ещё этих мягких французских булок",
    "cjk": "患者の名前 病人姓名 환자 이름",
    "arabic": "اسم المريض",
    "emoji": "🩺🧬👩🏽‍⚕️",
    "combining-marks": "e\u0301 a\u0308 Z\u0335\u0321",
}


@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
def test_non_ascii_text_round_trips_byte_exact(server: httpx.Client, text: str) -> None:
    response = send(server, patient(name=[{"family": text, "given": [text]}]))
    assert response.status_code == 201, response.text
    read = server.get(response.headers["location"])
    for answer in (response, read):
        assert json.dumps(text, ensure_ascii=False).encode() in answer.content  # no escapes, no normalising
        assert answer.json()["name"] == [{"family": text, "given": [text]}]


def test_a_large_narrative_is_accepted_and_a_larger_body_gets_413(server: httpx.Client) -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>' + "Ærø clinic notes. " * 200_000 + "</p></div>"
    response = send(server, patient(text={"status": "generated", "div": div}))
    assert response.status_code == 201 and len(response.content) > 3_000_000
    assert server.get(response.headers["location"]).json()["text"]["div"] == div
    refused(send(server, patient(text={"status": "generated", "div": div * 5})), 413)


@pytest.mark.parametrize(("levels", "status"), [(50, 201), (60, 201), (70, 400)], ids=["50", "60", "70"])
def test_deep_nesting_is_stored_up_to_the_limit_and_refused_past_it(
    server: httpx.Client, levels: int, status: int
) -> None:
    response = send(server, nested(levels))
    assert response.status_code == status, response.text
    if status == 201:
        assert server.get(response.headers["location"]).json()["extension"] == nested(levels)["extension"]


# Beyond the tables above, which pin each status exactly.
ODD: dict[str, Body] = {
    "meta-a-string": patient(meta="x"),
    "tags-a-string": patient(meta={"tag": "x"}),
    "identifier-an-object": patient(identifier={"value": 1}),
    "name-numbers": patient(name=[5, None, [1]]),
    "control-characters": patient(name=[{"family": "a\u0000b\u001f"}]),
    "long-digits": '{"resourceType": "Patient", "multipleBirthInteger": ' + "9" * 5000 + "}",
}


@pytest.mark.parametrize("body", list(ODD.values()), ids=list(ODD))
def test_no_input_gets_a_5xx(server: httpx.Client, body: Body) -> None:
    response = send(server, body)
    assert response.status_code < 500, response.text
    assert server.get("/metadata").status_code == 200  # still serving


# -- the refusal itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefer", ["return=minimal", "return=representation", "return=OperationOutcome"])
def test_a_refusal_carries_an_operation_outcome_whatever_the_client_prefers(server: httpx.Client, prefer: str) -> None:
    refused(send(server, UNPARSABLE["truncated"], Prefer=prefer), 400)


# -- faults ---------------------------------------------------------------------------------------


def _twice(body: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
    """Send a resource under a fresh client id, then again under the same id."""

    def second(client: httpx.Client) -> httpx.Response:
        resource = {**body, "id": f"twice-{uuid.uuid4().hex}"}
        send(client, resource)
        return send(client, resource)

    return second


def _clobbering(client: httpx.Client) -> httpx.Response:
    """Send a resource under a fresh client id, then another under the same id; read what the id holds."""
    rid = f"twice-{uuid.uuid4().hex}"
    send(client, patient(id=rid, active=True))
    send(client, patient(id=rid, active=False))
    return client.get(f"/Patient/{rid}")


def _searching_after_refusal(client: httpx.Client) -> httpx.Response:
    """Send an Observation to /Patient (refused), then search Patient for its identifier."""
    token = f"urn:test|{uuid.uuid4().hex}"
    system, _, value = token.partition("|")
    send(client, observation(identifier=[{"system": system, "value": value}]))
    return client.get("/Patient", params={"identifier": token})


def _sending(body: Body, path: str = "/Patient", **headers: str) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: send(client, body, path, **headers)


def _status(response: httpx.Response) -> int:
    return response.status_code


def _media(response: httpx.Response) -> str:
    return fhirjson.media_type(response.headers.get("content-type"))


def _issue_code(response: httpx.Response) -> str:
    return str(response.json()["issue"][0]["code"])


def _kept_client_id(response: httpx.Response) -> bool:
    return bool(response.json()["id"] == "chosen-by-client")


def _status_and_body(response: httpx.Response) -> tuple[int, bool]:
    return response.status_code, bool(response.content)


def _active(response: httpx.Response) -> bool:
    return bool(response.json()["active"])


def _total(response: httpx.Response) -> int:
    return int(response.json()["total"])


def _family(response: httpx.Response) -> str:
    return str(response.json()["name"][0]["family"])


class FaultCase(NamedTuple):
    """A request that a fault answers differently: what is observed, on the good server and with the fault."""

    claims: dict[str, Any]
    request: Callable[[httpx.Client], httpx.Response]
    observe: Callable[[httpx.Response], Any]
    good: Any
    broken: Any


TRUNCATED = UNPARSABLE["truncated"]
CHARSET = {"Content-Type": "application/fhir+json; charset=utf-8"}
VERSION_3 = {"Content-Type": "application/fhir+json; fhirVersion=3.0"}
GREEK = [{"family": "Ζωή Ångström"}]
# fmt: off
FAULT_CASES = {
    "unparsable-422": FaultCase({}, _sending(TRUNCATED), _status, 400, 422),
    "unparsable-500": FaultCase({}, _sending(TRUNCATED), _status, 400, 500),
    "not-object-422": FaultCase({}, _sending("[]"), _status, 400, 422),
    "unknown-type-accepted": FaultCase({}, _sending({"resourceType": "NotAType"}, "/NotAType"), _status, 404, 201),
    "unknown-type-400": FaultCase({}, _sending({"resourceType": "NotAType"}, "/NotAType"), _status, 404, 400),
    "format-overrides-content-type": FaultCase(
        {}, _sending(patient(), "/Patient?_format=json", **{"Content-Type": "text/plain"}), _status, 415, 201),
    "bindings-unchecked": FaultCase(CLAIMS["ignore-400"], _sending(patient(gender="banana")), _status, 400, 201),
    "duplicate-id-clobbers": FaultCase(CLAIMS["respect-422"], _clobbering, _active, True, False),
    "refusals-stored": FaultCase({}, _searching_after_refusal, _total, 0, 1),
    "duplicate-names-accepted": FaultCase({}, _sending(UNPARSABLE["repeated-name"]), _status, 400, 201),
    "not-object-500": FaultCase({}, _sending("[]"), _status, 400, 500),
    "type-from-url": FaultCase({}, _sending(observation()), _status, 400, 201),
    "unknown-type-500": FaultCase({}, _sending({"resourceType": "NotAType"}, "/NotAType"), _status, 404, 500),
    "content-type-ignored": FaultCase({}, _sending(patient(), **{"Content-Type": "text/plain"}), _status, 415, 201),
    "accept-ignored": FaultCase({}, _sending(patient(), Accept="application/fhir+xml"), _status, 406, 201),
    "generic-json-answered-as-fhir-json": FaultCase(
        {}, _sending(patient(), Accept="application/json"), _media, "application/json", FHIR_JSON_TYPE),
    "charset-refused": FaultCase({}, _sending(patient(), **CHARSET), _status, 201, 415),
    "fhir-version-refused": FaultCase(
        {}, _sending(patient(), Accept="application/fhir+json; fhirVersion=4.0"), _status, 201, 406),
    "fhir-version-500": FaultCase({}, _sending(patient(), **VERSION_3), _status, 415, 500),
    "validation-off": FaultCase(CLAIMS["ignore-422"], _sending(patient(name="Bob")), _status, 422, 201),
    "invalid-status-swapped": FaultCase(CLAIMS["respect-422"], _sending(patient(gender="x")), _status, 422, 400),
    "profile-not-enforced": FaultCase(
        CLAIMS["ignore-400"], _sending(INVALID["profile-violated"][0]), _status, 400, 201),
    "client-id-replaced": FaultCase(
        CLAIMS["respect-400"], _sending(patient(id="chosen-by-client")), _kept_client_id, True, False),
    "duplicate-id-overwrites": FaultCase(CLAIMS["respect-422"], _twice(patient()), _status, 409, 201),
    "bad-client-id-accepted": FaultCase(
        {"id_policy": "respect"}, _sending(patient(id="not valid!")), _status, 400, 201),
    "deep-nesting-500": FaultCase({}, _sending(nested(50)), _status, 201, 500),
    "non-latin-1-mangled": FaultCase({}, _sending(patient(name=GREEK)), _family, "Ζωή Ångström", "??? Ångström"),
    "plain-text-refusals": FaultCase({}, _sending(TRUNCATED), _media, FHIR_JSON_TYPE, "text/plain"),
    "issue-code-is-status": FaultCase({}, _sending(TRUNCATED), _issue_code, "structure", "400"),
    "minimal-refusal-without-body": FaultCase(
        {}, _sending(TRUNCATED, Prefer="return=minimal"), _status_and_body, (400, True), (400, False)),
}
# fmt: on


@pytest.mark.parametrize("fault", list(FAULT_CASES))
def test_each_refusal_fault_breaks_its_rule(start: Client, fault: str) -> None:
    case = FAULT_CASES[fault]
    assert case.observe(case.request(start(**case.claims))) == case.good
    assert case.observe(case.request(start(**case.claims, faults=frozenset({fault})))) == case.broken


def test_every_refusal_fault_is_shown_breaking_its_rule() -> None:
    assert sorted(FAULT_CASES) == sorted(fault.name for fault in rejections.FAULTS)
