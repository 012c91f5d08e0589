"""Self-tests of the reference server's conditional create (header and query forms), transactions, and their faults."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from conformance import races
from conformance.client import FhirClient
from conformance.server.faults import conditional, transactions
from conformance.server.references import REWRITTEN, resolver, rewrite
from tests.conftest import Client
from tests.test_server import TENANT_SYSTEM, assert_outcome, base_of, parsed, post, tenant_client

SYSTEM = "urn:conditional-test"
XHTML = "http://www.w3.org/1999/xhtml"
RACERS = 10
ROUNDS = 3
FAULTS = [*conditional.FAULTS, *transactions.FAULTS]


def patient(value: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Patient with an identifier: `value`, or a fresh one."""
    return {"resourceType": "Patient", "identifier": [{"system": SYSTEM, "value": value or uuid.uuid4().hex}], **extra}


def value_of(resource: dict[str, Any]) -> str:
    """The identifier value of a resource made here."""
    return str(resource["identifier"][0]["value"])


def by_identifier(value: str) -> str:
    """The most portable condition: identifier=system|value."""
    return f"identifier={SYSTEM}|{value}"


def create(
    client: httpx.Client, resource: dict[str, Any], condition: str | None, path: str = "", **headers: str
) -> httpx.Response:
    """POST a resource, with If-None-Exist when a condition is given."""
    if condition is not None:
        headers["If-None-Exist"] = condition
    return post(client, resource, path, **headers)


def count(client: httpx.Client, value: str, rtype: str = "Patient") -> int:
    """How many resources of the type carry the identifier value."""
    return int(parsed(client.get(f"/{rtype}", params={"identifier": f"{SYSTEM}|{value}"}))["total"])


def seeded(client: httpx.Client, copies: int = 1, **extra: Any) -> tuple[str, list[dict[str, Any]]]:
    """Store `copies` Patients sharing a fresh identifier value; return the value and what was stored."""
    value = uuid.uuid4().hex
    return value, [parsed(post(client, patient(value, **extra))) for _ in range(copies)]


def entry(resource: dict[str, Any], full_url: str | None = None, **changes: Any) -> dict[str, Any]:
    """A POST entry of a transaction; `changes` add to (or replace) its request's method and url."""
    request = {"method": "POST", "url": resource["resourceType"], **changes}
    return {"fullUrl": full_url or f"urn:uuid:{uuid.uuid4()}", "resource": resource, "request": request}


def transact(client: httpx.Client, *entries: dict[str, Any], path: str = "/", **headers: str) -> httpx.Response:
    """POST a transaction Bundle of the entries to the base."""
    return post(client, {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}, path, **headers)


# -- If-None-Exist --------------------------------------------------------------------------------


def test_no_match_creates_with_201_location_and_etag(start: Client) -> None:
    client = start()
    sent = patient()
    response = create(client, sent, by_identifier(value_of(sent)))
    assert response.status_code == 201
    rid = parsed(response)["id"]
    assert response.headers["location"] == f"{base_of(client)}/Patient/{rid}/_history/1"
    assert response.headers["etag"] == 'W/"1"' and "last-modified" in response.headers
    assert count(client, value_of(sent)) == 1


def test_one_match_answers_200_with_the_matched_resource_and_creates_nothing(start: Client) -> None:
    client = start()
    sent = patient()
    first = create(client, sent, by_identifier(value_of(sent)))
    again = create(client, patient(value_of(sent), active=False), by_identifier(value_of(sent)))
    assert again.status_code == 200 and parsed(again) == parsed(first)
    for header in ("location", "etag", "last-modified"):
        assert again.headers[header] == first.headers[header]
    assert count(client, value_of(sent)) == 1


@pytest.mark.parametrize(
    ("prefer", "kind"),
    [("return=minimal", None), ("return=representation", "Patient"), ("return=OperationOutcome", "OperationOutcome")],
)
def test_one_match_honours_prefer(start: Client, prefer: str, kind: str | None) -> None:
    client = start()
    value, (first,) = seeded(client)
    response = create(client, patient(value), by_identifier(value), Prefer=prefer)
    assert response.status_code == 200 and response.headers["location"].endswith(f"/{first['id']}/_history/1")
    if kind is None:
        assert response.content == b""
    elif kind == "Patient":
        assert parsed(response) == first
    else:
        assert "matched" in assert_outcome(response, 200, severity="information")["issue"][0]["diagnostics"]


