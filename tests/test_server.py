"""Self-tests of the embedded reference server: its FHIR behaviour, storage, CLI and every fault."""

from __future__ import annotations

import copy
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import fhirjson
from conformance.fhirjson import parse_instant
from conformance.server import ServerConfig, serve
from conformance.server import __main__ as cli
from conformance.server.faults import REGISTRY, STAGES
from conformance.server.search import index_entries
from conformance.server.storage import Criterion, DuplicateId, Match, MultipleMatches, Storage
from tests.conftest import Client

REPO = Path(__file__).resolve().parents[1]
FHIR_JSON_TYPE = "application/fhir+json"
FHIR_JSON = {"Content-Type": FHIR_JSON_TYPE}
TENANT_SYSTEM = "https://clinikapi.com/tenant"
TENANTS = {"key-a": f"{TENANT_SYSTEM}|a", "key-b": f"{TENANT_SYSTEM}|b"}
# Samples as text, so 1.50 and 72.50 keep their precision on the way out.
SAMPLES = {
    "Patient": """{"resourceType": "Patient", "identifier": [{"system": "urn:test", "value": "?"}],
        "active": true, "name": [{"family": "\u00c5lvarez", "given": ["Bob"]}],
        "extension": [{"url": "http://example.org/weight", "valueDecimal": 1.50}]}""",
    "Observation": """{"resourceType": "Observation", "identifier": [{"system": "urn:test", "value": "?"}],
        "status": "final", "code": {"text": "weight"}, "valueQuantity": {"value": 72.50, "unit": "kg"}}""",
}


def sample(rtype: str = "Patient", **extra: Any) -> dict[str, Any]:
    """A fresh resource with a unique identifier value."""
    resource: dict[str, Any] = fhirjson.loads(SAMPLES[rtype])
    resource["identifier"][0]["value"] = uuid.uuid4().hex
    resource.update(extra)
    return resource


def post(client: httpx.Client, resource: Any, path: str = "", **headers: str) -> httpx.Response:
    """POST a resource (or raw text) as FHIR JSON to its type."""
    body = resource if isinstance(resource, str) else fhirjson.dumps(resource)
    url = path or f"/{resource['resourceType']}"
    return client.post(url, content=body.encode(), headers={**FHIR_JSON, **headers})


def base_of(client: httpx.Client) -> str:
    """The FHIR base a client talks to, without a trailing slash."""
    return str(client.base_url).rstrip("/")


def parsed(response: httpx.Response) -> Any:
    """The body of a response, decimals exact."""
    return fhirjson.loads(response.text)


def assert_outcome(response: httpx.Response, status: int, severity: str = "error") -> dict[str, Any]:
    """The response has `status` and a FHIR JSON OperationOutcome of `severity`."""
    assert response.status_code == status, response.text
    assert fhirjson.media_type(response.headers["content-type"]) == "application/fhir+json"
    outcome: dict[str, Any] = parsed(response)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == severity
    assert outcome["issue"][0]["code"] and outcome["issue"][0]["diagnostics"]
    return outcome


# -- create ------------------------------------------------------------------------------------


def test_create_answers_201_with_location_etag_and_last_modified(start: Client) -> None:
    client = start()
    sent = sample()
    response = post(client, sent)
    assert response.status_code == 201
    body = parsed(response)
    rid, meta = body["id"], body["meta"]
    assert re.fullmatch(r"[0-9a-f-]{36}", rid)
    assert response.headers["location"] == f"{base_of(client)}/Patient/{rid}/_history/1"
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["content-type"] == "application/fhir+json; charset=utf-8"
    assert meta["versionId"] == "1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", meta["lastUpdated"])
    moment = parse_instant(meta["lastUpdated"])
    assert moment is not None
    assert parsedate_to_datetime(response.headers["last-modified"]) == moment.replace(microsecond=0)
    assert {k: v for k, v in body.items() if k not in ("id", "meta")} == sent


