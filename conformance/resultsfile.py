"""Reading a results.json back (a baseline, a shard, a column of the matrix): a bad file is one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance import jsonschemas

# The version of results.json's shape, fixed by schemas/results.schema.json.
SCHEMA_VERSION = 3
MESSAGE_LIMIT = 160


class ResultsFileError(ValueError):
    """A file that is not a results.json this suite can read; the message is one line naming it."""


def read(path: Path) -> dict[str, Any]:
    """Read a results.json and check its schema version and shape."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ResultsFileError(f"{path}: cannot read it: {error}") from None
    except ValueError as error:
        raise ResultsFileError(f"{path}: not JSON: {error}") from None
    version = document.get("schema_version") if isinstance(document, dict) else None
    if version != SCHEMA_VERSION:
        raise ResultsFileError(
            f"{path}: not a results.json of schema version {SCHEMA_VERSION} (its schema_version is {version!r})"
        )
    problem = jsonschemas.first_error(document, "results")
    if problem is not None:
        message = " ".join(problem.message.split())
        cut = message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "..."
        raise ResultsFileError(f"{path}: not a valid results.json: {jsonschemas.where(problem)}: {cut}")
    return document  # type: ignore[no-any-return]
