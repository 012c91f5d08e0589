"""The server under test as the whole run sees it: where it is, what it claims, and the run's marker.

Made once per run (on the pytest-xdist controller, and handed to the workers): the embedded reference
server is started here when no base URL is given, and the endpoint is probed before any case runs.
"""

from __future__ import annotations

import secrets
from contextlib import closing
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from conformance import fhirjson
from conformance.client import EndpointError, FhirClient, probe
from conformance.identities import OTHER, identities
from conformance.profile import ServerProfile, Settings, Tag, merge_headers
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
    seed: int = 0  # drawn for the run: the seed of its generated examples unless one is given (fuzzing.run_seed)

    def to_worker(self) -> dict[str, Any]:
        """Return what a pytest-xdist worker needs to rebuild this target (plain values only)."""
        tag = self.profile.tenant_tag
        return {
            "base_url": self.base_url,
            "headers": [list(pair) for pair in self.profile.headers],
            "other_tenant_headers": [list(pair) for pair in self.profile.other_tenant_headers],
            "tenant_tag": str(tag) if tag else None,
            "capabilities": fhirjson.dumps(self.capabilities),
            "marker": self.marker.code,
            "seed": self.seed,
        }

    @classmethod
    def from_controller(cls, data: dict[str, Any], profile: ServerProfile) -> Target:
        """Rebuild the controller's target in a worker."""
        tag = Tag.parse(data["tenant_tag"]) if data["tenant_tag"] else None
        headers = tuple((name, value) for name, value in data["headers"])
        others = tuple((name, value) for name, value in data["other_tenant_headers"])
        profile = replace(profile, headers=headers, other_tenant_headers=others, tenant_tag=tag)
        capabilities = fhirjson.loads(data["capabilities"])
        return cls(data["base_url"], profile, capabilities, Marker(data["marker"]), data["seed"])


def connect(settings: Settings) -> tuple[Target, RunningServer | None]:
    """Start the embedded server if no base URL is given, then probe the endpoint; EndpointError if unusable."""
    server, profile = (None, settings.profile) if settings.base_url else start_embedded(settings.profile)
    base_url = settings.base_url or server.url  # type: ignore[union-attr]
    marker = Marker()
    timeout = min(settings.timeout, PROBE_TIMEOUT)
    client = FhirClient(base_url, profile.headers, timeout=timeout)
    try:
        capabilities = probe(client)
        check_credentials(client, marker)
        other = identities(profile).get(OTHER)
        if other is not None:
            with closing(FhirClient(base_url, other, timeout=timeout)) as second:
                check_credentials(second, marker, "--other-tenant-header")
    except EndpointError:
        if server is not None:
            server.stop()
        raise
    finally:
        client.close()
    return Target(base_url, profile, capabilities, marker, secrets.randbits(32)), server


def check_credentials(client: FhirClient, marker: Marker, flag: str = "--header") -> None:
    """Search for the run's own (not yet existing) resources: a 401 or 403 means the credentials are refused."""
    # /metadata is public on most servers, so a refusal shows only on the resource endpoints.
    exchange = client.search(TYPES[0], {**marker.search, "_count": "1"})
    if exchange.status in (401, 403):
        raise EndpointError(refused_credentials(exchange.status, exchange.url, flag))


def refused_credentials(status: int, url: str, flag: str = "--header") -> str:
    """Say in one line that the server refused the run's credentials, and how to give them."""
    return f"{redact_url(url)} answered {status}: the server refused the credentials (give them with {flag})"


def start_embedded(profile: ServerProfile) -> tuple[RunningServer, ServerProfile]:
    """Start the reference server in the mode the profile claims (validating); return it and the profile with keys."""
    from conformance.server import ServerConfig, serve  # the server's imports cost a --base-url run for nothing

    tenants: dict[str, str] = {}
    key_header = profile.embedded.api_key_header or "x-api-key"
    if profile.tenant_tag is None:  # a single tenant: a second one's credentials mean nothing to it
        profile = replace(profile, other_tenant_headers=())
    else:
        # Two tenants, so that the isolation cases run: the suite is the first, the second its neighbour.
        own = Tag(profile.tenant_tag.system, profile.tenant_tag.code or _new_code())
        own_key, other_key = _new_key(), _new_key()
        tenants = {own_key: str(own), other_key: str(Tag(own.system, _new_code()))}
        headers = merge_headers(profile.headers, [(key_header, own_key)])
        profile = replace(profile, tenant_tag=own, headers=headers, other_tenant_headers=((key_header, other_key),))
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
    return serve(config), profile


def _new_key() -> str:
    """Return a fresh key in ClinikAPI's test-key form (clk_test_*)."""
    return f"clk_test_{secrets.token_hex(12)}"


def _new_code() -> str:
    """Return a fresh tenant code."""
    return f"tenant-{secrets.token_hex(4)}"
