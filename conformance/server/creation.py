"""What a create stores (server-assigned id and meta), and the storage's refusals as HTTP answers."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conformance.server.fhirhttp import ID_PATTERN, FhirError
from conformance.server.storage import FIRST_VERSION, DuplicateId, MultipleMatches, now_instant


def assign(original: dict[str, Any], tenant: str, id_policy: str) -> dict[str, Any]:
    """The resource to store: server-assigned id and meta, the client's other content kept."""
    # R4 http.html#create: the server SHALL ignore a client id, meta.versionId and
    # meta.lastUpdated; other meta (tags, profiles, security) stays.
    client_meta = original.get("meta")
    meta = copy.deepcopy(client_meta) if isinstance(client_meta, dict) else {}
    meta.update(versionId=FIRST_VERSION, lastUpdated=now_instant())
    if tenant:
        meta["tag"] = _tenant_tags(meta.get("tag"), tenant)
    rest = {k: copy.deepcopy(v) for k, v in original.items() if k not in ("resourceType", "id", "meta")}
    return {"resourceType": original["resourceType"], "id": _new_id(original, id_policy), "meta": meta, **rest}


@contextmanager
def refusals() -> Iterator[None]:
    """Answer the storage's refusals: 409 for a taken id, 412 for a condition matching several resources."""
    try:
        yield
    except DuplicateId as exc:
        raise FhirError(409, "duplicate", str(exc)) from None
    except MultipleMatches as exc:
        # R4 http.html#ccreate: "Multiple matches: The server returns a 412 Precondition Failed error".
        raise FhirError(412, "multiple-matches", f"{exc}: the condition is not selective enough") from None


def _new_id(original: dict[str, Any], id_policy: str) -> str:
    """A fresh uuid, or (id policy respect, Aidbox style) the client's own id."""
    client_id = original.get("id")
    if id_policy != "respect" or client_id is None:
        return str(uuid.uuid4())
    if not isinstance(client_id, str) or not ID_PATTERN.fullmatch(client_id):
        raise FhirError(400, "invalid", "id must match [A-Za-z0-9\\-\\.]{1,64} (R4 datatypes.html#id)")
    return client_id


def _tenant_tags(tags: Any, tenant: str) -> list[Any]:
    """Add the tenant's tag; drop client tags in the tenant system, so none can be spoofed."""
    system, _, code = tenant.partition("|")
    client_tags = tags if isinstance(tags, list) else []
    kept = [t for t in client_tags if not (isinstance(t, dict) and t.get("system") == system)]
    return [*kept, {"system": system, "code": code}]
