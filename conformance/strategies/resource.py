"""Whole resources: the type's elements, those every resource has, contained resources and the
run's marker (R4 resource.html, domainresource.html, references.html#contained)."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from conformance.resources import MARKER_SYSTEM, Marker
from conformance.strategies import datatypes as d
from conformance.strategies import primitives as p
from conformance.strategies.clinical import BODIES as CLINICAL
from conformance.strategies.elements import Json, Part, element, many, obj, one, prim, prims
from conformance.strategies.extensions import extensions
from conformance.strategies.individuals import BODIES as INDIVIDUALS
from conformance.strategies.narrative import narratives
from conformance.strategies.schema import fields
from conformance.strategies.valuesets import LANGUAGES
from conformance.strategies.workflow import BODIES as WORKFLOW

BODIES = {**INDIVIDUALS, **CLINICAL, **WORKFLOW}
CONTAINED_URL = "https://example.org/fhir/StructureDefinition/contained-detail"
# Where each type may refer to a contained resource of a type (R4 dom-3: every contained resource is
# referred to); an extension's valueReference can refer to one of any type.
SLOTS: dict[str, tuple[tuple[str, str], ...]] = {
    "Patient": (("managingOrganization", "Organization"), ("generalPractitioner", "Practitioner")),
    "Practitioner": (),
    "Organization": (("partOf", "Organization"),),
    "Observation": (("subject", "Patient"), ("performer", "Practitioner"), ("performer", "Organization")),
    "Condition": (("subject", "Patient"), ("asserter", "Practitioner"), ("recorder", "Patient")),
    "Encounter": (("subject", "Patient"), ("serviceProvider", "Organization")),
    "MedicationRequest": (("subject", "Patient"), ("requester", "Practitioner"), ("performer", "Organization")),
}
TOKENS = st.text(p.ID_CHARS, min_size=1, max_size=8)
# One resource in ten contains another, in one of the type's slots or an extension's valueReference.
CONTAINING = {
    resource_type: p.rarely(
        st.sampled_from((*slots, *(("extension", target) for target in BODIES))), st.just(("", "")), 10
    )
    for resource_type, slots in SLOTS.items()
}


@cache
def meta(resource_type: str) -> st.SearchStrategy[Json]:
    """Draw a Meta with tags, a test-data security label, a source and the core profile: none server-managed."""
    profile = f"http://hl7.org/fhir/StructureDefinition/{resource_type}"
    labels = d.coding_of("http://terminology.hl7.org/CodeSystem/v3-ActReason", ("HTEST",))  # test health data
    profiles = st.sampled_from((profile, f"{profile}|4.0.1"))
    parts: list[Part] = [
        many("tag", d.codings, 2),
        many("security", labels, 1),
        prim("source", p.uris),
        prims("profile", profiles, 1),
    ]
    return element(optional=parts)


@cache
def _common(resource_type: str) -> st.SearchStrategy[Json]:
    """Draw what every domain resource has; not id, implicitRules nor modifierExtension (see NOT_GENERATED)."""
    parts = [many("identifier", d.identifiers, 2), prim("language", p.bound(LANGUAGES)), one("text", narratives)]
    return obj([one("meta", meta(resource_type))], [*parts, many("extension", extensions)], most=3)


@st.composite
def _contain(draw: st.DrawFn, resource: Json) -> Json:
    """Sometimes contain a resource in a copy of the resource, referred to from a slot (R4 dom-3).

    The contained resource has no meta, narrative or contained of its own (R4 dom-2, dom-4, dom-5),
    and an identifier (R4 org-1: an organization has a name or an identifier).
    """
    slot, target = draw(CONTAINING[resource["resourceType"]])
    if not slot:
        return resource
    contained = {"resourceType": target, "id": draw(p.ids), "identifier": [draw(d.identifiers)]}
    contained.update(draw(BODIES[target]))
    reference: Json = {"reference": f"#{contained['id']}"}
    if slot == "extension":
        reference = {"url": CONTAINED_URL, "valueReference": reference}
    repeats = slot == "extension" or fields(resource["resourceType"])[slot].repeats
    return {**resource, slot: [*resource.get(slot, []), reference] if repeats else reference, "contained": [contained]}


@st.composite
def marked(draw: st.DrawFn, resource_type: str, marker: Marker) -> Json:
    """Draw a valid resource of the type with the run's tag and identifier among its own."""
    body = {"resourceType": resource_type, **draw(_common(resource_type)), **draw(BODIES[resource_type])}
    resource = draw(_contain(body))
    tags = resource["meta"].setdefault("tag", [])
    tags.insert(draw(st.integers(0, len(tags))), marker.tag)
    own = {"system": MARKER_SYSTEM, "value": f"{marker.code}-{draw(TOKENS)}"}
    identifiers = resource.setdefault("identifier", [])
    identifiers.insert(draw(st.integers(0, len(identifiers))), own)
    return resource


def valid(resource_type: str, marker: Marker, *, literal_references: bool = False) -> st.SearchStrategy[Json]:
    """Draw valid R4 resources of the type carrying the run's marker tag and identifier.

    Literal references (``Patient/abc``) are made logical ones unless asked for: a server may refuse
    references to resources it does not hold (R4 references.html); contained ones always stay.
    """
    return marked(resource_type, marker).map(lambda resource: d.plain_references(resource, literal_references))
