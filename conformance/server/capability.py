"""The server's CapabilityStatement (R4 capabilitystatement.html, http.html#capabilities)."""

from __future__ import annotations

from typing import Any

from conformance.server import profiles
from conformance.server.config import ServerConfig
from conformance.server.r4types import RESOURCE_TYPES
from conformance.server.search import supported_params

INTERACTIONS = ("create", "read", "vread", "delete", "search-type")
# Not an R4 element: the query-string form of conditional create (POST [type]?params) is an
# Aidbox extension of R4 http.html#ccreate, so the claim travels as an extension.
CONDITIONAL_QUERY_URL = "urn:fhir-create-conformance:conditional-create-query"


def capability_statement(config: ServerConfig, base: str, date: str) -> dict[str, Any]:
    """Describe what this server instance does, at absolute base URL `base`."""
    rest: dict[str, Any] = {"mode": "server"}
    if config.api_key_header:
        needs = f"Every request but /metadata carries a known key in {config.api_key_header}."
        rest["security"] = {"description": needs}
    if config.conditional_query:
        rest["extension"] = [{"url": CONDITIONAL_QUERY_URL, "valueBoolean": True}]
    rest["resource"] = [_resource(rtype, config.validates) for rtype in sorted(RESOURCE_TYPES)]
    rest["interaction"] = [{"code": "transaction"}]  # R4 http.html#transaction: POST [base]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": "fhir-create-conformance reference server"},
        # R4 capabilitystatement.html invariants: a kind=instance statement has `implementation`.
        "implementation": {"description": "Embedded reference server", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [rest],
    }


def _resource(rtype: str, validates: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": rtype,
        "interaction": [{"code": code} for code in INTERACTIONS],
        "versioning": "versioned",
        "conditionalCreate": True,  # If-None-Exist (R4 http.html#ccreate), and ifNoneExist in transactions
        "searchParam": [{"name": name, "type": kind} for name, kind in supported_params(rtype).items()],
    }
    # R4 capabilitystatement-definitions.html#CapabilityStatement.rest.resource.supportedProfile:
    # the profiles a validating server enforces when a resource claims them in meta.profile.
    if validates and profiles.supported(rtype):
        entry["supportedProfile"] = profiles.supported(rtype)
    return entry
