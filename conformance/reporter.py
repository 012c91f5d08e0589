"""The controller's side of a scenario run: it folds every case's report into the results, ends the run
when the server stops answering, cleans up, and renders the outputs (published only if a case ran)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance import htmlreport, requirements
from conformance.client import FhirClient
from conformance.fuzzing import run_seed
from conformance.identities import OTHER, OWN, identities
from conformance.profile import Settings
from conformance.reporting import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Results
from conformance.resources import Run, cleanup
from conformance.secrets import redact_url
from conformance.target import Target

if TYPE_CHECKING:
    from conformance.server import RunningServer

OUTPUTS = ("report.html", "junit.xml", "results.json")


class Outputs:
    """The report files of a run; a run in which no case ran leaves the reports folder as it was."""

    def __init__(self, config: pytest.Config, reports_dir: Path) -> None:
        self.dir = reports_dir
        self.existed = reports_dir.exists()
        self.before = {name: (reports_dir / name).read_bytes() for name in OUTPUTS if (reports_dir / name).is_file()}
        if getattr(config.option, "htmlpath", "missing") is None:
            config.option.htmlpath = str(reports_dir / "report.html")
            config.option.self_contained_html = True
        if config.option.xmlpath is None:
            config.option.xmlpath = str(reports_dir / "junit.xml")

    def restore(self) -> None:
        """Put back the report files as they were before the run (none, if there were none)."""
        for name in OUTPUTS:
            path = self.dir / name
            if name in self.before:
                path.write_bytes(self.before[name])
            elif path.exists():
                path.unlink()
        if not self.existed and self.dir.is_dir() and not any(self.dir.iterdir()):
            self.dir.rmdir()


class Reporter:
    """Registered on the controller of a scenario run only."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.outputs = Outputs(config, settings.reports_dir)
        self.results = Results(target={"profile": settings.profile.name, "fail_level": settings.fail_level})
        self.target: Target | None = None
        self.server: RunningServer | None = None
        self.created: dict[str, list[tuple[str, str]]] = {}  # from xdist workers, by identity
        self.local_runs: Mapping[str, Run] = {}  # a serial run's own, live from its Suite, by identity
        self.started = False  # whether any case began (an interrupted one has no report yet)

    def start(self, target: Target, server: RunningServer | None) -> None:
        """Remember the server the run tests (and the embedded one to stop at the end)."""
        self.target, self.server = target, server
        shown = redact_url(target.base_url)
        self.results.target.update(
            base_url=shown if server is None else f"embedded reference server ({shown})",
            run_tag=f"{target.marker.tag['system']}|{target.marker.code}",
            software=(target.capabilities.get("software") or {}).get("name", ""),
        )

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Note the seed of the generated examples (hypothesis has loaded its profile by now), hide the base URL's
        password from pytest-metadata, and teach report.html the suite's verdicts."""
        if self.target is not None:
            self.results.target["hypothesis_seed"] = run_seed(self.settings.hypothesis_seed, self.target.seed)
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:
            metadata_key = None
        if metadata_key is not None and "Base URL" in self.config.stash.get(metadata_key, {}):
            self.config.stash[metadata_key]["Base URL"] = redact_url(str(self.config.stash[metadata_key]["Base URL"]))
        report = htmlreport.find_report(self.config)
        if report is not None:
            htmlreport.teach_verdicts(report)

    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        """Note that a case began: from now on the run's reports are kept."""
        self.started = True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold each scenario report into the results; stop the run when a case says so."""
        if not any(name == "requirements" for name, _ in report.user_properties):
            return
        self.results.add(report)
        stop = getattr(report, "fhir_stop", None)
        if stop and not self.results.stopped:
            code, reason = stop
            self.results.stopped, self.results.exit_code = reason, code
            dsession = self.config.pluginmanager.getplugin("dsession")
            if dsession is not None:  # under pytest-xdist the controller ends the other workers too
                dsession.shouldstop = f"fhir-create-conformance: {reason}"

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """Collect what an xdist worker created, for the cleanup."""
        for identity, pairs in getattr(node, "workeroutput", {}).get("created", {}).items():
            self.created.setdefault(identity, []).extend(tuple(pair) for pair in pairs)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Mark the run interrupted (Ctrl-C or SIGTERM); its reports are still written."""
        if not self.results.stopped:
            self.results.stopped, self.results.exit_code = "interrupted (Ctrl-C or SIGTERM)", EXIT_INTERRUPTED

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Clean up, settle the exit code, and write results.json (report.html and junit.xml follow)."""
        self._clean_up()
        if self.results.exit_code is None:
            self.results.exit_code = int(exitstatus)
            if self.results.exit_code == EXIT_OK and self.results.verified_nothing():
                self.results.exit_code = EXIT_FAILED
        session.exitstatus = self.results.exit_code
        catalogue, levels = requirements.load(), self.settings.profile.levels
        self.results.write_json(self.outputs.dir / "results.json", catalogue, levels)
        report = htmlreport.find_report(self.config)
        if report is not None:
            htmlreport.set_counts(report, self.results.counts())

    def _clean_up(self) -> None:
        """Delete what the run created (or list it, with --keep-resources)."""
        if self.target is None:
            return
        known = self._known()
        everything = [pair for pairs in known.values() for pair in pairs]
        if self.settings.keep_resources:
            self.results.kept = [f"{t}/{i}" for t, i in everything]
            return
        if self.results.stopped and "stopped answering" in self.results.stopped:
            self.results.leftovers = [f"{t}/{i} (not deleted: the server stopped answering)" for t, i in everything]
            return
        for identity, headers in identities(self.target.profile).items():
            # Each tenant's own, with its own credentials; a withheld key's only if the server took a create.
            if identity in (OWN, OTHER) or known.get(identity):
                with closing(FhirClient(self.target.base_url, headers, timeout=self.settings.timeout)) as client:
                    self.results.leftovers += cleanup(client, self.target.marker, known.get(identity, []))

    def _known(self) -> dict[str, list[tuple[str, str]]]:
        """Return what the run created, by identity: from the workers, and this process's own."""
        known = {identity: list(pairs) for identity, pairs in self.created.items()}
        for identity, run in self.local_runs.items():
            known.setdefault(identity, []).extend(run.created)
        return known

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        """Title report.html with what was tested."""
        target = self.results.target
        report.title = f"FHIR create conformance: {target.get('base_url', '')} ({target['profile']})"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str]) -> None:
        """Put the verdict, the counts and what did not pass above report.html's table."""
        lines = self.results.summary_lines(requirements.load(), self.settings.profile.levels)
        prefix.append(htmlreport.summary(lines, self.results.verdict()))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        """Add the requirement a case verifies and its level to report.html's table."""
        cells[2:2] = ["<th>Requirement</th>", "<th>Level</th>"]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        """Show the case's verdict as its result, and its requirement and level."""
        props = dict(report.user_properties)
        requirement = str(props.get("requirements", "")).split(" ")[0]
        level = props.get("level") or (requirements.load()[requirement].level.name if requirement else "")
        verdict = str(props.get("verdict") or "") if report.when == "call" else ""
        verdict = verdict or ("skipped" if report.skipped else "error" if report.failed else "passed")
        cells[0] = htmlreport.result_cell(verdict)
        cells[2:2] = [f"<td>{requirement}</td>", f"<td>{level}</td>"]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print what did not pass, per requirement, and the verdict; colour the last line by the exit code."""
        terminalreporter.section("fhir-create-conformance")
        for line in self.results.summary_lines(requirements.load(), self.settings.profile.levels):
            terminalreporter.line(line)
        seed = self.results.target.get("hypothesis_seed")
        if seed is not None:
            terminalreporter.line(f"hypothesis seed: {seed} (--hypothesis-seed={seed} draws this run's examples again)")
        terminalreporter.line(f"reports: {self.settings.reports_dir}")
        if self.results.exit_code not in (EXIT_OK, None) and not {"failed", "error"} & set(terminalreporter.stats):
            # pytest paints its last line red only for failed or errored tests; a blocked SHALL fails the run too.
            terminalreporter.stats.setdefault("failed", [])
            terminalreporter._set_main_color()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Leave the reports folder as it was if no case ran, and stop the embedded server."""
        if not self.started:
            self.outputs.restore()
        if self.server is not None:
            self.server.stop()