def test_two_matches_answer_412_and_create_nothing(start: Client) -> None:
    client = start()
    value, _ = seeded(client, 2)
    outcome = assert_outcome(create(client, patient(value), by_identifier(value)), 412)
    assert outcome["issue"][0]["code"] == "multiple-matches"
    assert count(client, value) == 2


CONDITIONS = {
    "identifier": "identifier={system}|{value}",
    "identifier-value": "identifier={value}",
    "encoded": "identifier={system}%7C{value}",
    "two-parameters": "identifier={system}|{value}&name={name}",
    "name": "name={name}",
    "id": "_id={id}",
    "tag": "_tag=urn:tags|{value}",
    "format-and-pretty": "_format=json&identifier={system}|{value}&_pretty=true",
}


@pytest.mark.parametrize("condition", CONDITIONS.values(), ids=CONDITIONS.keys())
def test_conditions_are_standard_searches(start: Client, condition: str) -> None:
    client = start()
    value, name = uuid.uuid4().hex, f"Zoë{uuid.uuid4().hex}"
    tagged = patient(value, name=[{"family": name}], meta={"tag": [{"system": "urn:tags", "code": value}]})
    first = parsed(post(client, tagged))
    text = condition.format(system=SYSTEM, value=value, name=quote(name.upper()), id=first["id"])
    response = create(client, patient(), text)
    assert response.status_code == 200, response.text
    assert parsed(response)["id"] == first["id"]


def test_every_parameter_of_a_condition_must_match(start: Client) -> None:
    client = start()
    value, _ = seeded(client, name=[{"family": "Anders"}])
    assert create(client, patient(value), f"{by_identifier(value)}&name=Someone").status_code == 201
    assert count(client, value) == 2


@pytest.mark.parametrize(
    "condition",
    ["", "&", "&&", "_format=json", "_pretty=true&", "identifier=", "unknown=1", "identifier=x&unknown=1",
     "_count=1", "identifier:exact=x", "Patient?identifier=x", "?identifier=x"],
)  # fmt: skip
def test_conditions_the_server_cannot_evaluate_exactly_get_400(start: Client, condition: str) -> None:
    client = start()
    sent = patient()
    assert_outcome(create(client, sent, condition), 400)
    assert count(client, value_of(sent)) == 0


def test_conditions_match_only_within_the_tenant(start: Client) -> None:
    sent = patient()
    condition = by_identifier(value_of(sent))
    with tenant_client(start, "key-a") as a, tenant_client(start, "key-b") as b:
        assert [create(a, sent, condition).status_code, create(b, sent, condition).status_code] == [201, 201]
        assert [create(a, sent, condition).status_code, create(b, sent, condition).status_code] == [200, 200]
        assert count(a, value_of(sent)) == count(b, value_of(sent)) == 1


# -- POST [type]?params ---------------------------------------------------------------------------


def test_query_form_has_the_same_three_outcomes(start: Client) -> None:
    client = start(conditional_query=True)
    sent = patient()
    path = f"/Patient?{by_identifier(value_of(sent))}&_format=json"
    first = post(client, sent, path)
    again = post(client, sent, path)
    assert (first.status_code, again.status_code) == (201, 200) and parsed(again) == parsed(first)
    post(client, sent)
    assert_outcome(post(client, sent, path), 412)
    assert count(client, value_of(sent)) == 2


@pytest.mark.parametrize("conditional_query", [True, False])
def test_a_query_string_without_criteria_or_without_the_claim_is_a_plain_create(
    start: Client, conditional_query: bool
) -> None:
    client = start(conditional_query=conditional_query)
    sent = patient()
    query = "_format=json&_pretty=true" if conditional_query else by_identifier(value_of(sent))
    assert [post(client, sent, f"/Patient?{query}").status_code for _ in range(2)] == [201, 201]
    assert count(client, value_of(sent)) == 2


def test_a_condition_in_both_header_and_query_is_refused(start: Client) -> None:
    client = start(conditional_query=True)
    sent = patient()
    condition = by_identifier(value_of(sent))
    assert_outcome(create(client, sent, condition, f"/Patient?{condition}"), 400)


# -- races ----------------------------------------------------------------------------------------


def _connect(racer: FhirClient) -> None:
    racer.search("Patient", {"_count": "0"})