def test_create_keeps_decimals_exactly_in_response_read_and_vread(start: Client) -> None:
    client = start()
    response = post(client, sample("Observation"))
    assert '"value":72.50' in response.text
    assert '"value":72.50' in client.get(f"/Observation/{parsed(response)['id']}").text
    assert '"value":72.50' in client.get(response.headers["location"]).text


def test_create_ignores_client_id_and_meta_but_keeps_other_meta(start: Client) -> None:
    tag = {"system": "urn:tags", "code": "mine"}
    meta = {"versionId": "77", "lastUpdated": "2001-01-01T00:00:00Z", "tag": [tag], "profile": ["urn:p"]}
    body = parsed(post(start(), sample(id="client-chosen", meta=meta)))
    assert body["id"] != "client-chosen"
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"] != "2001-01-01T00:00:00Z"
    assert body["meta"]["tag"] == [tag] and body["meta"]["profile"] == ["urn:p"]


@pytest.mark.parametrize(
    ("prefer", "kind"),
    [
        (None, "Patient"),
        ("return=representation", "Patient"),
        ("return=minimal", None),
        ("return=OperationOutcome", "OperationOutcome"),
        ('respond-async; return="minimal"', None),
    ],
)
def test_create_honours_prefer(start: Client, prefer: str | None, kind: str | None) -> None:
    headers = {"Prefer": prefer} if prefer else {}
    response = post(start(), sample(), **headers)
    assert response.status_code == 201 and "location" in response.headers
    if kind is None:
        assert response.content == b"" and "content-type" not in response.headers
    else:
        assert parsed(response)["resourceType"] == kind
    if kind == "OperationOutcome":
        assert_outcome(response, 201, severity="information")


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/Patient", '{"resourceType": "Patient"}', {"Content-Type": "text/plain"}, 415),
        ("/Patient", '{"resourceType": "Patient"}', {"Content-Type": "application/xml"}, 415),
        ("/Patient", '{"resourceType": "Patient"}', {"Accept": "application/fhir+xml"}, 406),
        ("/Patient", '{"resourceType": "Patient"}', {"Accept": "application/json;q=0"}, 406),
        ("/Patient?_format=xml", '{"resourceType": "Patient"}', {}, 406),
        ("/Nonsense", '{"resourceType": "Nonsense"}', {}, 404),
        ("/Patient", '{"resourceType": "Patient",', {}, 400),
        ("/Patient", "", {}, 400),
        ("/Patient", "  ", {}, 400),
        ("/Patient", "[]", {}, 400),
        ("/Patient", '"Patient"', {}, 400),
        ("/Patient", '{"active": true}', {}, 400),
        ("/Patient", '{"resourceType": "Observation"}', {}, 400),
        ("/Patient", '{"resourceType": "Patient", "extension": [{"valueDecimal": NaN}]}', {}, 400),
        ("/Patient", b'{"resourceType": "Patient", "x": "\xff"}', {}, 400),
        ("/Patient", "[" * 100_000 + "]" * 100_000, {}, 400),  # deeper than the parser goes
        ("/Patient/_search", '{"resourceType": "Patient"}', {}, 405),
        ("/Patient", "x" * (16 * 1024 * 1024 + 1), {}, 413),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else None,
)
def test_create_refusals_carry_an_operation_outcome(
    start: Client, path: str, body: str | bytes, headers: dict[str, str], status: int
) -> None:
    content = body if isinstance(body, bytes) else body.encode()
    response = start().post(path, content=content, headers={**FHIR_JSON, **headers})
    assert_outcome(response, status)


@pytest.mark.parametrize(
    "accept",
    [
        "application/fhir+json",
        "application/json",
        "*/*",
        "application/*",
        "text/html, application/json;q=0.5",
    ],
)
def test_create_accepts_json_accept_headers(start: Client, accept: str) -> None:
    assert post(start(), sample(), Accept=accept).status_code == 201


