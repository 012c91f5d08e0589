"""ARCHITECTURE.md's dependency graph is true: each module's line names exactly the suite's modules it imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

# "  name.py ──► a, b, c   (a comment)", continued on lines indented under it; "a.py, b.py   (stdlib only)".
LINE = re.compile(r"^  ([a-z_]+(?:\.py|/))(?:, [a-z_]+\.py)*\s+(?:─+►\s+(.*)|\(stdlib only\))$")
GRAPH_FILE = REPO / "ARCHITECTURE.md"


def documented() -> dict[str, set[str]]:
    """Return what the graph says each module (or package, as 'name/') imports, by module."""
    graph: dict[str, set[str]] = {}
    names: list[str] = []
    for line in GRAPH_FILE.read_text("utf-8").split("```")[1].splitlines():
        match = LINE.match(line)
        if match:
            names = re.findall(r"[a-z_]+(?:\.py|/)", line.split("►")[0])
            for name in names:
                graph[name.removesuffix(".py")] = set()
            line = match.group(2) or ""
        elif not line.startswith("     ") or not names:
            continue
        listed = {word for word in re.split(r"[,;]\s*", re.sub(r"\(.*?\)|\(.*", "", line)) if word}
        for name in names:
            graph[name.removesuffix(".py")] |= {word.strip() for word in listed}
    return graph


def imported(paths: list[Path]) -> set[str]:
    """Return the top-level conformance modules (or 'server', 'strategies') the files import."""
    modules: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "conformance":
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("conformance."):
                modules.add((node.module or "").split(".")[1])
    return modules


def test_each_module_names_what_it_imports() -> None:
    """Every module of conformance/ has a line, and the line names exactly the suite's modules it imports."""
    graph = documented()
    modules = {path.stem: path for path in (REPO / "conformance").glob("*.py") if path.stem != "__init__"}
    assert sorted(set(modules) - set(graph)) == []
    suite = set(modules) | {"server", "strategies"}
    wrong = {name: (sorted(imported([path]) - {name}), sorted(graph[name] & suite)) for name, path in modules.items()}
    assert {name: found for name, found in wrong.items() if found[0] != found[1]} == {}


def test_the_packages_import_only_what_their_lines_name() -> None:
    """strategies/ and server/ import no top-level module of the suite beyond those their lines name."""
    graph = documented()
    for package in ("strategies", "server"):
        files = list((REPO / "conformance" / package).rglob("*.py"))
        assert imported(files) - {package} <= graph[f"{package}/"], package


def test_scenarios_import_only_what_their_line_names() -> None:
    """The scenario modules import none of the suite's modules beyond those their line names (never the plugin)."""
    line = GRAPH_FILE.read_text("utf-8").split("scenarios/test_*.py ──►")[1].split("conformance/\n")[0]
    listed = {word.strip() for word in re.sub(r"\(.*?\)", "", line).split(",")}
    assert imported(list((REPO / "scenarios").glob("*.py"))) <= listed