def race_round(base: str, send: races.Send = races.by_header) -> tuple[list[int], int]:
    """RACERS clients send one resource, conditionally, at once (as the suite races them): their statuses, and
    how many resources exist after."""
    sent, client = patient(), FhirClient(base)
    try:
        answers = races.race(client, RACERS, _connect, lambda racer: send(racer, sent))
    finally:
        client.close()
    with httpx.Client(base_url=base) as http:
        return [races.entry_status(answer) for answer in answers], count(http, value_of(sent))


def test_concurrent_identical_conditional_creates_leave_one_resource(start: Client) -> None:
    for _ in range(ROUNDS):
        statuses, stored = race_round(base_of(start()))
        assert stored == 1 and sorted(statuses) == [200] * (RACERS - 1) + [201]


def test_concurrent_identical_transactions_leave_one_resource(start: Client) -> None:
    for _ in range(ROUNDS):
        statuses, stored = race_round(base_of(start()), races.in_transaction)
        assert stored == 1 and sorted(statuses) == [200] * (RACERS - 1) + [201]


@pytest.mark.parametrize("fault", ["check-then-insert-race", "bundle-check-then-insert-race"])
def test_the_race_faults_duplicate_concurrent_conditional_requests(start: Client, fault: str) -> None:
    # tests/test_races.py repeats the suite's own race against each racing fault, 20 times.
    send = races.in_transaction if fault.startswith("bundle") else races.by_header
    rounds = [race_round(base_of(start(faults=frozenset({fault}))), send) for _ in range(ROUNDS)]
    assert all(statuses.count(201) == stored for statuses, stored in rounds)  # every 201 stored a resource
    assert any(stored > 1 for _, stored in rounds)  # as the suite judges: one round with duplicates fails


# -- transactions ---------------------------------------------------------------------------------


def linked(value: str) -> tuple[str, list[dict[str, Any]]]:
    """A Patient (created unless one has `value`), last, and two entries linking to its urn in every way."""
    urn = f"urn:uuid:{uuid.uuid4()}"
    narrative = f'<div xmlns="{XHTML}"><a href="{urn}">p</a><img src="{urn}"/><a href="http://x.org/">x</a></div>'
    observation = {
        "resourceType": "Observation", "identifier": [{"system": SYSTEM, "value": value}], "status": "final",
        "meta": {"source": urn, "profile": [urn]}, "text": {"status": "generated", "div": narrative},
        "extension": [{"url": urn, "valueUri": urn}], "code": {"coding": [{"system": urn, "code": "c"}]},
        "subject": {"reference": urn}, "focus": [{"reference": f"{urn}/_history/1"}, {"reference": "Patient/x"}],
    }  # fmt: skip
    medication = {
        "resourceType": "MedicationRequest", "status": "active", "intent": "order",
        "medicationCodeableConcept": {"text": "m"}, "subject": {"reference": urn},
        "instantiatesCanonical": [urn], "instantiatesUri": [urn],
    }  # fmt: skip
    condition = by_identifier(value)
    return urn, [entry(observation), entry(medication), entry(patient(value), urn, ifNoneExist=condition)]


def test_transaction_rewrites_links_to_entries_and_keeps_canonicals(start: Client) -> None:
    client = start()
    urn, entries = linked(uuid.uuid4().hex)
    response = transact(client, *entries)
    assert response.status_code == 200, response.text
    observation, medication, created = (e["resource"] for e in parsed(response)["entry"])
    ref = f"Patient/{created['id']}"
    assert observation["subject"] == medication["subject"] == {"reference": ref}
    assert observation["focus"] == [{"reference": f"{ref}/_history/1"}, {"reference": "Patient/x"}]
    assert observation["meta"]["source"] == observation["code"]["coding"][0]["system"] == ref
    assert observation["meta"]["profile"] == [urn] and observation["extension"] == [{"url": urn, "valueUri": ref}]
    div = observation["text"]["div"]
    assert f'<a href="{ref}">p</a><img src="{ref}"/><a href="http://x.org/">' in div
    assert medication["instantiatesCanonical"] == [urn] and medication["instantiatesUri"] == [ref]
    assert parsed(client.get(f"/Observation/{observation['id']}")) == observation


def test_transaction_response_has_one_entry_per_request_in_order(start: Client) -> None:
    client = start()
    bundle = parsed(transact(client, *linked(uuid.uuid4().hex)[1]))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction-response"
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types == ["Observation", "MedicationRequest", "Patient"]
    for item in bundle["entry"]:
        resource, rtype = item["resource"], item["resource"]["resourceType"]
        assert item["fullUrl"] == f"{base_of(client)}/{rtype}/{resource['id']}"
        assert item["response"] == {
            "status": "201 Created",
            "location": f"{rtype}/{resource['id']}/_history/1",
            "etag": 'W/"1"',
            "lastModified": resource["meta"]["lastUpdated"],
        }


