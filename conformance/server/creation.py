"""What a create answers: 201 for a new resource, 200 for the one a condition matched, and the storage's
refusals (409, 412)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from conformance.server.faults import Reply
from conformance.server.fhirhttp import FhirError, Rule, location, operation_outcome, version_headers
from conformance.server.storage import Created, DuplicateId, MultipleMatches


def answer(done: Created, base: str, prefer: str | None, headers: Mapping[str, str]) -> Reply:
    """201 for a new resource, 200 for the one a condition matched (R4 http.html#create, #ccreate)."""
    # Either way: Location, ETag and Last-Modified of the resource's current version
    # (#versioning), and the body Prefer asks for, as on a plain create (#prefer).
    stored = done.resource
    rtype, rid, vid = stored["resourceType"], stored["id"], str(stored["meta"]["versionId"])
    sent = {"Location": location(base, rtype, rid, vid), **version_headers(stored), **headers}
    if prefer == "minimal":
        body = None
    elif prefer == "OperationOutcome":
        what = "created" if done.created else "matched the existing"
        body = operation_outcome("information", "informational", f"{what} {rtype}/{rid} version {vid}")
    else:  # return=representation, or no preference: the server's choice (R4 http.html#prefer)
        body = copy.deepcopy(stored)
    return Reply(201 if done.created else 200, sent, body, stored, base, prefer)


@contextmanager
def storage_refusals() -> Iterator[None]:
    """Answer the storage's refusals: 409 for a taken id, 412 for a condition matching several resources."""
    try:
        yield
    except DuplicateId as exc:
        raise FhirError(409, "duplicate", str(exc), rule=Rule.DUPLICATE_ID) from None
    except MultipleMatches as exc:
        # R4 http.html#ccreate: "Multiple matches: The server returns a 412 Precondition Failed error".
        message = f"{exc}: the condition is not selective enough"
        raise FhirError(412, "multiple-matches", message, rule=Rule.MULTIPLE_MATCHES) from None
