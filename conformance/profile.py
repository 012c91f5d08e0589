"""What the server under test claims, and how this run is set: preset < the user's TOML < flags."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from conformance import jsonschemas
from conformance.baseline import Baseline
from conformance.waivers import Waivers

PRESETS = ("r4", "aidbox", "clinikapi")
FAIL_LEVELS = ("shall", "should")
# Claims that raise requirements: a server claiming atomic conditional create owes it (SHALL).
RAISED_BY = {"atomic_conditional_create": {"ccreate.race.single": "SHALL", "tx.if-none-exist.race": "SHALL"}}


class ProfileError(ValueError):
    """A bad option value or profile file; its message is one line meant for the user."""


@dataclass(frozen=True)
class Tag:
    """A meta.tag coding; a None code means any code of the system (the server chooses it)."""

    system: str
    code: str | None = None

    @classmethod
    def parse(cls, text: str) -> Tag:
        """Read ``SYSTEM|CODE`` or ``SYSTEM``."""
        system, _, code = text.partition("|")
        if not system.strip() or (code and not code.strip()):
            raise ProfileError(f"expected a tag as SYSTEM|CODE or SYSTEM, received {text!r}")
        return cls(system.strip(), code.strip() or None)

    def __str__(self) -> str:
        return self.system if self.code is None else f"{self.system}|{self.code}"


@dataclass(frozen=True)
class Embedded:
    """How the embedded reference server is started so that it matches the profile."""

    base_path: str = ""
    api_key_header: str | None = None


@dataclass(frozen=True)
class ServerProfile:
    """The claims of the server under test, the headers sent to it, and the requirement levels."""

    name: str
    description: str
    id_policy: str
    invalid_status: str
    validates: bool
    conditional_query: bool
    weak_etag: bool
    tenant_tag: Tag | None
    conditional_create: bool | None = None  # None: as the CapabilityStatement says
    atomic_conditional_create: bool = False
    if_none_exist_miscased: str = "plain-create-or-400"
    headers: tuple[tuple[str, str], ...] = ()
    other_tenant_headers: tuple[tuple[str, str], ...] = ()
    levels: Mapping[str, str] = field(default_factory=dict)
    embedded: Embedded = Embedded()
    unset_env: tuple[tuple[str, str], ...] = ()  # (header, variable): headers whose variable is not set
    provenance: Mapping[str, str] = field(default_factory=dict)  # claim -> where it came from (preset, file, flag)

    def claims(self) -> dict[str, Any]:
        """Return the claims by name, as the catalogue's applies-when column names them."""
        return {
            "id_policy": self.id_policy,
            "invalid_status": self.invalid_status,
            "validates": self.validates,
            "conditional_query": self.conditional_query,
            "weak_etag": self.weak_etag,
            "conditional_create": self.conditional_create,
            "atomic_conditional_create": self.atomic_conditional_create,
            "if_none_exist_miscased": self.if_none_exist_miscased,
            "tenant_tag": self.tenant_tag is not None,
            "other_tenant": bool(self.other_tenant_headers),
        }

    def secret_header_names(self) -> frozenset[str]:
        """Return the (lower-case) names of every header whose value must never be shown."""
        return frozenset(name.lower() for name, _ in self.headers + self.other_tenant_headers)


@dataclass(frozen=True)
class Settings:
    """One run: the server profile plus how the suite runs against it."""

    profile: ServerProfile
    base_url: str | None = None
    fail_level: str = "shall"
    timeout: float = 30.0
    concurrency: int = 8
    fuzz_examples: int = 20
    hypothesis_seed: int | None = None  # the seed of the generated examples, when --hypothesis-seed gives one
    race_clients: int = 10
    keep_resources: bool = False
    reports_dir: Path = Path("reports")
    only_requirements: tuple[str, ...] = ()
    waivers: Waivers = field(default_factory=Waivers)
    baseline: Baseline | None = None
    fail_on: str = "all"  # "new": only failures the baseline did not have fail the run