def test_rerunning_a_transaction_maps_the_condition_to_the_existing_resource(start: Client) -> None:
    client = start()
    value = uuid.uuid4().hex
    first, second = (parsed(transact(client, *linked(value)[1]))["entry"] for _ in range(2))
    assert second[2]["response"]["status"] == "200 OK" and second[2]["resource"] == first[2]["resource"]
    assert second[2]["response"]["location"] == first[2]["response"]["location"]
    assert second[0]["response"]["status"] == "201 Created"
    assert second[0]["resource"]["subject"] == {"reference": f"Patient/{first[2]['resource']['id']}"}
    assert count(client, value) == 1 and count(client, value, "Observation") == 2


def test_two_entries_with_one_condition_store_one_resource(start: Client) -> None:
    client = start()
    urn = f"urn:uuid:{uuid.uuid4()}"
    sent = patient(managingOrganization={"reference": urn})
    condition = by_identifier(value_of(sent))
    organization = entry({"resourceType": "Organization", "name": "Ward"}, urn)
    response = transact(client, *(entry(sent, ifNoneExist=condition) for _ in range(2)), organization)
    first, second, created = parsed(response)["entry"]
    assert [first["response"]["status"], second["response"]["status"]] == ["201 Created", "200 OK"]
    assert first["resource"]["managingOrganization"] == {"reference": f"Organization/{created['resource']['id']}"}
    assert second["resource"] == first["resource"] == parsed(client.get(f"/Patient/{first['resource']['id']}"))
    assert count(client, value_of(sent)) == 1


def test_a_condition_with_two_matches_fails_the_whole_transaction(start: Client) -> None:
    client = start()
    value, _ = seeded(client, 2)
    other = patient()
    outcome = assert_outcome(
        transact(client, entry(other), entry(patient(value), ifNoneExist=by_identifier(value))), 412
    )
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1]"]
    assert count(client, value_of(other)) == 0 and count(client, value) == 2


def test_an_invalid_entry_fails_the_whole_transaction(start: Client) -> None:
    client = start(validates=True)
    first = patient()
    outcome = assert_outcome(transact(client, entry(first), entry(patient(name="Bob"))), 400)
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1]"]
    assert count(client, value_of(first)) == 0


def test_if_none_exist_in_another_letter_case_is_no_condition(start: Client) -> None:
    client = start()
    value, _ = seeded(client)
    response = transact(client, entry(patient(value), IfNoneExist=by_identifier(value)))
    assert parsed(response)["entry"][0]["response"]["status"] == "201 Created"
    assert count(client, value) == 2


def _bundle(**changes: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [entry(patient())], **changes}


def _entry(**changes: Any) -> dict[str, Any]:
    return _bundle(entry=[entry(patient()), {**entry(patient()), **changes}])


REFUSED = {
    "batch": _bundle(type="batch"),
    "collection": _bundle(type="collection"),
    "no-type": {"resourceType": "Bundle", "entry": []},
    "entry-not-an-array": _bundle(entry={}),
    "same-full-url": _bundle(entry=[entry(patient(), "urn:uuid:1"), entry(patient(), "urn:uuid:1")]),
    "get": _entry(request={"method": "GET", "url": "Patient/x"}),
    "no-request": _entry(request=None),
    "other-type": _entry(request={"method": "POST", "url": "Observation"}),
    "url-with-query": _entry(request={"method": "POST", "url": "Patient?identifier=x"}),
    "url-not-a-string": _entry(request={"method": "POST", "url": ["Patient"]}),
    "no-resource": _entry(resource=None),
    "condition-not-a-string": _entry(request={"method": "POST", "url": "Patient", "ifNoneExist": 5}),
    "empty-condition": _entry(request={"method": "POST", "url": "Patient", "ifNoneExist": ""}),
    "not-a-bundle": patient(),
}


@pytest.mark.parametrize("bundle", REFUSED.values(), ids=REFUSED.keys())
def test_transactions_the_server_does_not_process_get_400_and_store_nothing(
    start: Client, bundle: dict[str, Any]
) -> None:
    client = start()
    assert_outcome(post(client, bundle, "/"), 400)
    entries = bundle.get("entry")
    for item in entries if isinstance(entries, list) else []:
        if isinstance(item["resource"], dict):
            assert count(client, value_of(item["resource"])) == 0


