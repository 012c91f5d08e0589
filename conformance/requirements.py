"""The requirements catalogue: one row per normative sentence, read from requirements.csv."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from importlib import resources
from typing import Any


class Level(IntEnum):
    """Requirement levels, ordered so that a higher level is stricter."""

    MAY = 1
    SHOULD = 2
    SHALL = 3


@dataclass(frozen=True)
class Requirement:
    """One catalogue row."""

    id: str
    level: Level
    source: str
    anchor: str
    quote: str
    applies_when: str
    not_tested: str

    def not_applicable(self, claims: Mapping[str, Any]) -> str | None:
        """Return why this requirement does not apply to a server with these claims, or None."""
        if not self.applies_when:
            return None
        # "name=value" or "name" (a claim that holds), or "!name" (a claim the profile does not make).
        negated = self.applies_when.startswith("!")
        name, equals, wanted = self.applies_when.removeprefix("!").partition("=")
        actual = claims[name]
        if ((actual == wanted) if equals else bool(actual)) != negated:
            return None
        claimed = f"{name}={actual}" if equals else f"the {name} claim" if negated else f"no {name} claim"
        return f"not applicable: {self.id} applies when {self.applies_when}; the profile has {claimed}"


class Catalogue(Mapping[str, Requirement]):
    """The requirements by id, with the level a profile gives each."""

    def __init__(self, rows: Mapping[str, Requirement]) -> None:
        self._rows = dict(rows)

    def __getitem__(self, key: str) -> Requirement:
        return self._rows[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def level(self, requirement_id: str, overrides: Mapping[str, str]) -> Level:
        """Return a requirement's level, as the server profile may raise or relax it."""
        override = overrides.get(requirement_id)
        return Level[override] if override else self._rows[requirement_id].level


@cache
def load() -> Catalogue:
    """Read the catalogue shipped in the package."""
    text = resources.files("conformance").joinpath("requirements.csv").read_text("utf-8")
    return parse(text)


def parse(text: str) -> Catalogue:
    """Build a catalogue from CSV text, refusing duplicate ids and unknown levels."""
    rows: dict[str, Requirement] = {}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if row["level"] not in Level.__members__:
            raise ValueError(f"requirements.csv line {line}: unknown level {row['level']!r}")
        requirement = Requirement(
            id=row["id"],
            level=Level[row["level"]],
            source=row["source"],
            anchor=row["anchor"],
            quote=row["quote"],
            applies_when=row["applies_when"],
            not_tested=row["not_tested"],
        )
        if requirement.id in rows:
            raise ValueError(f"requirements.csv line {line}: duplicate id {requirement.id}")
        rows[requirement.id] = requirement
    return Catalogue(rows)