def test_create_accepts_application_json_with_charset(start: Client) -> None:
    response = post(start(), sample(), **{"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201


# -- read, vread, delete, search, metadata ---------------------------------------------------


def test_read_vread_and_delete(start: Client) -> None:
    client = start()
    created = post(client, sample())
    rid = parsed(created)["id"]
    read = client.get(f"/Patient/{rid}")
    assert read.status_code == 200 and parsed(read) == parsed(created)
    assert read.headers["etag"] == 'W/"1"' and read.headers["last-modified"] == created.headers["last-modified"]
    assert parsed(client.get(f"/Patient/{rid}/_history/1")) == parsed(created)
    assert_outcome(client.get(f"/Patient/{rid}/_history/9"), 404)
    assert_outcome(client.get("/Patient/unknown"), 404)
    assert client.delete(f"/Patient/{rid}").status_code == 204
    assert_outcome(client.get(f"/Patient/{rid}"), 410)
    assert_outcome(client.get(f"/Patient/{rid}/_history/2"), 410)
    assert client.get(f"/Patient/{rid}/_history/1").status_code == 200  # history stays readable
    assert client.delete(f"/Patient/{rid}").status_code == 204  # R4 delete is idempotent
    assert client.delete("/Patient/never-was").status_code == 204


def search(client: httpx.Client, query: str, rtype: str = "Patient") -> list[str]:
    """Search and return the ids found, checking the searchset Bundle's shape."""
    response = client.get(f"/{rtype}?{query}")
    assert response.status_code == 200, response.text
    bundle = parsed(response)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    entries = bundle.get("entry", [])
    for entry in entries:
        assert entry["fullUrl"] == f"{base_of(client)}/{rtype}/{entry['resource']['id']}"
        assert entry["search"] == {"mode": "match"}
    if "_count" not in query:
        assert bundle["total"] == len(entries)
    return [entry["resource"]["id"] for entry in entries]


def test_search_by_id_identifier_tag_and_name(start: Client) -> None:
    client = start()
    value = uuid.uuid4().hex
    tag = {"system": "urn:tags", "code": value}
    first = parsed(post(client, sample(meta={"tag": [tag]})))
    first_value = first["identifier"][0]["value"]
    second = parsed(post(client, sample(name=[{"text": f"Zoë {value}"}])))
    second_value = second["identifier"][0]["value"]
    ids = first["id"], second["id"]
    assert search(client, f"_id={ids[0]}") == [ids[0]]
    assert search(client, f"identifier=urn:test|{first_value}") == [ids[0]]
    assert search(client, f"identifier={first_value},{second_value}") == list(ids)
    assert search(client, f"identifier=|{first_value}") == []
    assert search(client, f"identifier=urn:test|&_id={ids[1]}") == [ids[1]]
    assert search(client, f"identifier=other|{first_value}") == []
    assert search(client, f"_tag=urn:tags|{value}") == [ids[0]]
    assert search(client, f"_tag={value}&identifier={second_value}") == []
    assert search(client, f"name=zoe {value[:6]}") == [ids[1]]
    assert search(client, f"name=ZOË%20{value}&unknown-param=1") == [ids[1]]


def test_search_by_name_and_count(start: Client) -> None:
    client = start()
    family = f"Fam{uuid.uuid4().hex}"
    for _ in range(3):
        post(client, sample(name=[{"family": family, "given": ["Ann"]}]))
    org = parsed(post(client, {"resourceType": "Organization", "name": f"{family} Clinic", "alias": ["FC"]}))
    assert len(search(client, f"name={family.lower()}")) == 3
    assert search(client, f"name={family[:-2]}", "Organization") == [org["id"]]
    bundle = parsed(client.get(f"/Patient?name={family}&_count=2"))
    assert bundle["total"] == 3 and len(bundle["entry"]) == 2
    assert_outcome(client.get("/Patient?_count=-1"), 400)
    assert_outcome(client.get("/Patient?name:exact=x"), 400)
    assert_outcome(client.get("/Unknown?name=x"), 404)


def test_metadata_is_an_r4_capability_statement(start: Client) -> None:
    statement = parsed(start().get("/metadata"))
    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    assert statement["status"] == "active" and statement["kind"] == "instance"
    assert statement["format"] == ["application/fhir+json", "json"]
    rest = statement["rest"][0]
    assert rest["mode"] == "server" and "extension" not in rest
    assert rest["interaction"] == [{"code": "transaction"}]
    by_type = {entry["type"]: entry for entry in rest["resource"]}
    assert len(by_type) == 145 and "Patient" in by_type and "Media" in by_type
    patient = by_type["Patient"]
    assert {i["code"] for i in patient["interaction"]} == {"create", "read", "vread", "delete", "search-type"}
    assert patient["versioning"] == "versioned" and patient["conditionalCreate"] is True
    assert {p["name"] for p in patient["searchParam"]} == {"_id", "identifier", "_tag", "name"}


def test_conditional_query_claim_is_advertised(start: Client) -> None:
    rest = parsed(start(conditional_query=True).get("/metadata"))["rest"][0]
    assert rest["extension"][0]["valueBoolean"] is True


def test_base_path_prefixes_every_route(start: Client) -> None:
    client = start(base_path="/v1/fhir")
    assert base_of(client).endswith("/v1/fhir")
    response = post(client, sample())
    assert response.headers["location"].startswith(f"{base_of(client)}/Patient/")
    assert client.get(response.headers["location"]).status_code == 200
    root = httpx.get(base_of(client).replace("/v1/fhir", "/metadata"))
    assert_outcome(root, 404)


# -- id policy, validation, tenants -----------------------------------------------------------


def test_respect_id_policy_uses_client_ids_and_answers_409_on_duplicates(start: Client) -> None:
    client = start(id_policy="respect")
    rid = f"client-{uuid.uuid4().hex}"
    first = post(client, sample(id=rid, active=True))
    assert first.status_code == 201 and parsed(first)["id"] == rid
    assert first.headers["location"].endswith(f"/Patient/{rid}/_history/1")
    assert_outcome(post(client, sample(id=rid, active=False)), 409)
    assert parsed(client.get(f"/Patient/{rid}"))["active"] is True  # the first resource is unchanged
    assert_outcome(post(client, sample(id="not valid!")), 400)
    assert post(client, sample()).status_code == 201  # no id: the server assigns one


@pytest.mark.parametrize("status", [400, 422])
@pytest.mark.parametrize(
    "change",
    [
        {"name": "Bob"},
        {"birthDate": "yesterday"},
        {"unknownElement": 1},
        {"active": None},
        {"name": []},
        {"name": [{}]},
        {"name": [{"family": "  "}]},
    ],
)
def test_validating_server_rejects_invalid_resources(start: Client, status: int, change: dict[str, Any]) -> None:
    client = start(validates=True, invalid_status=status)
    assert_outcome(post(client, sample(**change)), status)


def test_validating_server_accepts_valid_resources(start: Client) -> None:
    client = start(validates=True, invalid_status=422)
    assert post(client, sample()).status_code == 201
    assert post(client, sample("Observation")).status_code == 201
    # Not a model in fhir.resources.R4B, still an R4 type: only the generic checks apply.
    r4_only = {"resourceType": "MedicinalProduct", "identifier": [{"value": "x"}]}
    assert post(client, r4_only).status_code == 201
    assert_outcome(post(client, {**r4_only, "identifier": []}), 422)  # the generic checks still run
    assert post(start(), sample(name="Bob")).status_code == 201  # a non-validating server stores it


def tenant_client(start: Client, key: str | None, *faults: str) -> httpx.Client:
    """A client of the multi-tenant server (with these faults) sending `key` (or no key)."""
    base = start(api_key_header="x-api-key", tenants=TENANTS, faults=frozenset(faults))
    client = httpx.Client(base_url=base.base_url, timeout=5)
    if key is not None:
        client.headers["x-api-key"] = key
    return client


def test_tenancy_requires_a_known_key_except_for_metadata(start: Client) -> None:
    with tenant_client(start, None) as anonymous, tenant_client(start, "wrong") as wrong:
        assert anonymous.get("/metadata").status_code == 200
        for client in (anonymous, wrong):
            response = post(client, sample())
            assert_outcome(response, 401)
            assert "www-authenticate" in response.headers
            assert_outcome(client.get("/Patient"), 401)
            assert_outcome(client.get("/Patient/x"), 401)


def test_tenant_tag_is_injected_and_cannot_be_spoofed(start: Client) -> None:
    own = {"system": "urn:tags", "code": "mine"}
    spoof = {"system": TENANT_SYSTEM, "code": "b"}
    with tenant_client(start, "key-a") as client:
        body = parsed(post(client, sample(meta={"tag": [own, spoof]})))
        assert body["meta"]["tag"] == [own, {"system": TENANT_SYSTEM, "code": "a"}]
        assert parsed(client.get(f"/Patient/{body['id']}"))["meta"]["tag"] == body["meta"]["tag"]


def test_tenants_are_isolated(start: Client) -> None:
    with tenant_client(start, "key-a") as a, tenant_client(start, "key-b") as b:
        created = post(a, sample())
        rid, value = parsed(created)["id"], parsed(created)["identifier"][0]["value"]
        assert_outcome(b.get(f"/Patient/{rid}"), 404)
        assert_outcome(b.get(created.headers["location"]), 404)
        assert search(b, f"identifier={value}") == [] and search(b, f"_id={rid}") == []
        assert b.delete(f"/Patient/{rid}").status_code == 204
        assert a.get(f"/Patient/{rid}").status_code == 200  # b's delete did not reach a's resource
        assert search(a, f"identifier={value}") == [rid]


# -- storage ----------------------------------------------------------------------------------


def stored(rid: str, value: str = "v") -> dict[str, Any]:
    """A resource as the app hands it to the storage."""
    meta = {"versionId": "1", "lastUpdated": "2026-01-01T00:00:00.000+00:00"}
    return {
        "resourceType": "Patient",
        "id": rid,
        "meta": meta,
        "identifier": [{"system": "s", "value": value}],
    }


@pytest.fixture
def storage() -> Iterator[Storage]:
    store = Storage(":memory:", index_entries)
    yield store
    store.close()


def test_transaction_is_all_or_nothing(storage: Storage) -> None:
    storage.create("", stored("a"))
    with pytest.raises(DuplicateId), storage.transaction():
        storage.create("", stored("b"))
        storage.create("", stored("a"))
    assert storage.read("", "Patient", "b") is None
    assert storage.search("", "Patient", [])[0] == 1


def test_nested_transaction_rolls_back_only_its_own_writes(storage: Storage) -> None:
    with storage.transaction():
        storage.create("", stored("outer"))
        with pytest.raises(RuntimeError), storage.transaction():
            storage.create("", stored("inner"))
            raise RuntimeError("undo the inner block")
    assert storage.read("", "Patient", "outer") is not None
    assert storage.read("", "Patient", "inner") is None


def test_create_checks_and_inserts_atomically_under_concurrency(storage: Storage) -> None:
    barrier = threading.Barrier(16)

    def attempt(_: int) -> bool:
        barrier.wait()
        try:
            storage.create("", stored("same"))
        except DuplicateId:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        assert sum(pool.map(attempt, range(16))) == 1


def test_create_with_if_none_exist_matches_instead_of_creating(storage: Storage) -> None:
    wanted = [Criterion("identifier", (Match(system="s", value="dup"),))]
    first = storage.create("", stored("one", "dup"), if_none_exist=wanted)
    again = storage.create("", stored("two", "dup"), if_none_exist=wanted)
    assert first.created and not again.created and again.resource["id"] == "one"
    storage.create("", stored("three", "dup"))
    with pytest.raises(MultipleMatches):
        storage.create("", stored("four", "dup"), if_none_exist=wanted)
    assert storage.search("", "Patient", wanted)[0] == 2


def test_file_database_uses_wal_and_persists(tmp_path: Path) -> None:
    path = str(tmp_path / "fhir.sqlite")
    store = Storage(path, index_entries)
    store.create("t", stored("kept"))
    store.close()
    reopened = Storage(path, index_entries)
    record = reopened.read("t", "Patient", "kept")
    assert record is not None and record.resource == stored("kept")
    assert reopened.read("other-tenant", "Patient", "kept") is None
    reopened.close()
    assert (tmp_path / "fhir.sqlite-wal").exists() or (tmp_path / "fhir.sqlite").stat().st_size > 0


# -- faults -----------------------------------------------------------------------------------


def test_a_create_without_a_known_key_is_stored_in_the_first_tenant_under_refused_create_stored(start: Client) -> None:
    fault = "refused-create-stored"
    with tenant_client(start, None, fault) as anonymous, tenant_client(start, "key-a", fault) as first:
        assert_outcome(post(anonymous, sample()), 401)
        assert_outcome(anonymous.get("/Patient"), 401)  # only creates get through
        with tenant_client(start, "key-b", fault) as second:
            assert len(search(first, "")) == 1 and search(second, "") == []


def test_read_across_tenants_widens_reads_but_not_searches(start: Client) -> None:
    with (
        tenant_client(start, "key-a", "read-across-tenants") as a,
        tenant_client(start, "key-b", "read-across-tenants") as b,
    ):
        created = parsed(post(a, sample()))
        assert b.get(f"/Patient/{created['id']}").status_code == 200
        assert search(b, f"_id={created['id']}") == []


def _detail_etag_strong(client: httpx.Client) -> None:
    assert post(client, sample()).headers["etag"] == '"1"'


def _detail_last_modified_an_hour_early(client: httpx.Client) -> None:
    response = post(client, sample())
    moment = parse_instant(parsed(response)["meta"]["lastUpdated"])
    assert moment is not None
    early = moment.replace(microsecond=0) - timedelta(hours=1)
    assert parsedate_to_datetime(response.headers["last-modified"]) == early


def _detail_decimals_normalised_on_read_only(client: httpx.Client) -> None:
    response = post(client, sample("Observation"))
    assert '"value":72.50' in response.text
    assert '"value":72.5,' in client.get(f"/Observation/{parsed(response)['id']}").text
    assert '"value":72.50' in client.get(response.headers["location"]).text


def _detail_vread_not_found_but_read_works(client: httpx.Client) -> None:
    response = post(client, sample())
    assert_outcome(client.get(response.headers["location"]), 404)
    assert client.get(f"/Patient/{parsed(response)['id']}").status_code == 200


def _detail_wrong_id_keeps_version(client: httpx.Client) -> None:
    response = post(client, sample())
    assert response.headers["location"].endswith(f"/Patient/{parsed(response)['id']}-x/_history/1")


def _detail_client_meta_drives_headers(client: httpx.Client) -> None:
    meta = {"versionId": "77", "lastUpdated": "2001-01-01T00:00:00Z"}
    response = post(client, sample(meta=meta))
    assert parsed(response)["meta"] == meta
    assert response.headers["etag"] == 'W/"77"' and response.headers["location"].endswith("/_history/77")
    assert response.headers["last-modified"] == "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(response.headers["location"]).status_code == 200


def _detail_text_plain(client: httpx.Client) -> None:
    response = post(client, sample())
    assert response.headers["content-type"] == "text/plain" and parsed(response)["resourceType"] == "Patient"


def _detail_drops_first_client_element(client: httpx.Client) -> None:
    body = parsed(post(client, sample()))
    assert "active" not in body and "name" in body and "identifier" in body
    assert parsed(client.get(f"/Patient/{body['id']}"))["active"] is True  # stored intact


FAULT_DETAILS = {
    "etag-strong": _detail_etag_strong,
    "last-modified-mismatch": _detail_last_modified_an_hour_early,
    "read-loses-decimal-precision": _detail_decimals_normalised_on_read_only,
    "vread-not-found": _detail_vread_not_found_but_read_works,
    "location-wrong-id": _detail_wrong_id_keeps_version,
    "keep-client-meta": _detail_client_meta_drives_headers,
    "content-type-json": _detail_text_plain,
    "response-drops-element": _detail_drops_first_client_element,
}


@pytest.mark.parametrize("name", sorted(FAULT_DETAILS))
def test_fault_details(start: Client, name: str) -> None:
    FAULT_DETAILS[name](start(faults=frozenset({name}), **REGISTRY[name].config))


def test_registry_entries_are_well_formed() -> None:
    catalogue = (REPO / "conformance" / "requirements.csv").read_text().splitlines()
    known = {line.split(",")[0] for line in catalogue[1:]}
    for name, fault in REGISTRY.items():
        assert fault.name == name and fault.stage in STAGES
        assert fault.breaks in known, f"{name} breaks {fault.breaks}, not in the catalogue"
        assert fault.description.endswith(".") and "\n" not in fault.description


def test_unknown_fault_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no-such-fault.*known: status-200"):
        ServerConfig(faults=frozenset({"no-such-fault"}))


@pytest.mark.parametrize(
    "settings",
    [
        {"id_policy": "maybe"},
        {"invalid_status": 500},
        {"base_path": "v1/"},
        {"tenants": {"k": "no-bar"}},
        {"tenants": {"k": "s|c"}},
    ],
)
def test_bad_config_is_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ServerConfig(**settings)


# -- running it ---------------------------------------------------------------------------------


def test_serve_reports_a_port_in_use() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve(ServerConfig(), port=port)


def test_cli_lists_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(REGISTRY)
    assert all(line.split()[:2] == [f.name, f.breaks] for line, f in zip(lines, REGISTRY.values(), strict=True))


@pytest.mark.parametrize("argv", [["--fault", "nope"], ["--tenant", "no-equals-sign"], ["--invalid-status", "500"]])
def test_cli_refuses_bad_arguments_with_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err.splitlines()[-1]


def test_cli_config_merges_faults_from_the_environment() -> None:
    args = cli.build_parser().parse_args(["--fault", "no-etag", "--tenant", "k=s|c", "--api-key-header", "x-k"])
    config = cli.config_from(args, {cli.FAULTS_ENV: "status-200, no-location"})
    assert config.faults == {"no-etag", "status-200", "no-location"}
    assert dict(config.tenants) == {"k": "s|c"}


def test_cli_reads_tenants_from_a_keys_file_with_x_api_key_by_default(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"# clinic keys\nkey-a = {TENANTS['key-a']}\n\nkey-b={TENANTS['key-b']}\n", "utf-8")
    config = cli.config_from(cli.build_parser().parse_args(["--tenants", str(keys)]), {})
    assert dict(config.tenants) == TENANTS and config.api_key_header == "x-api-key"
    with pytest.raises(ValueError, match="--tenants: cannot read"):
        cli.config_from(cli.build_parser().parse_args(["--tenants", str(tmp_path / "none")]), {})


def test_cli_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), cli.FAULTS_ENV: "status-200"}
    command = [sys.executable, "-m", "conformance.server", "--port", "0", "--base-path", "/fhir"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.fullmatch(r"serving FHIR R4 at (http://127\.0\.0\.1:\d+/fhir)\n", line)
        assert url, line
        response = httpx.post(f"{url.group(1)}/Patient", content=fhirjson.dumps(sample()), headers=FHIR_JSON)
        assert response.status_code == 200  # the fault named in the environment is on
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0


def test_config_is_frozen_and_hashable() -> None:
    tenants = {"k": "s|c"}
    config = ServerConfig(faults={"no-etag"}, tenants=tenants, api_key_header="x")  # type: ignore[arg-type]
    tenants["other"] = "s|d"  # the config took a copy
    assert dict(config.tenants) == {"k": "s|c"} and config.faults == frozenset({"no-etag"})
    assert hash(config) == hash(copy.deepcopy(config)) and copy.deepcopy(config) == config
    with pytest.raises(AttributeError):
        config.validates = True  # type: ignore[misc]
