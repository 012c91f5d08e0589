"""How the reference server behaves: the claims it makes and the faults it injects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from conformance.server import faults

ID_POLICIES = ("ignore", "respect")
INVALID_STATUSES = (400, 422)


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one reference server; checked on construction."""

    id_policy: str = "ignore"
    invalid_status: int = 400
    validates: bool = False
    conditional_query: bool = False
    base_path: str = ""
    api_key_header: str | None = None
    tenants: Mapping[str, str] = field(default_factory=dict, hash=False)
    faults: frozenset[str] = frozenset()
    database: str = ":memory:"

    def __post_init__(self) -> None:
        """Reject settings the server cannot honour, and freeze the mutable ones."""
        if self.id_policy not in ID_POLICIES:
            raise ValueError(f"id_policy must be one of {ID_POLICIES}, not {self.id_policy!r}")
        if self.invalid_status not in INVALID_STATUSES:
            raise ValueError(f"invalid_status must be 400 or 422, not {self.invalid_status!r}")
        if self.base_path and (not self.base_path.startswith("/") or self.base_path.endswith("/")):
            raise ValueError(f"base_path must be '' or '/a[/b...]' with no trailing '/': {self.base_path!r}")
        for key, tag in self.tenants.items():
            system, sep, code = tag.partition("|")
            if not (key and system and sep and code):
                raise ValueError(f"tenant tag must be 'SYSTEM|CODE', got {tag!r} for key {key!r}")
        if self.tenants and not self.api_key_header:
            raise ValueError("tenants need api_key_header: the tenant is chosen by the request's key")
        faults.check_names(self.faults)
        object.__setattr__(self, "faults", frozenset(self.faults))
        object.__setattr__(self, "tenants", dict(self.tenants))  # a private copy
