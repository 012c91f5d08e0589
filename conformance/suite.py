"""One process's session state: the client, the server's capabilities, and the creates its cases share."""

from __future__ import annotations

from conformance.client import FhirClient
from conformance.created import Created
from conformance.identities import OWN, identities
from conformance.profile import Settings
from conformance.resources import REQUESTS, Request, Run
from conformance.target import Target, refused_credentials

EXIT_USAGE = 4
EXIT_FAILED = 1


class Suite:
    """The server under test as the scenarios see it; each create is made once per type and request."""

    def __init__(self, settings: Settings, target: Target, origin: str = "") -> None:
        self.settings = settings
        self.target = target
        self.profile = target.profile
        self.client = FhirClient(target.base_url, target.profile.headers, timeout=settings.timeout)
        self.run = Run(self.client, target.marker, origin)
        self.identities = identities(target.profile)
        self.runs = {OWN: self.run}  # what each identity created, cleaned up with its own credentials
        self._created: dict[tuple[str, str], Created] = {}
        self._credentials_refused: str | None = None

    @property
    def bases(self) -> tuple[str, ...]:
        """Return the server's own bases: the URL it is reached at, and its stated implementation.url."""
        stated = self.target.capabilities.get("implementation", {}).get("url")
        stated_bases = [stated.rstrip("/")] if isinstance(stated, str) and stated else []
        return tuple(dict.fromkeys([self.client.base_url, *stated_bases]))

    def created(self, resource_type: str, request: str) -> Created:
        """Return the create of a marked sample of the type sent as named, made on first use."""
        key = (resource_type, request)
        if key not in self._created:
            created = self._created[key] = self.create(resource_type, REQUESTS[request])
            if created.exchange.status in (401, 403) and request == "plain":
                self._credentials_refused = refused_credentials(created.exchange.status, created.exchange.url)
        return self._created[key]

    def create(self, resource_type: str, request: Request, identity: str = OWN) -> Created:
        """Create a fresh marked sample of the type as an identity (a new create each time: see `created`)."""
        run = self.run_as(identity)
        sent, exchange = run.create(resource_type, request)
        tenant = self.profile.tenant_tag.system if self.profile.tenant_tag else None
        return Created(run.client, sent, exchange, tenant, self.bases)

    def run_as(self, identity: str) -> Run:
        """Return the Run of an identity (identities.identities), made on first use."""
        if identity not in self.runs:
            client = FhirClient(self.client.base_url, self.identities[identity], timeout=self.settings.timeout)
            self.runs[identity] = Run(client, self.run.marker, f"{self.run.origin}{identity}-")
        return self.runs[identity]

    def creates_of(self, resource_type: str) -> list[Created]:
        """Return every create of a type, one per way of sending it."""
        return [self.created(resource_type, request) for request in REQUESTS]

    def stop_reason(self) -> tuple[int, str] | None:
        """Return why the run must stop now, with its exit code: refused credentials, or a server gone silent."""
        if self._credentials_refused:
            return EXIT_USAGE, self._credentials_refused
        if self.client.stopped:
            return EXIT_FAILED, f"the server stopped answering: {self.client.silence}"
        return None

    def unsupported(self, resource_type: str) -> str | None:
        """Return why the CapabilityStatement says the server does not create this type, or None."""
        resources = [
            r
            for rest in self.target.capabilities.get("rest", [])
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

    def close(self) -> None:
        """Close the connections."""
        for run in self.runs.values():
            run.client.close()
