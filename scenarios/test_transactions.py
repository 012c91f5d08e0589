"""Transactions POSTed to the base: a Patient conditional on its run-unique identifier (ifNoneExist) and an
Observation linking to it through the Patient's urn:uuid placeholder. Links become the Patient's Type/id in
references, uri and url elements and narrative links, never in canonicals; a re-run maps the Patient to the
one stored; a failing entry or a condition matching two Patients stores nothing; the response names each
entry's outcome (FHIR R4 http.html#transaction, #trules, #transaction-response)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest

from conformance import checks
from conformance.cases import Case, sequences
from conformance.conditional import SEARCH, SOUND
from conformance.transactions import BUNDLE, ENTRY, Transaction

ATOMIC = "tx.atomic.all-or-nothing"
AS_INTERACTION = "tx.entry.as-interaction"
REFERENCES = "tx.placeholder.references"
READ = (BUNDLE, ENTRY)  # a transaction-response whose locations name what each entry stored
NARRATIVE_LINK = re.compile(r"""<(a|img)\s[^>]*?\b(?:href|src)\s*=\s*(["'])(.*?)\2""", re.DOTALL)


def in_order(t: Transaction) -> None:
    """The response is a transaction-response with one entry per entry sent, in the same order."""
    t.entries()


def entry_outcomes(t: Transaction) -> None:
    """Each entry's response carries its status (201 for a create) and a location naming the new resource."""
    for index in range(len(t.sent["entry"])):
        t.answered(index, "201")
        t.location(index)


def entry_versions(t: Transaction) -> None:
    """Each entry's response carries etag and lastModified; the etag names the version in the location."""
    for index in range(len(t.sent["entry"])):
        response = t.outcome(index)
        etag = response.get("etag") or checks.fail(f"entry[{index}].response.etag", "none", t.response)
        checks.instant(t.response, f"entry[{index}].response.lastModified", response.get("lastModified"))
        version = t.location(index).version
        if version is not None:
            checks.equal(f"entry[{index}].response.etag version", version, checks.etag_version(etag), t.response)


def reference(t: Transaction) -> None:
    """Observation.subject, a reference to the Patient's placeholder, names the Patient stored."""
    t.expect_link("Observation.subject.reference", (t.stored(1).get("subject") or {}).get("reference"), 1, 0)


def extension(t: Transaction, kind: str) -> object:
    """Return the value of the Observation's extension of a kind (uri, url, canonical) as stored."""
    stored = t.stored(1).get("extension", [])
    return next((e.get(f"value{kind.title()}") for e in stored if str(e.get("url", "")).endswith(kind)), None)


def uri_elements(t: Transaction) -> None:
    """Extensions of type uri and url naming the Patient's placeholder name the Patient stored."""
    for kind in ("uri", "url"):
        t.expect_link(f"Observation.extension.value{kind.title()}", extension(t, kind), 1, 0)


def narrative(t: Transaction) -> None:
    """The narrative's <a href> and <img src> naming the Patient's placeholder name the Patient stored."""
    div = str((t.stored(1).get("text") or {}).get("div", ""))
    found = {tag: html.unescape(value) for tag, _, value in NARRATIVE_LINK.findall(div)}
    for tag, attribute in (("a", "href"), ("img", "src")):
        t.expect_link(f"Observation.text.div <{tag} {attribute}>", found.get(tag), 1, 0)


def canonical(t: Transaction) -> None:
    """An extension of type canonical naming the Patient's placeholder keeps it: canonicals are not replaced."""
    checks.equal("Observation.extension.valueCanonical", t.links.patient, extension(t, "canonical"), t.reads[1])


def version_specific(t: Transaction) -> None:
    """A version-specific link to the Patient's placeholder names the Patient stored, with its version."""
    link = (t.stored(1).get("subject") or {}).get("reference")
    if isinstance(link, str) and link.startswith(t.links.patient):
        checks.fail("Observation.subject.reference rewritten", repr(link), t.reads[1], REFERENCES)
    t.expect_link("Observation.subject.reference", link, 1, 0, versioned=True)


def one_patient(t: Transaction) -> None:
    """The Bundle, accepted twice, leaves one Patient carrying its identifier."""
    t.entries(0)
    t.entries()
    t.counted("Patient", 1, AS_INTERACTION)


def relinked(t: Transaction) -> None:
    """The second Observation references the Patient the first run stored, which its entry matched."""
    t.rematched(AS_INTERACTION)
    reference(t)


def stopped_by_two_matches(t: Transaction) -> None:
    """An entry whose ifNoneExist matches two Patients fails the transaction, and the Observation is not stored."""
    t.made()
    if t.response.status == 200 and t.status(0).startswith("201"):
        received = "entry[0] 201: a new Patient beside the two it matches"
        checks.fail("entry[0].request.ifNoneExist to be searched", received, t.response, AS_INTERACTION)
    checks.refused(t.response)
    t.counted("Observation", 0)


def rolled_back(t: Transaction) -> None:
    """A refused entry fails the transaction, and the entry before it is not stored either."""
    checks.refused(t.response)
    t.counted("Patient", 0)


def failure_outcome(t: Transaction) -> None:
    """A failed transaction answers with one OperationOutcome, not a Bundle."""
    checks.refused(t.response, ATOMIC)
    checks.resource_type(t.response, "OperationOutcome")


def miscased(t: Transaction) -> str:
    """An entry spelling IfNoneExist is a plain create (201, a second Patient), or (if claimed) refused with 400."""
    made = t.made()
    if t.response.status == 400 and t.claims["if_none_exist_miscased"] == "plain-create-or-400":
        t.counted("Patient", made)
        return "the server refused IfNoneExist (an unknown element) with 400"
    checks.status(t.response, 200)
    t.answered(0, "201", why="IfNoneExist is no condition")
    t.counted("Patient", made + 1)
    return "the server ignored IfNoneExist: a plain create (201)"


CASES = (
    Case(
        "response-in-order",
        "the response is a transaction-response with one entry per entry sent, in order",
        BUNDLE,
        in_order,
        requests=("links",),
    ),
    Case(
        "entry-outcome",
        "each entry response carries its status (201) and location",
        ENTRY,
        entry_outcomes,
        (BUNDLE,),
        ("links",),
    ),
    Case(
        "entry-version",
        "each entry response carries etag and lastModified",
        "tx.response.entry-version",
        entry_versions,
        READ,
        ("links",),
    ),
    Case(
        "reference", "a reference to the placeholder names the Patient stored", REFERENCES, reference, READ, ("links",)
    ),
    Case(
        "uri-elements",
        "uri and url elements naming the placeholder name the Patient stored",
        "tx.placeholder.uri-elements",
        uri_elements,
        READ,
        ("links",),
    ),
    Case(
        "narrative",
        "narrative links naming the placeholder name the Patient stored",
        "tx.placeholder.narrative",
        narrative,
        READ,
        ("links",),
    ),
    Case(
        "canonical-kept",
        "a canonical naming the placeholder keeps it",
        "tx.placeholder.canonical-kept",
        canonical,
        READ,
        ("links",),
    ),
    Case(
        "reference",
        "a version-specific link names the Patient stored and its version",
        "tx.placeholder.version-specific",
        version_specific,
        (*READ, REFERENCES),
        ("versioned-link",),
    ),
    Case(
        "patient-matched",
        "sent again, the Patient entry matches the stored Patient: 200",
        AS_INTERACTION,
        lambda t: t.rematched(AS_INTERACTION),
        READ,
        ("rerun",),
    ),
    Case(
        "one-patient",
        "sent again, the Bundle leaves one Patient",
        AS_INTERACTION,
        one_patient,
        (SEARCH, BUNDLE),
        ("rerun",),
    ),
    Case(
        "reference",
        "sent again, the new Observation references the stored Patient",
        REFERENCES,
        relinked,
        (*READ, AS_INTERACTION),
        ("rerun",),
    ),
    Case(
        "nothing-stored",
        "a condition matching two Patients fails the transaction and stores nothing",
        "tx.if-none-exist.multiple",
        stopped_by_two_matches,
        (SEARCH, BUNDLE, AS_INTERACTION, *SOUND),
        ("multiple-matches",),
    ),
    Case(
        "nothing-stored",
        "a refused entry fails the transaction and the entry before it is not stored",
        ATOMIC,
        rolled_back,
        (SEARCH,),
        ("rollback",),
    ),
    Case(
        "outcome",
        "a failed transaction answers with an OperationOutcome",
        "tx.response.failure-outcome",
        failure_outcome,
        (ATOMIC,),
        ("rollback",),
    ),
    Case(
        "plain-create",
        "an entry spelling IfNoneExist is a plain create (or, under r4, refused with 400)",
        "tx.if-none-exist.case",
        miscased,
        (SEARCH, *READ, *SOUND),
        ("miscased",),
    ),
)


@pytest.mark.parametrize(("transaction", "case"), sequences(CASES, ("Bundle",)), indirect=["transaction"])
def test_transactions(transaction: Transaction, case: Case, record_property: Callable[[str, object], None]) -> None:
    """Each case looks at one transaction flow: the Patients made first, the Bundle sent, the counts after."""
    note = case.check(transaction)
    if isinstance(note, str) and note:  # which of the conformant answers the server chose
        record_property("note", note)
