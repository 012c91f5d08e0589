"""The profiles a validating server enforces when a resource claims them in meta.profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PATIENT_WITH_BIRTHDATE = "https://example.org/fhir-create-conformance/StructureDefinition/patient-with-birthdate"


@dataclass(frozen=True)
class Profile:
    """A profile of one resource type that makes some optional elements required (min 1)."""

    url: str
    type: str
    required: tuple[str, ...]


PROFILES = (Profile(PATIENT_WITH_BIRTHDATE, "Patient", ("birthDate",)),)


def supported(rtype: str) -> list[str]:
    """The canonical urls of the profiles enforced on `rtype` (CapabilityStatement.rest.resource.supportedProfile)."""
    return [profile.url for profile in PROFILES if profile.type == rtype]


def violation(resource: dict[str, Any]) -> str | None:
    """Describe how a resource breaks a profile it claims and this server enforces, or None."""
    # R4 resource-definitions.html#Meta.profile: the profiles "this resource claims to conform
    # to"; a claimed profile the server does not know is not checked.
    meta = resource.get("meta")
    claimed = meta.get("profile") if isinstance(meta, dict) else None
    urls = {url.partition("|")[0] for url in claimed if isinstance(url, str)} if isinstance(claimed, list) else set()
    for profile in (p for p in PROFILES if p.url in urls):
        if resource.get("resourceType") != profile.type:
            return f"{profile.url} profiles {profile.type}, not {resource.get('resourceType')}"
        missing = [name for name in profile.required if name not in resource]
        if missing:
            return f"{profile.url} requires {', '.join(missing)}"
    return None