def build_profile(
    name_or_path: str | None, flags: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> ServerProfile:
    """Merge r4, the named preset or TOML file (and what it extends), and the flags given."""
    source = name_or_path or "r4"
    merged, provenance = _load_chain(source, seen=())
    for key in ("id_policy", "invalid_status", "validates", "conditional_query", "tenant_tag"):
        if flags.get(key) is not None:
            merged["claims"][key] = flags[key]
            provenance[key] = f"flag --{'no-' if flags[key] is False else ''}{key.replace('_', '-')}"
    if flags.get("other_tenant_headers"):
        provenance["other_tenant"] = "flag --other-tenant-header"
    _validate(merged, "")
    claims = merged["claims"]
    flag_headers = parse_headers(flags.get("headers") or ())
    headers, unset = _profile_headers(merged["headers"], environ, {name.lower() for name, _ in flag_headers})
    return ServerProfile(
        name=source,
        description=merged.get("description", ""),
        id_policy=claims["id_policy"],
        invalid_status=claims["invalid_status"],
        validates=claims["validates"],
        conditional_query=claims["conditional_query"],
        weak_etag=claims["weak_etag"],
        tenant_tag=Tag.parse(claims["tenant_tag"]) if claims.get("tenant_tag") else None,
        conditional_create=claims.get("conditional_create"),
        atomic_conditional_create=claims["atomic_conditional_create"],
        if_none_exist_miscased=claims["if_none_exist_miscased"],
        headers=merge_headers(headers, flag_headers),
        other_tenant_headers=parse_headers(flags.get("other_tenant_headers") or ()),
        levels={**_raised(claims), **merged["levels"]},
        embedded=Embedded(**merged["embedded"]),
        unset_env=unset,
        provenance=provenance,
    )


def _raised(claims: Mapping[str, Any]) -> dict[str, str]:
    """Return the levels the claims raise (a profile's own [levels] still win)."""
    return {row: level for claim, rows in RAISED_BY.items() if claims.get(claim) for row, level in rows.items()}


def _profile_headers(
    table: Mapping[str, Any], environ: Mapping[str, str], overridden: set[str]
) -> tuple[list[tuple[str, str]], tuple[tuple[str, str], ...]]:
    """Read a profile's headers, each a value or ``{ env = "VAR" }``; return them and those whose VAR is unset."""
    # A key kept in the environment never has to be written into a profile file (or a shell history).
    headers, unset = [], []
    for name, value in table.items():
        if isinstance(value, str):
            headers.append((name, value))
        elif environ.get(value["env"], "").strip():
            headers.append((name, environ[value["env"]].strip()))
        elif name.lower() not in overridden:
            unset.append((name, value["env"]))
    return headers, tuple(unset)


def parse_headers(lines: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Read ``Name: value`` lines, refusing any without a name or a colon."""
    parsed = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
            # The line may be a bare credential: say what is wrong with it, never what it is.
            raise ProfileError(f'--header: expected "Name: value", received {_shape(line)}')
        parsed.append((name.strip(), value.strip()))
    return merge_headers(parsed, ())


def _shape(line: str) -> str:
    """Describe a malformed header line without repeating it."""
    if ":" not in line:
        return f"a {len(line)}-character value without a colon (not shown: it may be a credential)"
    return "a header whose name is empty or contains spaces (not shown: it may be a credential)"


def merge_headers(base: Sequence[tuple[str, str]], override: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Merge two header lists; names compare case-insensitively and the override wins per name."""
    merged: dict[str, tuple[str, str]] = {}
    for name, value in [*base, *override]:
        merged[name.lower()] = (name, value)
    return tuple(merged.values())


def _load_chain(source: str, seen: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """Load a preset or file and, beneath it, what it extends (r4 at the bottom); say where each claim came from."""
    if source in seen:
        raise ProfileError(f"profile {source}: 'extends' makes a cycle: {' -> '.join((*seen, source))}")
    data = _read(source)
    parent = data.get("extends") or ("r4" if source != "r4" else None)
    base, provenance = _load_chain(parent, (*seen, source)) if parent else (_empty(), {})
    for table in ("claims", "headers", "levels", "embedded"):
        base[table].update(data.get(table, {}))
    if "description" in data:
        base["description"] = data["description"]
    origin = f"preset {source}" if source in PRESETS else f"file {source}"
    provenance.update(dict.fromkeys(data.get("claims", {}), origin))
    return base, provenance


def _read(source: str) -> dict[str, Any]:
    """Read and schema-check one preset (by name) or TOML file (by path)."""
    if source in PRESETS:
        text = resources.files("conformance").joinpath("presets", f"{source}.toml").read_text("utf-8")
    else:
        path = Path(source)
        if not path.is_file():
            raise ProfileError(f"--server-profile: no preset or file named {source!r} (presets: {', '.join(PRESETS)})")
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ProfileError(f"profile {source}: cannot read it: {error}") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"profile {source}: not valid TOML: {error}") from error
    _validate(data, f"profile {source}")
    return data


def _validate(data: Mapping[str, Any], where: str) -> None:
    """Check profile data against the profile JSON Schema, reporting the first error in one line."""
    error = jsonschemas.first_error(data, "profile")
    if error is None:
        return
    if not where:  # merged data: the claims that can be wrong here came from flags
        raise ProfileError(f"--{str(error.absolute_path[-1]).replace('_', '-')}: {error.message}")
    raise ProfileError(f"{where}: {jsonschemas.where(error)}: {error.message}")


def _empty() -> dict[str, Any]:
    """Return an empty profile to merge into."""
    return {"description": "", "claims": {}, "headers": {}, "levels": {}, "embedded": {}}