def test_an_empty_transaction_answers_an_empty_response(start: Client) -> None:
    response = transact(start())
    assert response.status_code == 200 and parsed(response) == {
        "resourceType": "Bundle",
        "type": "transaction-response",
    }


@pytest.mark.parametrize(("prefer", "kind"), [("return=minimal", None), ("return=OperationOutcome", "outcome")])
def test_transaction_entries_honour_prefer(start: Client, prefer: str, kind: str | None) -> None:
    response = transact(start(), entry(patient()), Prefer=prefer)
    (item,) = parsed(response)["entry"]
    assert "resource" not in item and item["response"]["status"] == "201 Created"
    if kind is None:
        assert "outcome" not in item["response"]
    else:
        assert item["response"]["outcome"]["resourceType"] == "OperationOutcome"


def test_transaction_conditions_match_only_within_the_tenant(start: Client) -> None:
    sent = patient()
    condition = by_identifier(value_of(sent))
    with tenant_client(start, "key-a") as a, tenant_client(start, "key-b") as b:
        (in_a,) = parsed(transact(a, entry(sent, ifNoneExist=condition)))["entry"]
        (in_b,) = parsed(transact(b, entry(sent, ifNoneExist=condition)))["entry"]
    assert in_a["response"]["status"] == in_b["response"]["status"] == "201 Created"
    assert in_b["resource"]["meta"]["tag"] == [{"system": TENANT_SYSTEM, "code": "b"}]


@pytest.mark.parametrize("suffix", ["", "/"])
def test_transactions_are_posted_to_the_base(start: Client, suffix: str) -> None:
    client = start(base_path="/v1/fhir")
    response = transact(client, entry(patient()), path=base_of(client) + suffix)
    assert response.status_code == 200, response.text


# -- the link rewriting rules ---------------------------------------------------------------------

URN = "urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7"
REF = "Patient/p1"


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ({"subject": {"reference": URN}}, {"subject": {"reference": REF}}),
        ({"subject": {"reference": f"{URN}/_history/9"}}, {"subject": {"reference": f"{REF}/_history/3"}}),
        ({"subject": {"reference": "urn:uuid:elsewhere"}}, {"subject": {"reference": "urn:uuid:elsewhere"}}),
        ({"identifier": [{"system": URN, "value": URN}]}, {"identifier": [{"system": REF, "value": URN}]}),
        ({"photo": [{"url": URN}], "implicitRules": URN}, {"photo": [{"url": REF}], "implicitRules": REF}),
        ({"meta": {"source": URN, "profile": [URN]}}, {"meta": {"source": REF, "profile": [URN]}}),
        ({"extension": [{"url": URN, "valueUuid": URN}]}, {"extension": [{"url": URN, "valueUuid": REF}]}),
        ({"extension": [{"url": URN, "valueCanonical": URN}]}, {"extension": [{"url": URN, "valueCanonical": URN}]}),
        ({"_birthDate": {"extension": [{"url": URN, "valueOid": URN}]}},
         {"_birthDate": {"extension": [{"url": URN, "valueOid": REF}]}}),
        ({"instantiatesCanonical": [URN], "instantiatesUri": [URN]},
         {"instantiatesCanonical": [URN], "instantiatesUri": [REF]}),
        ({"contained": [{"subject": {"reference": URN}}]}, {"contained": [{"subject": {"reference": REF}}]}),
        ({"note": [{"text": URN}], "name": [{"text": URN}]}, {"note": [{"text": URN}], "name": [{"text": URN}]}),
        ({"div": f"<a class='x' href='{URN}'>a</a><img\nsrc=\"{URN}\"/><b title=\"{URN}\"/><a data-href=\"{URN}\"/>"},
         {"div": f"<a class='x' href='{REF}'>a</a><img\nsrc=\"{REF}\"/><b title=\"{URN}\"/><a data-href=\"{URN}\"/>"}),
    ],
)  # fmt: skip
def test_rewriting_replaces_references_uris_and_narrative_links_but_no_canonical(element: Any, expected: Any) -> None:
    target = {"resourceType": "Patient", "id": "p1", "meta": {"versionId": "3"}}
    assert rewrite(element, resolver({URN: target}), REWRITTEN) == expected
