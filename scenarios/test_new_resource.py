"""Every create makes a new resource: no two creates share an id, and each resource still reads back as
created after the later ones (FHIR R4 http.html#create: "creates a new resource")."""

from __future__ import annotations

import pytest

from conformance.cases import Case, per_type
from conformance.created import DISTINCT, ID, KEPT, LOCATION, READABLE, VERSION_ID, Created, distinct_ids, kept
from conformance.resources import TYPES

RESOURCE_ID = (LOCATION, READABLE, ID)


CASES = (
    Case("new-ids", "each create gets an id of its own", DISTINCT, distinct_ids, RESOURCE_ID),
    Case(
        "new-kept",
        "each resource created reads back as created after later creates",
        KEPT,
        kept,
        (*RESOURCE_ID, VERSION_ID, DISTINCT),
    ),
)


@pytest.mark.parametrize(("creates", "case"), per_type(CASES, TYPES), indirect=["creates"])
def test_new_resource(creates: list[Created], case: Case) -> None:
    """Each case looks at every create the suite made of one type."""
    case.check(creates)
