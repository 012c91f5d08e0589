"""On a multi-tenant server a conditional create and a transaction are creates like the others: what they answer
with or store holds the caller's tenant tag, and their conditions search the caller's tenant alone, so the second
tenant's condition naming this tenant's identifier creates its own resource, and this tenant's resources never
count towards its 412 (ClinikAPI docs: fhir/create, authentication#tenant-isolation; hapi-fhir #8270). The
conditional create with If-None-Exist that matches nothing is a way of sending every create of test_tenancy."""

from __future__ import annotations

import pytest

from conformance import checks
from conformance.cases import Case, sequences
from conformance.conditional import ONE, QUERY, SEARCH, SOUND, Flow
from conformance.created import NO_MATCH
from conformance.tenancy import INJECTED, Sequenced, Tenancy
from conformance.transactions import BUNDLE, ENTRY, Transaction

CONDITIONAL = "tenancy.isolation.conditional"
TRANSACTION = "tenancy.isolation.transaction"
AS_INTERACTION = "tx.entry.as-interaction"  # sent again, a conditional entry matches (see test_transactions)
SEED = (SEARCH, *SOUND)  # the resources a condition matches were created first (as creates are), and counted
READ = (BUNDLE, ENTRY)  # a transaction-response whose locations name what each entry stored


def tag_answered(s: Sequenced[Flow]) -> None:
    """The answer's body, if it is a resource of the type, holds the tenant tag."""
    f = s.of
    answer = f.matched if f.seeds else f.answer  # a match, once its condition is known to be evaluated
    body = answer.resource
    if body is None or body["resourceType"] != f.type:
        checks.not_applicable(f"the answer carries no {f.type} (its choice without Prefer)")
    checks.tag(answer, body, s.tag.system, s.tag.code)


def creates_its_own(s: Sequenced[Flow]) -> None:
    """The second tenant's condition, naming what only this tenant holds, creates a resource of its own: 201."""
    f = s.of
    f.counterpart.creates(NO_MATCH)  # where nothing matches, a conditional create creates
    f.evaluated()
    if f.response.status == 200:  # the second tenant made no such resource: what matched is this tenant's
        received = f"200 with {checks.body_kind(f.response)}: it matched this tenant's {f.type}"
        checks.fail(f"201 and a {f.type} of the second tenant's own", received, f.response)
    f.creates(CONDITIONAL)


def matches_its_own(s: Sequenced[Flow]) -> None:
    """The second tenant's condition matches its one resource, not this tenant's two: 200 with its own."""
    f = s.of
    checks.status(f.counterpart.matched, 200, requirement=ONE)
    checks.status(f.matched, 200)
    f.found(CONDITIONAL)


def entries_tagged(s: Sequenced[Transaction]) -> None:
    """Each entry's resource, read back, holds the tenant tag."""
    t = s.of
    for index in range(len(t.sent["entry"])):
        stored = t.stored(index)
        checks.tag(t.reads[index], stored, s.tag.system, s.tag.code)


def accepted(s: Sequenced[Transaction]) -> Transaction:
    """Return the second tenant's transaction, once conditions are known searched and it is known accepted (200)."""
    t = s.of
    t.made()
    t.sibling("rerun").rematched(AS_INTERACTION)  # sent again, this tenant's Bundle matches its Patient
    checks.status(t.response, 200)  # a refusal here is a condition that matched, or counted, this tenant's
    return t


def creates_its_own_patient(s: Sequenced[Transaction]) -> None:
    """The second tenant's Patient entry, conditional on what only this tenant holds, creates a Patient: 201."""
    accepted(s).answered(0, "201", why="a Patient of the second tenant's own")


def matches_its_own_patient(s: Sequenced[Transaction]) -> None:
    """The second tenant's Patient entry matches its one Patient, not this tenant's two: 200, its own."""
    t = accepted(s)
    t.answered(0, "200", why="its own Patient matched")
    checks.equal("the Patient matched", t.seeds[0].id, t.location(0).id, t.response)


FLOWS = (
    Case(
        "tenant-tag",
        "a conditional create that matches one resource answers with it holding the tenant tag",
        INJECTED,
        tag_answered,
        SEED,
        ("one-match",),
    ),
    Case(
        "tenant-tag",
        "a conditional create in the query form answers with a resource holding the tenant tag",
        INJECTED,
        tag_answered,
        (*SEED, QUERY),
        ("query-no-match", "query-one-match"),
    ),
    Case(
        "isolation",
        "the second tenant's condition naming this tenant's identifier creates its own resource: 201",
        CONDITIONAL,
        creates_its_own,
        (*SEED, NO_MATCH),
        ("other-tenant-no-match",),
    ),
    Case(
        "isolation",
        "the second tenant's condition matches its own resource, not this tenant's two: 200, not 412",
        CONDITIONAL,
        matches_its_own,
        (*SEED, ONE),
        ("other-tenant-one-match",),
    ),
)
TRANSACTIONS = (
    Case(
        "tenant-tag",
        "each entry's resource, read back, holds the tenant tag",
        INJECTED,
        entries_tagged,
        READ,
        ("links",),
    ),
    Case(
        "isolation",
        "the second tenant's entry conditional on this tenant's identifier creates its own Patient: 201",
        TRANSACTION,
        creates_its_own_patient,
        (*READ, AS_INTERACTION, *SOUND),
        ("other-tenant-no-match",),
    ),
    Case(
        "isolation",
        "the second tenant's entry matches its own Patient, not this tenant's two: 200, not 412",
        TRANSACTION,
        matches_its_own_patient,
        (*READ, AS_INTERACTION, *SOUND),
        ("other-tenant-one-match",),
    ),
)


@pytest.mark.parametrize(("flow", "case"), sequences(FLOWS, ("Patient",)), indirect=["flow"])
def test_tenancy_conditional(flow: Flow, case: Case, tenancy: Tenancy) -> None:
    """Each case looks at one conditional-create flow: this tenant's, or the second tenant's beside this one's."""
    case.check(Sequenced(tenancy, flow))


@pytest.mark.parametrize(("transaction", "case"), sequences(TRANSACTIONS, ("Bundle",)), indirect=["transaction"])
def test_tenancy_transactions(transaction: Transaction, case: Case, tenancy: Tenancy) -> None:
    """Each case looks at one transaction flow: this tenant's, or the second tenant's beside this one's Patients."""
    case.check(Sequenced(tenancy, transaction))
