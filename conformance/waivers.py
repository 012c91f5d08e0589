"""Certification waivers (--waivers FILE): a known failure of a requirement, accepted with a reason until a date.

A waiver turns its requirement's failed and warned cases into **waived** ones, which do not fail the run. It does
not cover cases blocked by another requirement: those say nothing about the waived one. It holds through its
expiry date; after that its failures count again, and the run says so.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from conformance import jsonschemas, requirements


class WaiverError(ValueError):
    """A waivers file that cannot be used; the message is one line meant for the user."""


@dataclass(frozen=True)
class Waiver:
    """One accepted failure."""

    requirement: str
    reason: str
    expires: date

    def status(self, verdict: str, today: date) -> tuple[str, str]:
        """Return what the waiver did in a run where its requirement's verdict was ``verdict``, and why."""
        if today > self.expires:
            return "expired", f"expired on {self.expires}: the failures of {self.requirement} count again"
        if verdict == "waived":
            return "applied", f"waives {self.requirement} until {self.expires}: {self.reason}"
        if verdict == "passed":
            return "not-needed", f"{self.requirement} passes now: the waiver can be removed"
        return "unused", f"{self.requirement} was {verdict} in this run: nothing to waive"

    def to_json(self) -> dict[str, str]:
        """Return the waiver as results.json holds it."""
        return {"requirement": self.requirement, "reason": self.reason, "expires": self.expires.isoformat()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Waiver:
        """Read a waiver back from results.json."""
        return cls(data["requirement"], data["reason"], date.fromisoformat(data["expires"]))


@dataclass(frozen=True)
class Waivers:
    """The waivers of a run, and the day they are judged on."""

    entries: tuple[Waiver, ...] = ()
    today: date = field(default_factory=date.today)
    source: str = ""  # the file they were read from

    def active(self, requirement: str) -> Waiver | None:
        """Return the unexpired waiver of a requirement, if there is one."""
        return next((w for w in self.entries if w.requirement == requirement and self.today <= w.expires), None)


def load(path: Path, today: date) -> Waivers:
    """Read and check a waivers TOML file; WaiverError says in one line what is wrong with it."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise WaiverError(f"cannot read it: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise WaiverError(f"not valid TOML: {error}") from None
    # TOML has dates of its own; a quoted "YYYY-MM-DD" is accepted too, and the schema checks the text.
    for entry in data.get("waiver", []) if isinstance(data.get("waiver"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("expires"), date):
            entry["expires"] = entry["expires"].isoformat()
    problem = jsonschemas.first_error(data, "waivers")
    if problem is not None:
        raise WaiverError(f"{jsonschemas.where(problem)}: {problem.message}")
    entries = tuple(_waiver(number, entry) for number, entry in enumerate(data["waiver"]))
    ids = [waiver.requirement for waiver in entries]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice is not None:
        raise WaiverError(f"{twice} has two waivers: keep one")
    return Waivers(entries, today, str(path))


def _waiver(number: int, entry: Mapping[str, str]) -> Waiver:
    """Build one checked waiver: a catalogue id and a real date."""
    where = f"waiver.{number}"
    if entry["requirement"] not in requirements.load():
        raise WaiverError(f"{where}.requirement: unknown requirement id {entry['requirement']!r}")
    try:
        expires = date.fromisoformat(entry["expires"])
    except ValueError:
        raise WaiverError(f"{where}.expires: {entry['expires']!r} is not a date") from None
    return Waiver(entry["requirement"], entry["reason"].strip(), expires)
