"""Each fault of conditional create and transactions breaks exactly the behaviours it names, probed on the
reference server directly; a few faults are shown in detail."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Client
from tests.test_server import assert_outcome, base_of, parsed, post
from tests.test_server_conditional import (
    FAULTS,
    by_identifier,
    count,
    create,
    entry,
    linked,
    patient,
    race_round,
    races,
    seeded,
    transact,
    value_of,
)


def _header_none(client: httpx.Client) -> None:
    sent = patient()
    assert create(client, sent, by_identifier(value_of(sent))).status_code == 201
    assert count(client, value_of(sent)) == 1


def _header_one(client: httpx.Client) -> None:
    value, (first,) = seeded(client)
    response = create(client, patient(value), by_identifier(value))
    assert response.status_code == 200 and parsed(response)["id"] == first["id"] and count(client, value) == 1


def _header_versions(client: httpx.Client) -> None:
    """One match: Location, ETag and Last-Modified are the matched resource's, as its create gave them."""
    sent = patient()
    first = post(client, sent)
    again = create(client, patient(value_of(sent)), by_identifier(value_of(sent)))
    assert [again.headers.get(h) for h in ("location", "etag", "last-modified")] == [
        first.headers.get(h) for h in ("location", "etag", "last-modified")
    ]


def _header_prefer(client: httpx.Client) -> None:
    """One match: the body is what Prefer asks for (each request matching a Patient of its own)."""
    kinds = {"representation": "Patient", "OperationOutcome": "OperationOutcome"}
    for prefer, kind in kinds.items():
        value, _ = seeded(client)
        response = create(client, patient(value), by_identifier(value), Prefer=f"return={prefer}")
        assert parsed(response)["resourceType"] == kind


def _header_and(client: httpx.Client) -> None:
    """Two parameters are ANDed: one that matches nothing leaves nothing matched."""
    value, _ = seeded(client, name=[{"family": "Anders"}])
    assert create(client, patient(value), f"{by_identifier(value)}&name=Someone").status_code == 201


def _header_multiple(client: httpx.Client) -> None:
    value, _ = seeded(client, 2)
    assert create(client, patient(value), by_identifier(value)).status_code == 412 and count(client, value) == 2


def _multiple_outcome(client: httpx.Client) -> None:
    value, _ = seeded(client, 2)
    assert_outcome(create(client, patient(value), by_identifier(value)), 412)


def _empty_condition(client: httpx.Client) -> None:
    seeded(client)  # something a condition that took "empty" for "everything" would match
    assert_outcome(create(client, patient(), ""), 400)


def _query_one(client: httpx.Client) -> None:
    value, (first,) = seeded(client)
    response = post(client, patient(value), f"/Patient?{by_identifier(value)}")
    assert response.status_code == 200 and parsed(response)["id"] == first["id"] and count(client, value) == 1


def _query_multiple(client: httpx.Client) -> None:
    value, _ = seeded(client, 2)
    response = post(client, patient(value), f"/Patient?{by_identifier(value)}")
    assert response.status_code == 412 and count(client, value) == 2


def _race(send: races.Send) -> Callable[[httpx.Client], None]:
    # One round: a racing fault duplicates in the first (test_race_reliability shows it 20 times of 20).
    def probe(client: httpx.Client) -> None:
        assert race_round(base_of(client), send)[1] == 1

    return probe


def _bundle_condition(client: httpx.Client) -> None:
    value, (first,) = seeded(client)
    (item,) = parsed(transact(client, entry(patient(value), ifNoneExist=by_identifier(value))))["entry"]
    assert item["response"]["status"] == "200 OK" and item["resource"]["id"] == first["id"]


def _bundle_case(client: httpx.Client) -> None:
    value, _ = seeded(client)
    transact(client, entry(patient(value), IfNoneExist=by_identifier(value)))
    assert count(client, value) == 2


