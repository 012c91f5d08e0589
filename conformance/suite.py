"""One process's session state: the client, the server's capabilities, and the subjects its cases share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from conformance import conditional, created, races, transactions
from conformance.checks import ConformanceFailure
from conformance.client import Exchange, FhirClient
from conformance.conditional import Context, Flow
from conformance.created import NO_MATCH, SUCCEEDED, Created
from conformance.identities import OWN, identities
from conformance.profile import Settings
from conformance.races import Race
from conformance.resources import PLAIN, REQUESTS, Request, Run
from conformance.target import Target, refused_credentials
from conformance.transactions import Transaction

T = TypeVar("T")

EXIT_USAGE = 4
EXIT_FAILED = 1


class Suite:
    """The server under test as the scenarios see it; each create, flow and race is made once and shared."""

    def __init__(self, settings: Settings, target: Target, origin: str = "") -> None:
        self.settings = settings
        self.target = target
        self.profile = target.profile
        self.client = FhirClient(target.base_url, target.profile.headers, timeout=settings.timeout)
        self.run = Run(self.client, target.marker, origin)
        self.identities = identities(target.profile)
        self.runs = {OWN: self.run}  # what each identity created, cleaned up with its own credentials
        self._created: dict[tuple[str, str], Created] = {}
        self._subjects: dict[tuple[str, ...], Any] = {}
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
        return self.made(sent, exchange, NO_MATCH if request.conditional else SUCCEEDED, run.client)

    def made(
        self, sent: dict[str, Any], exchange: Exchange, accepted: str = SUCCEEDED, client: FhirClient | None = None
    ) -> Created:
        """Return a create the suite made (as its own identity unless a client is given), as cases see it."""
        tenant = self.profile.tenant_tag.system if self.profile.tenant_tag else None
        return Created(client or self.client, sent, exchange, tenant, self.bases, accepted)

    def run_as(self, identity: str) -> Run:
        """Return the Run of an identity (identities.identities), made on first use."""
        if identity not in self.runs:
            client = FhirClient(self.client.base_url, self.identities[identity], timeout=self.settings.timeout)
            self.runs[identity] = Run(client, self.run.marker, f"{self.run.origin}{identity}-")
        return self.runs[identity]

    def creates_of(self, resource_type: str) -> list[Created]:
        """Return every plain create of a type, one per way of sending it."""
        return [self.created(resource_type, request) for request in PLAIN]

    def sound(self, resource_type: str) -> None:
        """The type's plain creates meet what sequences of requests rely on; else raise the first failure."""
        key = ("sound", resource_type)
        if key not in self._subjects:
            try:
                created.sound(self.created(resource_type, "plain"), self.creates_of(resource_type))
                self._subjects[key] = None
            except ConformanceFailure as error:
                self._subjects[key] = error
        found = self._subjects[key]
        if found is not None:  # a fresh failure for each case that relies on it
            raise ConformanceFailure(found.expected, found.received, found.exchange, found.requirement)

    def flow(self, resource_type: str, name: str) -> Flow:
        """Return a conditional-create flow of the type, run on first use."""
        plan = conditional.PLANS[name]

        def make() -> Flow:
            context = Context(
                self.made, lambda other: self.flow(resource_type, other), lambda: self.sound(resource_type)
            )
            return Flow(self.run, resource_type, plan, context)

        return self._subject(("flow", resource_type, name), make)

    def transaction(self, name: str) -> Transaction:
        """Return a transaction flow, run on first use."""
        plan = transactions.PLANS[name]

        def make() -> Transaction:
            context = Context(self.made, self.transaction, lambda: self.sound("Patient"))
            return Transaction(self.run, plan, context, self.bases, self.profile.claims())

        return self._subject(("transaction", name), make)

    def race(self, resource_type: str, name: str) -> Race:
        """Return a race of the type (its rounds run when a case first looks at them)."""
        sequences: Callable[[str], Any] = (
            self.transaction if name == "transaction" else lambda n: self.flow(resource_type, n)
        )

        def make() -> Race:
            return Race(self.run, resource_type, self.settings.race_clients, races.RACES[name], sequences)

        return self._subject(("race", resource_type, name), make)

    def _subject(self, key: tuple[str, ...], make: Callable[[], T]) -> T:
        """Return the subject of a key, made on first use."""
        if key not in self._subjects:
            self._subjects[key] = make()
        return self._subjects[key]  # type: ignore[no-any-return]

    def stop_reason(self) -> tuple[int, str] | None:
        """Return why the run must stop now, with its exit code: refused credentials, or a server gone silent."""
        if self._credentials_refused:
            return EXIT_USAGE, self._credentials_refused
        if self.client.stopped:
            return EXIT_FAILED, f"the server stopped answering: {self.client.silence}"
        return None

    def unsupported(self, resource_type: str) -> str | None:
        """Return why the CapabilityStatement says the server does not create this type, or None."""
        resources = [r for rest in self._rests() for r in rest.get("resource", [])]
        if not resources:
            return None  # a statement that lists no resources says nothing either way
        entry = next((r for r in resources if r.get("type") == resource_type), None)
        codes = {i.get("code") for i in (entry or {}).get("interaction", [])}
        if "create" in codes:
            return None
        return f"the server's CapabilityStatement does not offer create for {resource_type}"

    def conditional_unsupported(self, resource_type: str) -> str | None:
        """Return why conditional create does not apply to the type: the profile, else the CapabilityStatement."""
        claimed = self.profile.conditional_create
        if claimed is not None:  # the profile's word stands over the statement's (a claim makes failures count)
            return None if claimed else "not applicable: the profile says the server has no conditional create"
        entries = [r for rest in self._rests() for r in rest.get("resource", []) if r.get("type") == resource_type]
        if any(entry.get("conditionalCreate") is False for entry in entries):
            return f"the server's CapabilityStatement says conditionalCreate is false for {resource_type}"
        return None

    def transactions_unsupported(self) -> str | None:
        """Return why the CapabilityStatement says the server runs no transactions, or None."""
        codes = {i.get("code") for rest in self._rests() for i in rest.get("interaction", [])}
        if codes and "transaction" not in codes:  # a statement that lists no interaction says nothing
            return "the server's CapabilityStatement lists no transaction interaction"
        return None

    def _rests(self) -> list[dict[str, Any]]:
        """Return the server parts (mode server) of the CapabilityStatement."""
        return [rest for rest in self.target.capabilities.get("rest", []) if rest.get("mode") == "server"]

    def close(self) -> None:
        """Close the connections."""
        for run in self.runs.values():
            run.client.close()
