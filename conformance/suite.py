"""One process's session state: the client, the server's capabilities, and the creates and refusals its cases share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance import checks, fhirjson, requirements
from conformance.client import FHIR_JSON, Exchange, FhirClient
from conformance.concurrency import Once, Pool
from conformance.created import NO_MATCH, SUCCEEDED, Created
from conformance.identities import OWN, identities
from conformance.profile import Settings
from conformance.refused import Attempt, Refusal, unfindable
from conformance.resources import PLAIN, REQUESTS, TYPES, VARIANTS, Request, Run
from conformance.target import Target, refused_credentials

EXIT_USAGE = 4
EXIT_FAILED = 1
# The statuses a profile's invalid_status claim allows for invalid content.
INVALID_STATUSES = {"400": (400,), "422": (422,), "any": (400, 422)}


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
        self.pool = Pool(settings.concurrency)
        self.once = Once()  # the subjects cases share: each made once, whichever thread asks first
        self._credentials_refused: str | None = None

    @property
    def bases(self) -> tuple[str, ...]:
        """Return the server's own bases: the URL it is reached at, and its stated implementation.url."""
        stated = self.target.capabilities.get("implementation", {}).get("url")
        stated_bases = [stated.rstrip("/")] if isinstance(stated, str) and stated else []
        return tuple(dict.fromkeys([self.client.base_url, *stated_bases]))

    def created(self, resource_type: str, request: str) -> Created:
        """Return the create of a marked sample of the type sent as named, made on first use."""

        def make() -> Created:
            created = self.create(resource_type, {**REQUESTS, **VARIANTS}[request])
            self._watch(created.exchange, request == "plain")
            return created

        return self.once.get(("created", resource_type, request), make)

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

        def make() -> Run:
            client = self.client.sibling(self.identities[identity])
            return self.runs.setdefault(identity, Run(client, self.run.marker, f"{self.run.origin}{identity}-"))

        return self.runs[identity] if identity == OWN else self.once.get(("run", identity), make)

    def refusal(self, attempt: Attempt) -> Refusal:
        """Return the refusal of an attempt, sent on first use (after the create or attempt it builds on)."""

        def make() -> Refusal:
            first = self.created(attempt.type, attempt.reuses) if attempt.reuses else None
            baseline = self.refusal(attempt.baseline) if attempt.baseline else None
            sent = self.run.sample(attempt.sample or attempt.type)
            if first is not None:
                sent["id"] = first.sent["id"]
            return self.refuse(attempt, sent, baseline, first)

        return self.once.get(("refusal", attempt.name), make)

    def refuse(
        self, attempt: Attempt, sent: dict[str, Any], baseline: Refusal | None = None, first: Created | None = None
    ) -> Refusal:
        """Send an attempt's body, made from `sent` (a new request each time: see `refusal`)."""
        exchange = self._send(attempt, sent)
        refused_by = next(row for row in attempt.refusals if not self.not_applicable(row))
        statuses = INVALID_STATUSES[self.profile.invalid_status]
        return Refusal(attempt, sent, exchange, self.run, refused_by, statuses, self.findable, baseline, first)

    def findable(self, resource_type: str, identity: str = OWN, made: Callable[[], Created] | None = None) -> None:
        """Skip unless a search of the type by identifier, as the identity, finds a resource it created (the plain
        create, or the one `made` makes; searched once): where it does not, finding nothing proves nothing."""
        control = made or (lambda: self.created(resource_type, "plain"))
        reason = self.once.get(("findable", resource_type, identity), lambda: unfindable(control()))
        if reason is not None:
            checks.not_applicable(reason)

    def create_as_sent(self, sent: dict[str, Any], accepted: str) -> Created:
        """Create a resource as it is (a generated one); its cases compare with what the wire carried."""
        exchange = self.run.send(sent)
        self._watch(exchange, baseline=False)
        # Read back from the body sent: FHIR JSON has one number type (100 comes back as an integer), and a
        # Decimal is written as Python writes it (0.00000010 as 1.0E-7, the same precision).
        return self.made(fhirjson.loads(exchange.request_body), exchange, accepted)

    def _send(self, attempt: Attempt, sent: dict[str, Any]) -> Exchange:
        """POST an attempt's body; remember what a server that accepted it made, for the cleanup."""
        headers = {"Content-Type": FHIR_JSON, **attempt.headers}
        exchange = self.client.request("POST", attempt.type + attempt.query, attempt.body(sent), headers)
        for resource_type in (attempt.type, sent["resourceType"]):
            self.run.remember(resource_type, exchange)
        self._watch(exchange, baseline=False)
        return exchange

    def _watch(self, exchange: Exchange, baseline: bool) -> None:
        """Note refused credentials: a 401 to any create, or a 403 to the plain one (a 403 may refuse one feature)."""
        if exchange.status == 401 or (exchange.status == 403 and baseline):
            self._credentials_refused = refused_credentials(exchange.status, exchange.url)

    def inapplicable(self, attempt: Attempt) -> str | None:
        """Return why an attempt does not apply to this server (its claims, its CapabilityStatement), or None."""
        reasons = [self.not_applicable(row) for row in attempt.refusals]
        if all(reasons):
            return reasons[0]
        unsupported = self.unsupported(attempt.type) if attempt.type in TYPES else None
        return unsupported or attempt.skip(self.target.capabilities)

    def not_applicable(self, requirement_id: str) -> str | None:
        """Return why a requirement does not apply to the profile's claims, or None."""
        return requirements.load()[requirement_id].not_applicable(self.profile.claims())

    def creates_of(self, resource_type: str) -> list[Created]:
        """Return every plain create of a type, one per way of sending it."""
        return [self.created(resource_type, request) for request in PLAIN]

    def stop_reason(self) -> tuple[int, str] | None:
        """Return why the run must stop now, with its exit code: refused credentials, or a server gone silent."""
        if self._credentials_refused:
            return EXIT_USAGE, self._credentials_refused
        if self.client.stopped:
            return EXIT_FAILED, f"the server stopped answering: {self.client.silence.last}"
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
        """Stop the pool and close the connections."""
        self.pool.close()
        for run in self.runs.values():
            run.client.close()
