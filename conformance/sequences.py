"""One process's sequences of requests: conditional-create flows, transaction flows and races, each made once
and shared by its cases, and whether the server's claims let them apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from conformance import conditional, created, races, transactions
from conformance.checks import ConformanceFailure
from conformance.conditional import Context, Flow
from conformance.races import Race
from conformance.suite import Suite
from conformance.transactions import Transaction

T = TypeVar("T")
# The suite's transactions make Patients; a transaction's soundness rests on the Patient creates.
PATIENT = "Patient"


class Sequences:
    """The flows, transactions and races of one process, made on first use."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite

    def sound(self, resource_type: str) -> None:
        """The type's plain creates meet what sequences of requests rely on; else raise the first failure."""

        def judge() -> ConformanceFailure | None:
            try:
                created.sound(self.suite.created(resource_type, "plain"), self.suite.creates_of(resource_type))
            except ConformanceFailure as error:
                return error
            return None

        found = self.suite.once.get(("sound", resource_type), judge)
        if found is not None:  # a fresh failure for each case that relies on it
            raise ConformanceFailure(found.expected, found.received, found.exchange, found.requirement)

    def flow(self, resource_type: str, name: str) -> Flow:
        """Return a conditional-create flow of the type, run on first use."""
        plan = conditional.PLANS[name]

        def make() -> Flow:
            context = self._context(self._flows(resource_type), resource_type)
            return Flow(self.suite.run_as(plan.identity), resource_type, plan, context)

        return self._once(("flow", resource_type, name), make)

    def transaction(self, name: str) -> Transaction:
        """Return a transaction flow, run on first use."""
        plan = transactions.PLANS[name]

        def make() -> Transaction:
            context = self._context(self.transaction, PATIENT)
            run = self.suite.run_as(plan.identity)
            return Transaction(run, plan, context, self.suite.bases, self.suite.profile.claims())

        return self._once(("transaction", name), make)

    def race(self, resource_type: str, name: str) -> Race:
        """Return a race of the type (its rounds run when a case judges it)."""
        leans_on: Callable[[str], Any] = self.transaction if name == "transaction" else self._flows(resource_type)

        def make() -> Race:
            racers = self.suite.settings.race_clients
            return Race(self.suite.run, resource_type, racers, races.RACES[name], leans_on)

        return self._once(("race", resource_type, name), make)

    def conditional_unsupported(self, resource_type: str) -> str | None:
        """Return why conditional create does not apply to the type: the profile, else the CapabilityStatement."""
        claimed = self.suite.profile.conditional_create
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
        return [rest for rest in self.suite.target.capabilities.get("rest", []) if rest.get("mode") == "server"]

    def _context(self, siblings: Callable[[str], Any], resource_type: str) -> Context:
        """Return what a sequence of the type asks of the suite, its siblings found by name."""
        suite = self.suite
        return Context(suite.made, siblings, lambda: self.sound(resource_type), suite.run, suite.findable)

    def _flows(self, resource_type: str) -> Callable[[str], Flow]:
        return lambda name: self.flow(resource_type, name)

    def _once(self, key: tuple[str, ...], make: Callable[[], T]) -> T:
        """Return the subject of a key, made on first use."""
        return self.suite.once.get(key, make)
