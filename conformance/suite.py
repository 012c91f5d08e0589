"""One run's session state: the server under test, its capabilities, and the creates scenarios share."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import NoReturn

from conformance.client import FhirClient, probe
from conformance.created import Created
from conformance.profile import ServerProfile, Settings, Tag
from conformance.resources import REQUESTS, Marker, Run
from conformance.server import RunningServer, ServerConfig, serve


class BaselineRefused(Exception):
    """The server refused the suite's own valid resource, so nothing that depends on it can be checked."""


def start_embedded(profile: ServerProfile) -> tuple[RunningServer, ServerProfile]:
    """Start the reference server in the mode the profile claims; return it and the profile with its key."""
    tenants: dict[str, str] = {}
    headers = profile.headers
    key_header = profile.embedded.api_key_header
    if profile.tenant_tag is not None:
        key_header = key_header or "x-api-key"
        tag = Tag(profile.tenant_tag.system, profile.tenant_tag.code or f"tenant-{secrets.token_hex(4)}")
        key = f"clk_test_{secrets.token_hex(12)}"
        tenants[key] = str(tag)
        headers = (*headers, (key_header, key))
        profile = replace(profile, tenant_tag=tag)
    config = ServerConfig(
        id_policy=profile.id_policy,
        invalid_status=422 if profile.invalid_status == "422" else 400,
        validates=profile.validates,
        conditional_query=profile.conditional_query,
        base_path=profile.embedded.base_path,
        api_key_header=key_header if tenants else None,
        tenants=tenants,
    )
    return serve(config), replace(profile, headers=headers)


class Suite:
    """The server under test as the scenarios see it; creates are made once per type and request."""

    def __init__(self, settings: Settings, profile: ServerProfile, base_url: str) -> None:
        self.settings = settings
        self.profile = profile
        self.client = FhirClient(base_url, profile.headers)
        self.capabilities = probe(self.client)
        self.run = Run(self.client, Marker())
        self._created: dict[tuple[str, str], Created] = {}
        self._refused: dict[str, str] = {}

    def created(self, resource_type: str, request: str, nodeid: str) -> Created:
        """Return the create of a marked sample of the type sent as named, made on first use."""
        key = (resource_type, request)
        if key not in self._created:
            sent, exchange = self.run.create(resource_type, REQUESTS[request])
            tenant = self.profile.tenant_tag.system if self.profile.tenant_tag else None
            self._created[key] = Created(self.client, sent, exchange, tenant)
        created = self._created[key]
        if request == "plain" and not 200 <= created.exchange.status < 300:
            self._refuse(resource_type, created, nodeid)
        return created

    def unsupported(self, resource_type: str) -> str | None:
        """Return why the CapabilityStatement says the server does not create this type, or None."""
        resources = [
            r
            for rest in self.capabilities.get("rest", [])
            if rest.get("mode") == "server"
            for r in rest.get("resource", [])
        ]
        if not resources:
            return None  # a statement that lists no resources says nothing either way
        entry = next((r for r in resources if r.get("type") == resource_type), None)
        codes = {i.get("code") for i in (entry or {}).get("interaction", [])}
        if "create" in codes:
            return None
        return f"the server's CapabilityStatement does not offer create for {resource_type}"

    def close(self) -> list[str]:
        """Delete what the run made (unless asked to keep it) and return what could not be deleted."""
        try:
            return [] if self.settings.keep_resources else self.run.cleanup()
        finally:
            self.client.close()

    def _refuse(self, resource_type: str, created: Created, nodeid: str) -> NoReturn:
        """Raise BaselineRefused: in full the first time, by reference to it after that."""
        first = self._refused.setdefault(resource_type, nodeid)
        exchange = created.exchange
        if first != nodeid:
            raise BaselineRefused(f"the server refused the suite's baseline {resource_type} (see {first})")
        raise BaselineRefused(
            f"the server refused the suite's baseline {resource_type}: expected 201, received {exchange.status}; "
            f"nothing that depends on it can be checked\n\nReproduce with:\n{exchange.curl()}"
        )
