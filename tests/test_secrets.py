"""The suite's own secrets: no credential it is given, by any channel, appears in any output it writes."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.client import FhirClient
from tests.conftest import run_suite

SYSTEM = "https://clinikapi.com/tenant"
# One distinctive value per channel a credential can come by.
SECRETS = {
    "CLINIKAPI_SECRET_KEY": "clk_test_envkey-7f3a9c51d2",
    "--other-tenant-header": "clk_test_otherkey-5b8e1d0a94",
    "--header": "flag-token-4c2e9a77b1",
    "FHIR_HEADERS": "env-lines-token-9d1f7b3e60",
    "profile file": "profile-token-2a6c8e4f19",
}


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_no_secret_reaches_the_terminal_or_any_report(
    tmp_path: Path, reference_server: Callable[..., str], workers: list[str]
) -> None:
    """A run with failures (so curl reproducers are printed) holds none of the secrets in its terminal output or in
    any file under reports/ (report.html with its environment table, junit.xml, results.json)."""
    tenants = {SECRETS["CLINIKAPI_SECRET_KEY"]: f"{SYSTEM}|a", SECRETS["--other-tenant-header"]: f"{SYSTEM}|b"}
    url = reference_server(faults=frozenset({"read-across-tenants"}), api_key_header="x-api-key", tenants=tenants)
    profile = tmp_path / "mine.toml"
    profile.write_text(f'extends = "clinikapi"\n[headers]\n"X-Profile-Token" = "{SECRETS["profile file"]}"\n')
    run = run_suite(
        tmp_path,
        f"--base-url={url}",
        f"--server-profile={profile}",
        f"--header=X-Flag-Token: {SECRETS['--header']}",
        f"--other-tenant-header=x-api-key: {SECRETS['--other-tenant-header']}",
        "-k",
        "patient",
        *workers,
        env={
            "CLINIKAPI_SECRET_KEY": SECRETS["CLINIKAPI_SECRET_KEY"],
            "FHIR_HEADERS": f"X-E: {SECRETS['FHIR_HEADERS']}",
        },
    )
    assert run.returncode == 1 and "-H 'x-api-key: ***'" in run.output, run.output
    outputs = {"terminal": run.output, **{p.name: p.read_text("utf-8") for p in run.reports.rglob("*") if p.is_file()}}
    assert {"report.html", "junit.xml", "results.json"} <= outputs.keys()
    leaks = [f"{channel} in {where}" for where, text in outputs.items() for channel, s in SECRETS.items() if s in text]
    assert leaks == []


def test_a_location_on_another_host_is_not_followed_with_the_runs_credentials() -> None:
    """A Location may name any host: the client sends nothing there (no connection, so no credential), and the
    read reads as not sent, naming the host."""
    with socket.socket() as elsewhere:
        elsewhere.bind(("127.0.0.1", 0))
        elsewhere.listen()
        elsewhere.settimeout(0.5)
        client = FhirClient("http://127.0.0.1:1/fhir", [("Authorization", "Bearer flag-token-4c2e9a77b1")])
        read = client.get(f"http://127.0.0.1:{elsewhere.getsockname()[1]}/fhir/Patient/1/_history/1")
        with pytest.raises(TimeoutError):
            elsewhere.accept()
    assert read.status == 0 and read.error.startswith("not sent: http://127.0.0.1:"), read.error
    assert "is not the base URL's host" in read.error and not client.stopped
