"""Faults of the plain create: status, Location, ETag, Last-Modified, id and meta, round trip, Prefer."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from conformance import fhirjson
from conformance.fhirjson import map_leaves, parse_instant
from conformance.server.faults.model import (
    CREATE_ASSIGN,
    CREATE_RESPONSE,
    CREATE_STORED,
    READ_RESPONSE,
    VREAD_RESPONSE,
    Assignment,
    Fault,
    Reply,
    Stored,
)
from conformance.server.fhirhttp import ID_PATTERN, http_date, location, operation_outcome

# Elements a dropping fault leaves alone: the suite finds its resources by identifier, id and
# meta have faults of their own, and a server may regenerate the narrative (text).
KEPT_ELEMENTS = ("resourceType", "id", "meta", "identifier", "text")


def other_vid(value: str) -> str:
    """A well-formed version id other than `value`."""
    return "2" if value != "2" else "3"


def _location(reply: Reply, rid: str, vid: str | None) -> str:
    return location(reply.base, reply.resource["resourceType"], rid, vid)


def _vid(reply: Reply) -> str:
    return str(reply.resource["meta"]["versionId"])


def _wrong_id(reply: Reply) -> None:
    rid = str(reply.resource["id"])
    # Still a valid id ([A-Za-z0-9\-\.]{1,64}, R4 datatypes.html#id), just not this resource's.
    other = f"{rid}-x" if len(rid) <= 62 else rid[:-1] + ("a" if rid[-1] != "a" else "b")
    reply.headers["Location"] = _location(reply, other, _vid(reply))


def _drop_element(reply: Reply) -> None:
    """Remove the first element the client sent that no other requirement watches."""
    keys = [key for key in reply.body or {} if key not in KEPT_ELEMENTS]
    if reply.body is not None and keys:
        del reply.body[keys[0]]


def _drop_id(reply: Reply) -> None:
    if reply.body is not None:
        reply.body.pop("id", None)


def _normalised(value: Any) -> Any:
    """A decimal written without trailing zeros (1.50 -> 1.5), as a float would; anything else as it is."""
    return Decimal(format(value.normalize(), "f")) if isinstance(value, Decimal) else value


def _drop_meta(element: str) -> Callable[[Reply], None]:
    def drop(reply: Reply) -> None:
        if reply.body is not None and isinstance(reply.body.get("meta"), dict):
            reply.body["meta"].pop(element, None)

    return drop


def _keep_client_id(target: Assignment) -> None:
    original_id = target.original.get("id")
    if target.id_policy == "ignore" and isinstance(original_id, str):
        target.resource["id"] = original_id


def _keep_client_meta(target: Assignment) -> None:
    client = target.original.get("meta")
    if not isinstance(client, dict):
        return
    # Only well-formed values, so the ETag, Location and Last-Modified built from them stay valid.
    if isinstance(client.get("versionId"), str) and ID_PATTERN.fullmatch(client["versionId"]):
        target.resource["meta"]["versionId"] = client["versionId"]
    if parse_instant(client.get("lastUpdated")) is not None:
        target.resource["meta"]["lastUpdated"] = client["lastUpdated"]


def last_modified_early(reply: Reply) -> None:
    moment = parse_instant(reply.resource["meta"]["lastUpdated"])
    if moment is not None:
        reply.headers["Last-Modified"] = http_date(moment - timedelta(hours=1))


def _when_prefer(prefer: str | None, body: Callable[[Reply], dict[str, Any] | None]) -> Callable[[Reply], None]:
    def answer(reply: Reply) -> None:
        if reply.prefer == prefer:
            reply.body = body(reply)

    return answer


def _the_resource(reply: Reply) -> dict[str, Any]:
    return copy.deepcopy(reply.resource)


def _an_outcome(reply: Reply) -> dict[str, Any]:
    return operation_outcome("information", "informational", "created")


def _vread_not_found(reply: Reply) -> None:
    reply.status = 404
    reply.headers.clear()
    reply.body = operation_outcome("error", "not-found", "version not found")


def _set(header: str, value: Callable[[Reply], str]) -> Callable[[Reply], None]:
    def put(reply: Reply) -> None:
        reply.headers[header] = value(reply)

    return put


def _remove(header: str) -> Callable[[Reply], None]:
    def remove(reply: Reply) -> None:
        reply.headers.pop(header, None)

    return remove


def _status(code: int) -> Callable[[Reply], None]:
    def status(reply: Reply) -> None:
        reply.status = code

    return status


def _read_decimals(reply: Reply) -> None:
    reply.body = map_leaves(reply.body, _normalised)


def _store_nothing(target: Stored) -> None:
    """Forget the resource just stored, and answer without a body."""
    resource = target.reply.resource
    target.storage.purge(target.tenant, resource["resourceType"], resource["id"])
    target.reply.body = None


def _lose_earlier(target: Stored) -> None:
    """Delete every earlier resource of the type: the server keeps one per type."""
    resource = target.reply.resource
    rtype = resource["resourceType"]
    _, found = target.storage.search(target.tenant, rtype, [])
    for earlier in found:
        if earlier["id"] != resource["id"]:
            target.storage.delete(target.tenant, rtype, earlier["id"])


def _reuse_id(target: Assignment) -> None:
    """Give every resource of a type the same id, replacing whatever had it."""
    rtype = target.resource["resourceType"]
    shared = f"{rtype.lower()}-shared"
    target.storage.purge(target.tenant, rtype, shared)
    target.resource["id"] = shared


def _cut_body(reply: Reply) -> None:
    """Send the body cut short, as a connection dropped mid-write would."""
    if reply.body is not None:
        text = fhirjson.dumps(reply.body).encode("utf-8")
        reply.raw = text[: len(text) // 2]


# Another port on the same host: an absolute Location a client cannot reach (a proxy's inside address).
FOREIGN_BASE = "http://127.0.0.1:9/fhir"


# fmt: off
FAULTS = [
    Fault("status-200", "create.status.201",
          "Create answers 200 instead of 201.", CREATE_RESPONSE, _status(200)),
    Fault("no-location", "create.location.present",
          "Create sends no Location header.", CREATE_RESPONSE, _remove("Location")),
    Fault("location-without-history", "create.location.version",
          "Location is [base]/[type]/[id] without /_history/[vid] on a versioned resource.",
          CREATE_RESPONSE, _set("Location", lambda r: _location(r, r.resource["id"], None))),
    Fault("location-foreign-base", "create.location.form",
          "Location names another base (another port, as behind a proxy).", CREATE_RESPONSE,
          _set("Location", lambda r: location(FOREIGN_BASE, r.resource["resourceType"], r.resource["id"], _vid(r)))),
    Fault("stores-nothing", "create.location.readable",
          "Create answers 201 with Location, ETag and Last-Modified but no body, and stores nothing.",
          CREATE_STORED, _store_nothing),
    Fault("reuse-id", "create.new.distinct",
          "Every create of a type gets the same id, replacing the resource that had it.", CREATE_ASSIGN, _reuse_id),
    Fault("lose-earlier", "create.new.kept",
          "A create deletes the earlier resources of its type.", CREATE_STORED, _lose_earlier),
    Fault("body-cut-short", "create.content-type",
          "The create response body stops halfway (invalid JSON).", CREATE_RESPONSE, _cut_body),
    Fault("location-wrong-id", "create.location.id",
          "Location names another id (the right one with a suffix).", CREATE_RESPONSE, _wrong_id),
    Fault("location-wrong-version", "create.location.version",
          "Location's _history/[vid] is not meta.versionId.", CREATE_RESPONSE,
          _set("Location", lambda r: _location(r, r.resource["id"], other_vid(_vid(r))))),
    Fault("vread-not-found", "create.location.readable",
          "GET [type]/[id]/_history/[vid] answers 404; plain read still works.",
          VREAD_RESPONSE, _vread_not_found),
    Fault("etag-mismatch", "create.etag.version",
          "Create's ETag names another version than meta.versionId.", CREATE_RESPONSE,
          _set("ETag", lambda r: f'W/"{other_vid(_vid(r))}"')),
    Fault("etag-strong", "create.etag.weak",
          "Create's ETag is strong (no W/ prefix).", CREATE_RESPONSE,
          _set("ETag", lambda r: f'"{_vid(r)}"')),
    Fault("no-etag", "create.etag.present",
          "Create sends no ETag header.", CREATE_RESPONSE, _remove("ETag")),
    Fault("no-last-modified", "create.last-modified.present",
          "Create sends no Last-Modified header.", CREATE_RESPONSE, _remove("Last-Modified")),
    Fault("last-modified-mismatch", "create.last-modified.matches",
          "Last-Modified is one hour before meta.lastUpdated.", CREATE_RESPONSE,
          last_modified_early),
    Fault("content-type-json", "create.content-type",
          "Create responses say Content-Type: text/plain.", CREATE_RESPONSE,
          _set("Content-Type", lambda r: "text/plain")),
    Fault("keep-client-id", "create.id.client-ignored",
          "A client-supplied id in POST is used (id policy ignore).", CREATE_ASSIGN, _keep_client_id),
    Fault("keep-client-meta", "create.meta.client-ignored",
          "Client meta.versionId and meta.lastUpdated are stored instead of the server's.",
          CREATE_ASSIGN, _keep_client_meta),
    Fault("no-id-in-body", "create.id.assigned",
          "The create response body lacks id.", CREATE_RESPONSE,
          _drop_id),
    Fault("no-version-id-in-body", "create.meta.version-id",
          "The create response body lacks meta.versionId.", CREATE_RESPONSE,
          _drop_meta("versionId")),
    Fault("no-last-updated-in-body", "create.meta.last-updated",
          "The create response body lacks meta.lastUpdated.", CREATE_RESPONSE,
          _drop_meta("lastUpdated")),
    Fault("response-drops-element", "create.response.round-trip",
          "The create response body lacks one element the client sent.", CREATE_RESPONSE,
          _drop_element),
    Fault("read-drops-element", "create.read.round-trip",
          "A plain read lacks one element the client sent.", READ_RESPONSE,
          _drop_element),
    Fault("read-loses-decimal-precision", "create.decimal.precision",
          "A plain read writes decimals normalised (1.50 becomes 1.5).", READ_RESPONSE,
          _read_decimals),
    Fault("prefer-minimal-ignored", "create.prefer.minimal",
          "Prefer: return=minimal still gets the resource as body.", CREATE_RESPONSE,
          _when_prefer("minimal", _the_resource)),
    Fault("prefer-representation-ignored", "create.prefer.representation",
          "Prefer: return=representation gets no body.", CREATE_RESPONSE,
          _when_prefer("representation", lambda r: None)),
    Fault("prefer-outcome-ignored", "create.prefer.outcome",
          "Prefer: return=OperationOutcome gets the resource as body.", CREATE_RESPONSE,
          _when_prefer("OperationOutcome", _the_resource)),
    Fault("default-outcome", "create.prefer.default",
          "Without Prefer, create answers with an OperationOutcome as body.", CREATE_RESPONSE,
          _when_prefer(None, _an_outcome)),
]
# fmt: on