def _bundle_multiple(client: httpx.Client) -> None:
    value, _ = seeded(client, 2)
    other = patient()
    response = transact(client, entry(other), entry(patient(value), ifNoneExist=by_identifier(value)))
    assert response.status_code == 412 and count(client, value_of(other)) == 0


def _bundle_atomic(client: httpx.Client) -> None:
    first = patient()
    assert transact(client, entry(first), entry(patient(), url="Observation")).status_code == 400
    assert count(client, value_of(first)) == 0


def _bundle_outcome(client: httpx.Client) -> None:
    assert_outcome(transact(client, entry(patient()), entry(patient(), url="Observation")), 400)


def _linked(client: httpx.Client) -> tuple[str, str, dict[str, Any], list[dict[str, Any]]]:
    """Run the linked transaction: the urn, the reference it became, the Observation stored, every entry."""
    urn, entries = linked(uuid.uuid4().hex)
    items = parsed(transact(client, *entries))["entry"]
    observation, _, created = (e["resource"] for e in items)
    return urn, f"Patient/{created['id']}", observation, items


def _link(check: Callable[[str, str, dict[str, Any], list[dict[str, Any]]], bool]) -> Callable[[httpx.Client], None]:
    def probe(client: httpx.Client) -> None:
        assert check(*_linked(client))

    return probe


PROBES: dict[str, Callable[[httpx.Client], None]] = {
    "header-none": _header_none,
    "header-one": _header_one,
    "header-versions": _header_versions,
    "header-prefer": _header_prefer,
    "header-and": _header_and,
    "header-multiple": _header_multiple,
    "multiple-outcome": _multiple_outcome,
    "empty-condition": _empty_condition,
    "query-one": _query_one,
    "query-multiple": _query_multiple,
    "race": _race(races.by_header),
    "bundle-race": _race(races.in_transaction),
    "bundle-condition": _bundle_condition,
    "bundle-case": _bundle_case,
    "bundle-multiple": _bundle_multiple,
    "bundle-atomic": _bundle_atomic,
    "bundle-outcome": _bundle_outcome,
    "link-reference": _link(lambda urn, ref, obs, items: obs["subject"]["reference"] == ref),
    "link-version": _link(lambda urn, ref, obs, items: obs["focus"][0]["reference"] == f"{ref}/_history/1"),
    "link-uri": _link(lambda urn, ref, obs, items: obs["meta"]["source"] == ref),
    "link-narrative": _link(lambda urn, ref, obs, items: f'href="{ref}"' in obs["text"]["div"]),
    "link-canonical": _link(lambda urn, ref, obs, items: obs["meta"]["profile"] == [urn]),
    "response-order": _link(lambda urn, ref, obs, items: items[2]["resource"]["resourceType"] == "Patient"),
    "response-location": _link(lambda urn, ref, obs, items: all("location" in i["response"] for i in items)),
    "response-etag": _link(lambda urn, ref, obs, items: all("etag" in i["response"] for i in items)),
}
# What each fault breaks, and nothing else: "" is the correct server.
BREAKS = {
    "": set(),
    "condition-ignored": {"header-one", "header-versions", "header-multiple", "multiple-outcome", "race"},
    "condition-first-parameter-only": {"header-and"},
    "no-match-refused": {"header-none", "header-and", "race"},
    "multiple-matches-create": {"header-multiple", "multiple-outcome", "query-multiple"},
    "multiple-matches-200": {"header-multiple", "multiple-outcome", "query-multiple"},
    "multiple-matches-bare-412": {"multiple-outcome"},
    "one-match-201": {"header-one", "query-one"},
    "one-match-duplicates": {"header-one", "query-one", "race"},
    "one-match-new-body": {"header-one", "query-one"},
    "one-match-other-version": {"header-versions"},
    "one-match-prefer-ignored": {"header-prefer"},
    "empty-condition-matches-all": {"empty-condition"},
    "query-condition-ignored": {"query-one", "query-multiple"},
    "query-one-match-201": {"query-one"},
    "check-then-insert-race": {"race"},
    "bundle-condition-ignored": {"bundle-condition", "bundle-race", "bundle-multiple"},
    "bundle-condition-any-case": {"bundle-case"},
    "bundle-multiple-matches-first": {"bundle-multiple"},
    "bundle-check-then-insert-race": {"bundle-race"},
    "bundle-not-atomic": {"bundle-atomic", "bundle-multiple"},
    "urn-references-kept": {"link-reference", "link-version"},
    "urn-uris-kept": {"link-uri"},
    "urn-narrative-kept": {"link-narrative"},
    "canonical-rewritten": {"link-canonical"},
    "urn-version-dropped": {"link-version"},
    "bundle-response-reversed": {"response-order", "link-reference", "link-version", "link-uri", "link-narrative",
                                 "link-canonical"},
    "bundle-entry-no-location": {"response-location"},
    "bundle-entry-no-etag": {"response-etag"},
    "bundle-failure-bare": {"bundle-outcome"},
}  # fmt: skip


