"""The elements of Patient, Practitioner and Organization (R4 patient.html, practitioner.html,
organization.html), but those every resource has (see resource.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from conformance.strategies import datatypes as d
from conformance.strategies import primitives as p
from conformance.strategies.elements import Json, either, many, obj, one, prim, prims
from conformance.strategies.extensions import backbone
from conformance.strategies.valuesets import ADDRESS_USE, CONTACT_POINT_USE, LANGUAGES, REQUIRED

V2 = "http://terminology.hl7.org/CodeSystem/"
_languages = d.concept("urn:ietf:bcp:47", LANGUAGES)
# R4 pat-1: a contact has a name, a telecom, an address or an organization.
_contact_details = either(
    one("name", d.human_names),
    many("telecom", d.contact_points(), 2),
    one("address", d.addresses()),
    one("organization", d.reference("Organization")),
)
_patient_contact = backbone(
    [_contact_details],
    [
        many("relationship", d.concept(f"{V2}v2-0131", ("C", "E", "EP", "F", "N", "S")), 2),
        *(one("name", d.human_names), many("telecom", d.contact_points(), 2), one("address", d.addresses())),
        *(d.required_code("gender", "PatientContact.gender"), one("organization", d.reference("Organization"))),
        one("period", d.periods),
    ],
)
_personal = (
    *(prim("active", p.booleans), many("name", d.human_names), many("telecom", d.contact_points())),
    *(prim("birthDate", p.dates), many("address", d.addresses()), many("photo", d.attachments, 2)),
)
patients = obj(
    optional=[
        *_personal,
        d.required_code("gender", "Patient.gender"),
        either(prim("deceasedBoolean", p.booleans), prim("deceasedDateTime", p.date_times)),
        one("maritalStatus", d.concept(f"{V2}v3-MaritalStatus", ("A", "D", "M", "S", "W", "U"))),
        either(prim("multipleBirthBoolean", p.booleans), prim("multipleBirthInteger", p.positive_ints)),
        many("contact", _patient_contact, 2),
        many("communication", backbone([one("language", _languages)], [prim("preferred", p.booleans)]), 2),
        many("generalPractitioner", d.reference("Organization", "Practitioner", "PractitionerRole"), 2),
        one("managingOrganization", d.reference("Organization")),
        many(
            "link",
            backbone(
                [
                    one("other", d.reference("Patient", "RelatedPerson")),
                    prim("type", p.bound(REQUIRED["PatientLink.type"])),
                ]
            ),
            2,
        ),
    ],
    most=3,
)
_qualification = backbone(
    [one("code", d.concept(f"{V2}v2-0360|2.7", ("MD", "RN", "PHARMD", "BSN")))],
    [many("identifier", d.identifiers, 2), one("period", d.periods), one("issuer", d.reference("Organization"))],
)
practitioners = obj(
    optional=[
        *_personal,
        d.required_code("gender", "Practitioner.gender"),
        many("qualification", _qualification, 2),
        many("communication", _languages, 2),
    ],
    most=3,
)
# R4 org-2, org-3: an organization's address and telecom are never of use 'home'.
_work_addresses = d.addresses(tuple(use for use in ADDRESS_USE if use != "home"))
_work_telecoms = d.contact_points(tuple(use for use in CONTACT_POINT_USE if use != "home"))
_organization_contact = backbone(
    optional=[
        one("purpose", d.concept(f"{V2}contactentity-type", ("BILL", "ADMIN", "HR", "PAYOR", "PATINF", "PRESS"))),
        *(one("name", d.human_names), many("telecom", d.contact_points(), 2), one("address", d.addresses())),
    ]
)
organizations = obj(
    optional=[
        *(prim("active", p.booleans), many("type", d.concept(f"{V2}organization-type", ("prov", "dept", "team")), 2)),
        *(prim("name", p.strings), prims("alias", p.strings), many("telecom", _work_telecoms, 2)),
        *(many("address", _work_addresses, 2), one("partOf", d.reference("Organization"))),
        *(many("contact", _organization_contact, 2), many("endpoint", d.reference("Endpoint"), 2)),
    ],
    most=3,
)
BODIES: dict[str, st.SearchStrategy[Json]] = {
    "Patient": patients,
    "Practitioner": practitioners,
    "Organization": organizations,
}
