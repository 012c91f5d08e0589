"""The benchmark: python -m conformance.bench [--out reports/bench.json] [--quick].

Every figure comes from this one process's run, against reference servers it starts itself:
how well the suite hides network latency, what pytest-xdist adds, the suite's overhead over the bare
HTTP it sends, how many requests a run makes, the reference server's throughput, and the wall time and
peak memory of a full default run against the embedded server.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from conformance import requirements

REPO = Path(__file__).resolve().parent.parent
LATENCY_MS = 50
BODY = json.dumps(
    {"resourceType": "Patient", "name": [{"family": "Bench"}], "identifier": [{"system": "s", "value": "v"}]}
)


@contextlib.contextmanager
def server(*args: str) -> Iterator[str]:
    """Run a reference server in a process of its own (validating, as the embedded one); yield its base URL."""
    command = [sys.executable, "-m", "conformance.server", "--port", "0", "--validates", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = process.stdout.readline() if process.stdout else ""
        yield line.strip().rpartition(" ")[2]  # "serving FHIR R4 at http://127.0.0.1:PORT"
    finally:
        process.terminate()
        process.wait(timeout=10)


def suite_run(*args: str) -> tuple[float, int]:
    """Run the suite as a user does; return its wall time and its peak memory in bytes."""
    with tempfile.TemporaryDirectory() as reports:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--reports-dir={reports}", *args]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the suite failed: pytest {' '.join(args)}")
    return wall, usage.ru_maxrss * 1024  # Linux reports kibibytes


def replay(url: str, log: Path) -> tuple[float, int]:
    """Send the recorded requests again, one after another with a bare httpx client; return the time and count."""
    entries = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    with httpx.Client(base_url=url.rstrip("/")) as client:
        started = time.perf_counter()
        for entry in entries:
            headers = [(k, v) for k, v in entry["headers"] if k.lower() not in ("host", "content-length")]
            client.request(entry["method"], entry["path"], content=base64.b64decode(entry["body"]), headers=headers)
        return time.perf_counter() - started, len(entries)


def throughput(url: str, clients: int, seconds: float, conditional: bool) -> dict[str, float]:
    """Create Patients for a while from keep-alive clients (http.client); return creates/s and p50/p99 in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    host, port = url.removeprefix("http://").split(":")

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, int(port))
        mine, serial = [], 0
        while time.perf_counter() < deadline:
            serial += 1
            headers = {"Content-Type": "application/fhir+json"}
            if conditional:  # each a new condition: every one a 201, through the check-and-insert
                headers["If-None-Exist"] = f"identifier=bench|{number}-{serial}"
            started = time.perf_counter()
            connection.request("POST", "/Patient", BODY, headers)
            connection.getresponse().read()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    _together([partial(client, number) for number in range(clients)])
    ordered = sorted(latencies)
    return {
        "creates_per_s": len(ordered) / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
    }


def _together(calls: list[Callable[[], None]]) -> None:
    """Run calls on threads of their own and wait for all."""
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure(quick: bool) -> dict[str, Any]:
    """Take every figure of the benchmark."""
    figures: dict[str, Any] = {"machine": _machine()}
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder, "requests.jsonl")
        with server("--record", str(log)) as url:
            plain, _ = suite_run(f"--base-url={url}")
        with server() as url:
            replayed, count = replay(url, log)
    with server("--latency-ms", str(LATENCY_MS)) as url:
        slow, _ = suite_run(f"--base-url={url}")
        slow_xdist, _ = suite_run(f"--base-url={url}", "-n", "4")
    covered = sum(1 for row in requirements.load().values() if not row.not_tested)
    figures["latency_hiding"] = {"no_latency_s": plain, f"latency_{LATENCY_MS}ms_s": slow, "ratio": slow / plain}
    figures["parallel"] = {"serial_s": slow, "xdist_4_s": slow_xdist, "speed_up": slow / slow_xdist}
    figures["overhead"] = {"run_s": plain, "bare_replay_s": replayed, "ratio": plain / replayed}
    figures["requests"] = {"total": count, "covered_requirements": covered, "per_requirement": count / covered}
    seconds = 2.0 if quick else 5.0
    with server() as url:
        figures["throughput"] = {
            f"{kind}_{clients}_clients": throughput(url, clients, seconds, kind == "conditional")
            for kind in ("plain", "conditional")
            for clients in (1, 4)
        }
    wall, memory = suite_run()
    figures["full_run"] = {"wall_s": wall, "peak_memory_mib": memory / 2**20}
    return figures


def _machine() -> dict[str, Any]:
    """Describe the machine the figures come from."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


TARGETS = (
    ("latency hiding: 50 ms run / plain run", ("latency_hiding", "ratio"), "<= 2.0"),
    ("parallel: serial / -n 4, 50 ms server", ("parallel", "speed_up"), ">= 1.0"),
    ("overhead: run / bare replay", ("overhead", "ratio"), "<= 1.5"),
    ("requests per covered requirement", ("requests", "per_requirement"), ""),
    ("reference server, plain creates/s, 1 client", ("throughput", "plain_1_clients", "creates_per_s"), ">= 1500"),
    ("full default run, embedded server (s)", ("full_run", "wall_s"), "< 20"),
    ("full default run, peak memory (MiB)", ("full_run", "peak_memory_mib"), "< 300"),
)


def table(figures: dict[str, Any]) -> str:
    """Render the figures the issue sets targets for, then every throughput figure."""
    lines = [f"{'figure':<48} {'value':>10}  target"]
    for label, path, target in TARGETS:
        value: Any = figures
        for key in path:
            value = value[key]
        lines.append(f"{label:<48} {value:>10.2f}  {target}")
    for name, numbers in figures["throughput"].items():
        lines.append(
            f"{'throughput ' + name:<48} {numbers['creates_per_s']:>10.0f}  "
            f"p50 {numbers['p50_ms']:.2f} ms, p99 {numbers['p99_ms']:.2f} ms"
        )
    machine = figures["machine"]
    lines.append(f"machine: {machine['cpus']} CPUs, Python {machine['python']}, {machine['platform']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, and write the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m conformance.bench", description=__doc__)
    parser.add_argument("--out", default="reports/bench.json", help="where the figures go (default reports/bench.json)")
    parser.add_argument("--quick", action="store_true", help="shorter throughput measurements")
    args = parser.parse_args(argv)
    figures = measure(args.quick)
    print(table(figures))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    print(f"figures: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
