"""Who a run acts as: its own key, a second tenant's, and the withheld or forged keys of the auth cases."""

from __future__ import annotations

from conformance.cases import Case, RefusedCreate
from conformance.created import SUCCEEDED
from conformance.identities import MALFORMED, MALFORMED_KEY, NO_KEY, OTHER, OWN, UNKNOWN_KEY, identities, unknown_key
from conformance.profile import build_profile

KEY_REQUIRED = "tenancy.auth.key-required"


def test_the_key_header_alone_is_withheld_or_forged() -> None:
    """Other headers go with every identity; the second tenant's key replaces the run's own."""
    flags = {"headers": ["x-api-key: clk_test_abc123", "X-Team: qa"], "other_tenant_headers": ["x-api-key: clk_test_b"]}
    found = identities(build_profile("clinikapi", flags, {}))
    assert found[OWN] == (("x-api-key", "clk_test_abc123"), ("X-Team", "qa"))
    assert found[OTHER] == (("x-api-key", "clk_test_b"), ("X-Team", "qa"))
    assert found[NO_KEY] == (("X-Team", "qa"),)
    assert found[MALFORMED_KEY] == (("X-Team", "qa"), ("x-api-key", MALFORMED))
    assert found[UNKNOWN_KEY] == (("X-Team", "qa"), ("x-api-key", unknown_key("clk_test_abc123")))


def test_without_a_credential_header_there_is_no_key_to_withhold() -> None:
    """A run whose headers carry no known credential acts as itself only."""
    assert set(identities(build_profile("r4", {"headers": ["X-Team: qa"]}, {}))) == {OWN}


def test_an_unknown_key_keeps_the_shape_of_the_real_one() -> None:
    """The forged key keeps the prefix (clk_test_, Bearer), is never the real key, and is the same in every process."""
    forged = unknown_key("clk_test_abc123def456")
    assert forged.startswith("clk_test_") and len(forged) == len("clk_test_abc123def456")
    assert forged != "clk_test_abc123def456" and forged == unknown_key("clk_test_abc123def456")
    assert unknown_key("Bearer t0k").startswith("Bearer ") and unknown_key("Bearer t0k") != "Bearer t0k"


def test_a_refusal_row_does_not_need_the_create_accepted() -> None:
    """A case about a create the server refuses cites its needs, never create.status.201."""
    refusal = RefusedCreate("refused", "x", "tenancy.auth.nothing-created", print, (KEY_REQUIRED,))
    assert refusal.requirements((SUCCEEDED,)) == ("tenancy.auth.nothing-created", KEY_REQUIRED)
    assert Case("x", "x", KEY_REQUIRED, print).requirements((SUCCEEDED,)) == (KEY_REQUIRED, SUCCEEDED)
