"""The controller's side of a scenario run: it folds every case's report into the results, ends the run
when the server stops answering, cleans up, and renders the outputs (published only if a case ran)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance import htmlreport, requirements, runinfo, terminal, testreport, verdictpage
from conformance.client import FhirClient
from conformance.concurrency import Pool
from conformance.fuzzing import run_seed
from conformance.identities import OTHER, OWN, identities
from conformance.profile import Settings
from conformance.reporting import EXIT_INTERRUPTED, EXIT_OK, Results, case_id
from conformance.resources import Run, cleanup
from conformance.secrets import redact_url
from conformance.target import Target

if TYPE_CHECKING:
    from conformance.server import RunningServer

OUTPUTS = ("report.html", "junit.xml", "results.json", "testreport.json")


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
        self.results = Results(
            target=runinfo.of_settings(settings, config), waivers=settings.waivers.entries, baseline=settings.baseline
        )
        self.target: Target | None = None
        self.server: RunningServer | None = None
        self.created: dict[str, list[tuple[str, str]]] = {}  # from xdist workers, by identity
        self.local_runs: Mapping[str, Run] = {}  # a serial run's own, live from its Suite, by identity
        self.started = False  # whether any case began (an interrupted one has no report yet)

    def start(self, target: Target, server: RunningServer | None) -> None:
        """Remember the server the run tests (and the embedded one to stop at the end)."""
        self.target, self.server = target, server
        self.results.target.update(runinfo.of_target(target, embedded=server is not None))

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        """Name the server under test, its software, the profile and the gates above pytest's progress."""
        return terminal.header_lines(self.results.target)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Record the cases this run selected (a serial run collects on the controller)."""
        self.results.selection = [case_id(item.nodeid) for item in session.items]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Record the cases this run selected (under pytest-xdist the workers collect, each the same)."""
        self.results.selection = [case_id(nodeid) for nodeid in ids]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Note the seed of the generated examples (hypothesis has loaded its profile by now), hide the base URL's
        password from pytest-metadata, and teach report.html the suite's verdicts."""
        if self.target is not None:
            self.results.target["hypothesis_seed"] = str(run_seed(self.settings.hypothesis_seed, self.target.seed))
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

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Clean up, settle the exit code, write results.json and testreport.json (report.html and junit.xml follow)."""
        self._clean_up()
        code = self.results.exit_code  # already set when the run was stopped or interrupted
        session.exitstatus = code if code is not None else self.results.settle(int(exitstatus))
        self.results.write_json(self.outputs.dir / "results.json")
        self.results.write_json(self.outputs.dir / "testreport.json", testreport.build(self.results))
        report = htmlreport.find_report(self.config)
        if report is not None:
            htmlreport.set_counts(report, self.results.counts())
        self._junit_properties()

    def _junit_properties(self) -> None:
        """Put the run's verdict, gates, waivers and changes since the baseline on junit.xml's testsuite."""
        from _pytest.junitxml import xml_key  # pytest's own record_testsuite_property reaches LogXML this way

        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        results, target = self.results, self.results.target
        properties = [("verdict", results.verdict()), ("exit_code", results.exit_code)]
        properties += [("fail_level", target["fail_level"]), ("fail_on", target["fail_on"])]
        properties += [("waiver", f"{w['requirement']}: {w['status']}") for w in results.waiver_statuses()]
        changes = results.changes()
        if changes is not None:
            properties.append(("new_failures", " ".join(c.requirement for c in changes.new_failures)))
            properties.append(("new_passes", " ".join(c.requirement for c in changes.new_passes)))
        for name, value in properties:
            xml.add_global_property(name, value)

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
        pool = Pool(self.settings.concurrency)
        for identity, headers in identities(self.target.profile).items():
            # Each tenant's own, with its own credentials; a withheld key's only if the server took a create.
            if identity in (OWN, OTHER) or known.get(identity):
                with closing(FhirClient(self.target.base_url, headers, timeout=self.settings.timeout)) as client:
                    self.results.leftovers += cleanup(client, self.target.marker, known.get(identity, []), pool)
        pool.close()

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
        """Put the verdict page above report.html's table."""
        prefix.append(verdictpage.render(self.results))

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
        """Print what did not pass, the gates, the verdict and the table per area; colour the last line by the exit."""
        terminalreporter.section("fhir-create-conformance")
        table = ["", *terminal.area_lines(self.results)] if self.results.cases else []
        for line in [*terminal.summary_lines(self.results), *table]:
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
