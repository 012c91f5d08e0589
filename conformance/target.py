"""The server under test as the whole run sees it: where it is, what it claims, and the run's marker.

Made once per run (on the pytest-xdist controller, and handed to the workers): the embedded reference
server is started here when no base URL is given, and the endpoint is probed before any case runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from conformance import fhirjson
from conformance.client import EndpointError, FhirClient, probe
from conformance.profile import ServerProfile, Settings, Tag
from conformance.resources import TYPES, Marker
from conformance.secrets import redact_url

if TYPE_CHECKING:
    from conformance.server import RunningServer

PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Target:
    """The base URL, the profile in force (with any generated key), the CapabilityStatement and the marker."""

    base_url: str
    profile: ServerProfile
    capabilities: dict[str, Any]
    marker: Marker

    def to_worker(self) -> dict[str, Any]:
        """Return what a pytest-xdist worker needs to rebuild this target (plain values only)."""
        tag = self.profile.tenant_tag
        return {
            "base_url": self.base_url,
            "headers": [list(pair) for pair in self.profile.headers],
            "tenant_tag": str(tag) if tag else None,
            "capabilities": fhirjson.dumps(self.capabilities),
            "marker": self.marker.code,
        }

    @classmethod
    def from_controller(cls, data: dict[str, Any], profile: ServerProfile) -> Target:
        """Rebuild the controller's target in a worker."""
        tag = Tag.parse(data["tenant_tag"]) if data["tenant_tag"] else None
        headers = tuple((name, value) for name, value in data["headers"])
        profile = replace(profile, headers=headers, tenant_tag=tag)
        return cls(data["base_url"], profile, fhirjson.loads(data["capabilities"]), Marker(data["marker"]))


def connect(settings: Settings) -> tuple[Target, RunningServer | None]:
    """Start the embedded server if no base URL is given, then probe the endpoint; EndpointError if unusable."""
    server, profile = (None, settings.profile) if settings.base_url else start_embedded(settings.profile)
    base_url = settings.base_url or server.url  # type: ignore[union-attr]
    marker = Marker()
    client = FhirClient(base_url, profile.headers, timeout=min(settings.timeout, PROBE_TIMEOUT))
    try:
        capabilities = probe(client)
        check_credentials(client, marker)
    except EndpointError:
        if server is not None:
            server.stop()
        raise
    finally:
        client.close()
    return Target(base_url, profile, capabilities, marker), server


def check_credentials(client: FhirClient, marker: Marker) -> None:
    """Search for the run's own (not yet existing) resources: a 401 or 403 means the credentials are refused."""
    # /metadata is public on most servers, so a refusal shows only on the resource endpoints.
    exchange = client.search(TYPES[0], {**marker.search, "_count": "1"})
    if exchange.status in (401, 403):
        raise EndpointError(refused_credentials(exchange.status, exchange.url))


def refused_credentials(status: int, url: str) -> str:
    """Say in one line that the server refused the run's credentials, and how to give them."""
    return f"{redact_url(url)} answered {status}: the server refused the credentials (give them with --header)"


def start_embedded(profile: ServerProfile) -> tuple[RunningServer, ServerProfile]:
    """Start the reference server in the mode the profile claims, validating; return it and the profile with its key."""
    from conformance.server import ServerConfig, serve  # the server's imports cost a --base-url run for nothing

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
        # A correct server refuses invalid content whatever it claims: the claim only sets how the suite grades.
        validates=True,
        conditional_query=profile.conditional_query,
        base_path=profile.embedded.base_path,
        api_key_header=key_header if tenants else None,
        tenants=tenants,
    )
    return serve(config), replace(profile, headers=headers)
