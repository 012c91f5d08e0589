"""Conditional creates and transactions on the multi-tenant reference server: a tenant's conditions match and count
its own resources only, and its transaction entries get its tag; the faults that widen the match, or drop the tag."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.conftest import Client
from tests.test_server import TENANT_SYSTEM, parsed, post, tenant_client
from tests.test_server_conditional import by_identifier, create, entry, patient, seeded, transact

Send = Callable[[httpx.Client, str], object]


def _header(client: httpx.Client, value: str) -> object:
    """Send a conditional create naming the identifier value; return its status."""
    return create(client, patient(value), by_identifier(value)).status_code


def _entry(client: httpx.Client, value: str) -> object:
    """Send a transaction of one entry conditional on the identifier value; return its status, else the HTTP one."""
    response = transact(client, entry(patient(value), ifNoneExist=by_identifier(value)))
    return parsed(response)["entry"][0]["response"]["status"] if response.status_code == 200 else response.status_code


def _answers(a: httpx.Client, b: httpx.Client, send: Send) -> list[object]:
    """b's answers to a condition naming what only a holds, then to one naming b's one resource beside a's two."""
    alone, _ = seeded(a)
    shared, _ = seeded(a, 2)
    post(b, patient(shared))
    return [send(b, alone), send(b, shared)]


@pytest.mark.parametrize(
    ("fault", "header", "bundle"),
    [
        ("", [201, 200], ["201 Created", "200 OK"]),
        ("condition-across-tenants", [200, 412], ["201 Created", "200 OK"]),
        ("bundle-condition-across-tenants", [201, 200], ["200 OK", 412]),
    ],
    ids=["correct", "condition-across-tenants", "bundle-condition-across-tenants"],
)
def test_conditions_match_and_count_the_callers_tenant_only(
    start: Client, fault: str, header: list[object], bundle: list[object]
) -> None:
    faults = (fault,) if fault else ()
    with tenant_client(start, "key-a", *faults) as a, tenant_client(start, "key-b", *faults) as b:
        assert [_answers(a, b, _header), _answers(a, b, _entry)] == [header, bundle]


@pytest.mark.parametrize("fault", ["", "tenant-tag-missing"], ids=["correct", "tenant-tag-missing"])
def test_transaction_entries_get_the_tenant_tag(start: Client, fault: str) -> None:
    with tenant_client(start, "key-a", *((fault,) if fault else ())) as a:
        (item,) = parsed(transact(a, entry(patient())))["entry"]
        tags = item["resource"]["meta"].get("tag", [])
        assert ({"system": TENANT_SYSTEM, "code": "a"} in tags) == (not fault)
