"""Who a run acts as: its own credentials, a second tenant's, and the withheld or forged keys of the auth cases.

Every process derives the same identities from the same profile, so the controller cleans up, with each
identity's own credentials, what the workers created as it.
"""

from __future__ import annotations

import hashlib

from conformance.profile import ServerProfile, merge_headers
from conformance.secrets import ALWAYS_SECRET

Headers = tuple[tuple[str, str], ...]

OWN, OTHER = "own", "other"
NO_KEY, MALFORMED_KEY, UNKNOWN_KEY = "no-key", "malformed-key", "unknown-key"
FORGED = (NO_KEY, MALFORMED_KEY, UNKNOWN_KEY)
MALFORMED = "not-a-key"
NO_KEY_HEADER = "no credential header to withhold or forge (give the key with --header, e.g. x-api-key)"


def identities(profile: ServerProfile) -> dict[str, Headers]:
    """Return the headers of each identity: own, other (given a second tenant), forged (given a key header)."""
    found = {OWN: profile.headers}
    if profile.other_tenant_headers:
        found[OTHER] = merge_headers(profile.headers, profile.other_tenant_headers)
    names = credential_names(profile)
    if names:
        kept = tuple((name, value) for name, value in profile.headers if name.lower() not in names)
        keys = [(name, value) for name, value in profile.headers if name.lower() in names]
        found[NO_KEY] = kept
        found[MALFORMED_KEY] = (*kept, *((name, MALFORMED) for name, _ in keys))
        found[UNKNOWN_KEY] = (*kept, *((name, unknown_key(value)) for name, value in keys))
    return found


def credential_names(profile: ServerProfile) -> frozenset[str]:
    """Return the (lower-case) headers that carry the tenant's key: those the second tenant is given with,
    or else the usual credential headers (Authorization, x-api-key, ...)."""
    given = {name.lower() for name, _ in profile.other_tenant_headers} or ALWAYS_SECRET
    return frozenset(name.lower() for name, _ in profile.headers) & given


def unknown_key(value: str) -> str:
    """Return a key shaped like the real one (its prefix kept: ``clk_test_``, ``Bearer ``) that no tenant holds."""
    separator = "_" if "_" in value else " "
    head, sep, tail = value.rpartition(separator)
    # Derived, not random: every process forges the same key, so the controller can clean up after it.
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{head}{sep}{(digest * (len(tail) // 64 + 1))[: max(len(tail), 8)]}"