def test_every_fault_of_the_families_is_in_the_matrix() -> None:
    assert sorted(BREAKS) == sorted(["", *(fault.name for fault in FAULTS)])


@pytest.mark.parametrize("fault", BREAKS, ids=lambda name: name or "correct")
def test_each_fault_breaks_exactly_its_behaviours(start: Client, fault: str) -> None:
    client = start(conditional_query=True, faults=frozenset({fault} - {""}))
    broken = set()
    for name, probe in PROBES.items():
        try:
            probe(client)
        except Exception:  # a probe that cannot even read the answer found it broken too
            broken.add(name)
    assert broken == BREAKS[fault]


def _detail_multiple_matches_create(client: httpx.Client) -> None:
    value, _ = seeded(client, 2)
    assert create(client, patient(value), by_identifier(value)).status_code == 201 and count(client, value) == 3


def _detail_multiple_matches_200(client: httpx.Client) -> None:
    value, (first, _) = seeded(client, 2)
    response = create(client, patient(value), by_identifier(value))
    assert response.status_code == 200 and parsed(response)["id"] == first["id"] and count(client, value) == 2


def _detail_one_match_201(client: httpx.Client) -> None:
    value, (first,) = seeded(client)
    response = create(client, patient(value), by_identifier(value))
    assert response.status_code == 201 and parsed(response)["id"] == first["id"] and count(client, value) == 1


def _detail_one_match_duplicates(client: httpx.Client) -> None:
    value, (first,) = seeded(client)
    response = create(client, patient(value), by_identifier(value))
    assert response.status_code == 200 and parsed(response)["id"] == first["id"] and count(client, value) == 2


def _detail_bundle_not_atomic(client: httpx.Client) -> None:
    first = patient()
    assert_outcome(transact(client, entry(first), entry(patient(), url="Observation")), 400)
    assert count(client, value_of(first)) == 1


def _detail_empty_condition_matches_all(client: httpx.Client) -> None:
    seeded(client, 2)
    assert create(client, patient(), "&").status_code == 412


def _detail_bundle_multiple_matches_first(client: httpx.Client) -> None:
    value, (first, _) = seeded(client, 2)
    (item,) = parsed(transact(client, entry(patient(value), ifNoneExist=by_identifier(value))))["entry"]
    assert item["response"]["status"] == "200 OK" and item["resource"]["id"] == first["id"]


FAULT_DETAILS = {
    "multiple-matches-create": _detail_multiple_matches_create,
    "multiple-matches-200": _detail_multiple_matches_200,
    "one-match-201": _detail_one_match_201,
    "one-match-duplicates": _detail_one_match_duplicates,
    "bundle-not-atomic": _detail_bundle_not_atomic,
    "empty-condition-matches-all": _detail_empty_condition_matches_all,
    "bundle-multiple-matches-first": _detail_bundle_multiple_matches_first,
}


@pytest.mark.parametrize("name", sorted(FAULT_DETAILS))
def test_fault_details(start: Client, name: str) -> None:
    FAULT_DETAILS[name](start(faults=frozenset({name})))
