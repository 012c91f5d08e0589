"""The command-line contract (DESIGN.md), read into Settings; a bad value is a one-line ProfileError."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conformance import baseline, requirements, waivers
from conformance.profile import FAIL_LEVELS, ProfileError, Settings, build_profile
from conformance.resultsfile import ResultsFileError

# Examples per property and type: every fault the properties' self-tests inject shows within them, and a run on
# the embedded server takes about three seconds more for its 280 examples (README: the option's line).
FUZZ_EXAMPLES = 20
FAIL_ON = ("all", "new")


def add_options(parser: pytest.Parser) -> None:
    """Register the suite's options (--base-url comes from pytest-base-url)."""
    catalogue = requirements.load()
    verified = sum(1 for row in catalogue.values() if not row.not_tested)
    description = f"FHIR create conformance ({verified} of the catalogue's {len(catalogue)} rows verified today)"
    group = parser.getgroup("fhir-create-conformance", description)
    add = group.addoption
    add(
        "--header",
        action="append",
        dest="fhir_headers",
        metavar="'NAME: VALUE'",
        help="header sent on every request, repeatable (env FHIR_HEADERS, newline separated); never reported",
    )
    add("--server-profile", metavar="NAME_OR_PATH", help="preset (r4, aidbox, clinikapi) or TOML file; default r4")
    add("--id-policy", metavar="ignore|respect", help="client id in POST: ignored (R4) or honoured, 409 on duplicates")
    add("--invalid-status", metavar="400|422|any", help="status expected for invalid resources")
    add("--validates", action="store_true", default=None, help="the server rejects invalid resources")
    add("--no-validates", action="store_false", dest="validates", help="the server makes no validation claim")
    add("--conditional-query", action="store_true", default=None, help="the server claims POST [type]?params")
    add("--no-conditional-query", action="store_false", dest="conditional_query", help="it does not")
    add("--tenant-tag", metavar="SYSTEM|CODE", help="the tenant tag the server injects (SYSTEM alone: any code)")
    add(
        "--other-tenant-header",
        action="append",
        metavar="'NAME: VALUE'",
        help="a second tenant's credentials, repeatable: enables the isolation cases; never reported",
    )
    add("--fuzz-examples", metavar="N", help=f"hypothesis examples per property and type (default {FUZZ_EXAMPLES})")
    add("--race-clients", metavar="N", help="concurrent clients in race cases (default 10)")
    add("--fail-level", metavar="shall|should", help="lowest level whose failure fails the run (default shall)")
    add("--timeout", dest="fhir_timeout", metavar="SECONDS", help="per-request timeout (env FHIR_TIMEOUT; default 30)")
    add("--concurrency", metavar="N", help="independent requests in flight at once (default 8; 1: one at a time)")
    add("--keep-resources", action="store_true", help="do not delete what the run created (they are listed)")
    add("--reports-dir", metavar="DIR", help="where report.html, junit.xml, results.json, testreport.json go")
    add("--only-requirement", action="append", metavar="ID", help="run only the cases that verify this id")
    add("--waivers", metavar="FILE", help="TOML of accepted failures (requirement, reason, expires): shown as waived")
    add("--baseline", metavar="FILE", help="an earlier run's results.json: report new failures and new passes")
    add("--fail-on", metavar="all|new", help="fail on every failure (default) or only on new ones (needs --baseline)")
    parser.addini("timeout", "per-request timeout in seconds (like --timeout)")


def read_settings(config: pytest.Config) -> Settings:
    """Read every option into Settings, checking each value."""
    option = config.option
    flags = {
        "id_policy": option.id_policy,
        "validates": option.validates,
        "conditional_query": option.conditional_query,
        "invalid_status": option.invalid_status,
        "tenant_tag": option.tenant_tag,
        "headers": option.fhir_headers or _env_lines("FHIR_HEADERS"),
        "other_tenant_headers": option.other_tenant_header,
    }
    profile = build_profile(option.server_profile, flags)
    catalogue = requirements.load()
    for requirement_id in [*profile.levels, *(option.only_requirement or [])]:
        if requirement_id not in catalogue:
            raise ProfileError(f"unknown requirement id {requirement_id!r} (see conformance/requirements.csv)")
    fail_level = (option.fail_level or "shall").lower()
    if fail_level not in FAIL_LEVELS:
        raise ProfileError(f"--fail-level: expected shall or should, received {option.fail_level!r}")
    timeout = option.fhir_timeout or config.getini("timeout") or os.environ.get("FHIR_TIMEOUT")
    # The ini key too: this hook runs before pytest-base-url copies it into the option.
    base_url = option.base_url or config.getini("base_url") or None
    if base_url and profile.unset_env:  # the embedded server needs no key of the user's: it makes its own
        name, variable = profile.unset_env[0]
        raise ProfileError(
            f"{name}: set the environment variable {variable} (profile {profile.name}), or give --header"
        )
    return Settings(
        profile=profile,
        base_url=base_url,
        fail_level=fail_level,
        timeout=float(_count("--timeout", timeout, 30, 1, 3600)),
        concurrency=_count("--concurrency", option.concurrency, 8, 1, 64),
        fuzz_examples=_count("--fuzz-examples", option.fuzz_examples, FUZZ_EXAMPLES, 1, 100_000),
        # Given to hypothesis's own plugin, which seeds every test with it; the properties take it as the run's.
        hypothesis_seed=_seed(getattr(option, "hypothesis_seed", None)),
        race_clients=_count("--race-clients", option.race_clients, 10, 2, 500),
        keep_resources=option.keep_resources,
        reports_dir=Path(config.invocation_params.dir, option.reports_dir or "reports"),
        only_requirements=tuple(option.only_requirement or ()),
        **_gates(config),
    )


def _gates(config: pytest.Config) -> dict[str, Any]:
    """Read --waivers, --baseline and --fail-on; a bad file is one line naming it."""
    option, here = config.option, config.invocation_params.dir
    fail_on = (option.fail_on or "all").lower()
    if fail_on not in FAIL_ON:
        raise ProfileError(f"--fail-on: expected all or new, received {option.fail_on!r}")
    if fail_on == "new" and not option.baseline:
        raise ProfileError("--fail-on new: give the run to compare with (--baseline FILE)")
    try:
        accepted = waivers.load(Path(here, option.waivers), date.today()) if option.waivers else waivers.Waivers()
    except waivers.WaiverError as error:
        raise ProfileError(f"--waivers {option.waivers}: {error}") from None
    try:
        earlier = baseline.load(Path(here, option.baseline)) if option.baseline else None
    except ResultsFileError as error:
        raise ProfileError(f"--baseline: {error}") from None
    return {"waivers": accepted, "baseline": earlier, "fail_on": fail_on}


def _count(flag: str, value: str | None, default: int, low: int, high: int) -> int:
    """Read a whole-number option within bounds."""
    if value is None:
        return default
    if not str(value).strip().isdigit() or not low <= int(value) <= high:
        raise ProfileError(f"{flag}: expected a whole number from {low} to {high}, received {value!r}")
    return int(value)


def _seed(value: str | None) -> int | None:
    """Read --hypothesis-seed: a whole number (hypothesis takes any text; the run's printed seed is a number)."""
    if value is None:
        return None
    if not str(value).strip().lstrip("-").isdigit():
        raise ProfileError(f"--hypothesis-seed: expected a whole number, received {value!r}")
    return int(value)


def _env_lines(name: str) -> list[str]:
    """Return the non-blank lines of an environment variable."""
    return [line for line in os.environ.get(name, "").splitlines() if line.strip()]
