"""Server profiles: presets, TOML files that extend them, flags on top, and one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.profile import ProfileError, Tag, build_profile, parse_headers


def test_r4_is_the_default() -> None:
    """With no profile named, the r4 preset applies: ids ignored, any invalid status, weak ETags."""
    profile = build_profile(None, {})
    assert (profile.name, profile.id_policy, profile.invalid_status, profile.validates) == (
        "r4",
        "ignore",
        "any",
        False,
    )
    assert profile.weak_etag and profile.tenant_tag is None


def test_aidbox_preset_relaxes_weak_etag_and_claims_its_behaviours() -> None:
    """The aidbox preset honours client ids, answers 422, validates, and is not asked for W/ ETags."""
    profile = build_profile("aidbox", {})
    assert (profile.id_policy, profile.invalid_status, profile.validates) == ("respect", "422", True)
    assert profile.conditional_query and not profile.weak_etag


def test_clinikapi_preset_names_the_tenant_system_and_embedded_layout() -> None:
    """The clinikapi preset carries the tenant tag system and the /v1/fhir base with x-api-key."""
    profile = build_profile("clinikapi", {})
    assert profile.tenant_tag == Tag("https://clinikapi.com/tenant", None)
    assert (profile.embedded.base_path, profile.embedded.api_key_header) == ("/v1/fhir", "x-api-key")


def test_flags_beat_the_users_toml_which_beats_its_preset(tmp_path: Path) -> None:
    """Precedence: flags > the user's TOML > the preset it extends > r4."""
    path = tmp_path / "mine.toml"
    path.write_text('extends = "aidbox"\n[claims]\ninvalid_status = "400"\n[headers]\nX-Team = "a"\n', "utf-8")
    profile = build_profile(str(path), {"id_policy": "ignore", "headers": ["x-team: b", "Authorization: Bearer t"]})
    assert (profile.id_policy, profile.invalid_status, profile.validates) == ("ignore", "400", True)
    assert profile.headers == (("x-team", "b"), ("Authorization", "Bearer t"))
    assert profile.secret_header_names() == {"x-team", "authorization"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[claims]\nid_policy = "maybe"\n', "claims.id_policy: 'maybe' is not one of"),
        ("[claims\n", "not valid TOML"),
        ("[claimz]\nvalidates = true\n", "Additional properties are not allowed ('claimz' was unexpected)"),
        ('[levels]\n"create.status.201" = "MUST"\n', "levels.create.status.201: 'MUST' is not one of"),
        ('extends = "mine.toml"\n', "'extends' makes a cycle"),
        ('extends = "nope"\n', "no preset or file named 'nope'"),
        ('[headers]\n"x-k" = { file = "k" }\n', "headers.x-k: {'file': 'k'} is not valid"),
    ],
)
def test_bad_profile_files_give_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    """An invalid profile file is refused with a single line naming the file and the problem."""
    monkeypatch.chdir(tmp_path)
    Path("mine.toml").write_text(text, "utf-8")
    with pytest.raises(ProfileError) as raised:
        build_profile("mine.toml", {})
    assert message in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"id_policy": "sometimes"}, "--id-policy: 'sometimes' is not one of"),
        ({"invalid_status": "418"}, "--invalid-status: '418' is not one of"),
        ({"tenant_tag": "a b"}, "--tenant-tag"),
        ({"headers": ["no colon here"]}, '--header: expected "Name: value"'),
    ],
)
def test_bad_flags_give_one_line(flags: dict[str, object], message: str) -> None:
    """A bad flag value is refused with one line naming the flag."""
    with pytest.raises(ProfileError, match=re.escape(message)):
        build_profile(None, flags)


def test_a_header_value_can_come_from_an_environment_variable(tmp_path: Path) -> None:
    """{env = "VAR"} takes the variable's value; unset or blank, the header is listed as unset (a flag can give it)."""
    path = tmp_path / "mine.toml"
    path.write_text('[headers]\n"x-api-key" = { env = "MY_KEY" }\n', "utf-8")
    assert build_profile(str(path), {}, {"MY_KEY": "k-1"}).headers == (("x-api-key", "k-1"),)
    unset = build_profile(str(path), {}, {"MY_KEY": " "})
    assert unset.headers == () and unset.unset_env == (("x-api-key", "MY_KEY"),)
    flagged = build_profile(str(path), {"headers": ["X-Api-Key: k-2"]}, {})
    assert flagged.headers == (("X-Api-Key", "k-2"),) and flagged.unset_env == ()


def test_clinikapi_preset_reads_its_key_from_clinikapi_secret_key() -> None:
    """The clinikapi preset sends CLINIKAPI_SECRET_KEY as x-api-key, as the ClinikAPI SDK reads it."""
    profile = build_profile("clinikapi", {}, {"CLINIKAPI_SECRET_KEY": "clk_test_abc"})
    assert profile.headers == (("x-api-key", "clk_test_abc"),) and profile.levels["tenancy.isolation.read"] == "SHALL"


def test_headers_merge_by_name_case_insensitively() -> None:
    """A later header replaces an earlier one of the same name, whatever its case."""
    assert parse_headers(["A: 1", "b: 2", "a: 3"]) == (("a", "3"), ("b", "2"))


def test_tags_parse_with_or_without_code() -> None:
    """A tag is SYSTEM|CODE, or SYSTEM alone when the server picks the code."""
    assert Tag.parse("http://s|c") == Tag("http://s", "c")
    assert Tag.parse("http://s") == Tag("http://s", None)
    with pytest.raises(ProfileError):
        Tag.parse("|c")


def test_a_claim_of_atomic_conditional_create_raises_the_races_to_shall(tmp_path: Path) -> None:
    """Races are SHOULD under r4; atomic_conditional_create makes them SHALL; a profile's own [levels] still win."""
    assert "ccreate.race.single" not in build_profile("r4", {}).levels
    path = tmp_path / "atomic.toml"
    path.write_text("[claims]\natomic_conditional_create = true\n", "utf-8")
    levels = build_profile(str(path), {}).levels
    assert levels["ccreate.race.single"] == levels["tx.if-none-exist.race"] == "SHALL"
    path.write_text(
        '[claims]\natomic_conditional_create = true\n[levels]\n"tx.if-none-exist.race" = "SHOULD"\n', "utf-8"
    )
    assert build_profile(str(path), {}).levels["tx.if-none-exist.race"] == "SHOULD"
