"""The run's metadata, as every output shows it: the server's identity, the profile's claims and where each came
from, the gates, the suite's version, the date, the hypothesis seed, and the run's tag."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from importlib import metadata
from typing import Any

import pytest

from conformance.profile import ServerProfile, Settings
from conformance.secrets import redact_url
from conformance.target import Target

DISTRIBUTION = "fhir-create-conformance"


def of_settings(settings: Settings, config: pytest.Config) -> dict[str, Any]:
    """Return what is known before the server is reached: profile, claims, gates, version, date, seed."""
    profile = settings.profile
    return {
        "profile": profile.name,
        "profile_description": profile.description,
        "claims": claims(profile),
        "levels": dict(profile.levels),
        "fail_level": settings.fail_level,
        "fail_on": settings.fail_on,
        "waivers_file": settings.waivers.source or None,
        "baseline_file": settings.baseline.source if settings.baseline else None,
        "suite_version": suite_version(),
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        # As given; once the target is known the reporter puts the run's seed here (fuzzing.run_seed).
        "hypothesis_seed": _text(config.getoption("hypothesis_seed", default=None)),
        **of_target(None, embedded=settings.base_url is None),
    }


def of_target(target: Target | None, embedded: bool) -> dict[str, Any]:
    """Return the server's base URL (redacted), its identity from the CapabilityStatement, and the run's tag."""
    statement: dict[str, Any] = target.capabilities if target else {}
    found = statement.get("software")
    software: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "base_url": redact_url(target.base_url) if target else "",
        "embedded": embedded,
        "software": _text(software.get("name")) or "",
        "software_version": _text(software.get("version")) or "",
        "fhir_version": _text(statement.get("fhirVersion")) or "",
        "run_tag": f"{target.marker.tag['system']}|{target.marker.code}" if target else "",
    }


def claims(profile: ServerProfile) -> dict[str, dict[str, Any]]:
    """Return each claim of the profile with its value and where it came from (preset, file or flag)."""
    return {
        name: {"value": value, "from": profile.provenance.get(name, "not claimed")}
        for name, value in profile.claims().items()
    }


def suite_version() -> str:
    """Return the installed version of the suite."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _text(value: object) -> str | None:
    """Return a value as text, None when absent."""
    return None if value is None else str(value)


def server_identity(target: Mapping[str, Any]) -> str:
    """Name the server as its CapabilityStatement does: software name and version, and FHIR version."""
    software = " ".join(part for part in (target["software"], target["software_version"]) if part)
    fhir = f"FHIR {target['fhir_version']}" if target["fhir_version"] else "no fhirVersion stated"
    return f"{software or 'software not named in the CapabilityStatement'}, {fhir}"


def location(target: Mapping[str, Any]) -> str:
    """Return the base URL as shown to the user (secrets already redacted), naming the embedded server."""
    if target["embedded"] and target["base_url"]:
        return f"{target['base_url']} (embedded reference server)"
    return str(target["base_url"])
