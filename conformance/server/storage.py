"""SQLite storage of versioned resources, with a search index and all-or-nothing transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from conformance import fhirjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, version_id TEXT NOT NULL,
    last_updated TEXT NOT NULL, deleted INTEGER NOT NULL, json TEXT NOT NULL,
    PRIMARY KEY (tenant, type, id, version_id));
CREATE TABLE IF NOT EXISTS search_index (
    tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
    param TEXT NOT NULL, system TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS search_lookup ON search_index (tenant, type, param, value);
CREATE INDEX IF NOT EXISTS search_owner ON search_index (tenant, type, id);
"""

# R4 http.html#versioning: a new resource's meta.versionId; later versions count up from it.
FIRST_VERSION = "1"


@dataclass(frozen=True)
class IndexEntry:
    """One searchable value of a resource; '' stands for an absent system or value."""

    param: str
    system: str
    value: str


@dataclass(frozen=True)
class Match:
    """One alternative of a search parameter: None matches anything, '' only an absent part."""

    system: str | None = None
    value: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Criterion:
    """A search parameter: any of its alternatives matches (a comma list, R4 search.html#combining)."""

    param: str
    alternatives: tuple[Match, ...]


@dataclass(frozen=True)
class Record:
    """One stored version of a resource."""

    version_id: str
    last_updated: str
    deleted: bool
    resource: dict[str, Any] | None


@dataclass(frozen=True)
class Created:
    """What create did: stored `resource`, or (conditional create) found it already there."""

    resource: dict[str, Any]
    created: bool


class StorageError(Exception):
    """A write the storage refuses; nothing of it was stored."""


class DuplicateId(StorageError):
    """The type and id are already taken in this tenant."""


class MultipleMatches(StorageError):
    """A conditional create matched more than one resource (R4 http.html#ccreate: 412)."""


def now_instant() -> str:
    """Return the current FHIR instant with milliseconds and offset, e.g. ...T08:06:27.123+00:00."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


Indexer = Callable[[dict[str, Any]], list[IndexEntry]]


class Storage:
    """Thread-safe: one connection, one re-entrant lock; every write runs in a transaction."""

    def __init__(self, database: str, indexer: Indexer) -> None:
        """Open (or create) the database; a file database uses WAL so readers never block."""
        self._conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        self._indexer = indexer
        if database != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every write inside the block all-or-nothing; blocks may nest (savepoints)."""
        with self._lock:
            savepoint = f"sp{self._depth}" if self._depth else None
            # BEGIN IMMEDIATE takes the write lock up front, so a check-then-insert cannot
            # interleave with another process sharing a file database.
            self._conn.execute(f"SAVEPOINT {savepoint}" if savepoint else "BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
                self._conn.execute(f"RELEASE {savepoint}" if savepoint else "COMMIT")
            except BaseException:
                self._undo(savepoint)
                raise
            finally:
                self._depth -= 1

    def _undo(self, savepoint: str | None) -> None:
        if savepoint is None:
            self._conn.execute("ROLLBACK")
        else:
            self._conn.execute(f"ROLLBACK TO {savepoint}")
            self._conn.execute(f"RELEASE {savepoint}")

    def create(self, tenant: str, resource: dict[str, Any], if_none_exist: Sequence[Criterion] = ()) -> Created:
        """Check and insert atomically: a new type/id, at its `meta.versionId`."""
        # With `if_none_exist` (R4 http.html#ccreate) a single existing match is returned
        # instead, and two or more raise MultipleMatches: checked under the same transaction.
        rtype, rid = resource["resourceType"], resource["id"]
        with self.transaction():
            if if_none_exist:
                total, found = self._search(tenant, rtype, if_none_exist, 1)
                if total > 1:
                    raise MultipleMatches(f"{total} {rtype} resources match")
                if total == 1:
                    return Created(found[0], created=False)
            if self._latest(tenant, rtype, rid) is not None:
                raise DuplicateId(f"{rtype}/{rid} already exists")
            self._insert(tenant, resource)
        return Created(resource, created=True)

    def rewrite(self, tenant: str, resource: dict[str, Any]) -> None:
        """Replace the content of the version `resource` names, in place: no new version."""
        # Only for a transaction relinking what it stored moments before (R4 http.html#trules).
        rtype, rid, vid = resource["resourceType"], resource["id"], resource["meta"]["versionId"]
        with self.transaction():
            self._conn.execute(
                "UPDATE resources SET json = ? WHERE tenant = ? AND type = ? AND id = ? AND version_id = ?",
                (fhirjson.dumps(resource), tenant, rtype, rid, vid),
            )
            self._index(tenant, resource)

    def read(self, tenant: str, rtype: str, rid: str) -> Record | None:
        """Return the latest version (perhaps a deletion), or None if it never existed."""
        with self._lock:
            return self._latest(tenant, rtype, rid)

    def vread(self, tenant: str, rtype: str, rid: str, vid: str) -> Record | None:
        """Return one version (R4 http.html#vread), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT version_id, last_updated, deleted, json FROM resources"
                " WHERE tenant = ? AND type = ? AND id = ? AND version_id = ?",
                (tenant, rtype, rid, vid),
            ).fetchone()
        return _record(row)

    def delete(self, tenant: str, rtype: str, rid: str) -> bool:
        """Record a deletion version; False when there was nothing live to delete."""
        with self.transaction():
            latest = self._latest(tenant, rtype, rid)
            if latest is None or latest.deleted:
                return False
            vid = self._next_version(tenant, rtype, rid)
            self._conn.execute(
                "INSERT INTO resources VALUES (?, ?, ?, ?, ?, 1, '')",
                (tenant, rtype, rid, vid, now_instant()),
            )
            self._unindex(tenant, rtype, rid)
        return True

    def purge(self, tenant: str, rtype: str, rid: str) -> None:
        """Remove every version of a resource, as if it had never existed."""
        with self.transaction():
            self._conn.execute("DELETE FROM resources WHERE tenant = ? AND type = ? AND id = ?", (tenant, rtype, rid))
            self._unindex(tenant, rtype, rid)

    def tenants(self) -> list[str]:
        """Return every tenant that has stored a resource, in the order they first did."""
        with self._lock:
            rows = self._conn.execute("SELECT tenant FROM resources GROUP BY tenant ORDER BY MIN(rowid)")
            return [tenant for (tenant,) in rows]

    def search(
        self, tenant: str, rtype: str, criteria: Sequence[Criterion], limit: int | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """Return how many live resources match every criterion, and the first `limit` of them."""
        with self._lock:
            return self._search(tenant, rtype, criteria, limit)

    def _search(
        self, tenant: str, rtype: str, criteria: Sequence[Criterion], limit: int | None
    ) -> tuple[int, list[dict[str, Any]]]:
        where, params = _where(tenant, rtype, criteria)
        # The latest version of each matching resource (a deletion is a version of its own, R4 http.html#delete);
        # the criteria pick ids through the search index, so a search costs what it finds, not the table's size.
        latest = f"SELECT MAX(x.rowid) FROM resources x WHERE x.tenant = ? AND x.type = ?{where} GROUP BY x.id"
        sql = f"FROM resources r WHERE r.rowid IN ({latest}) AND r.deleted = 0"
        args = [tenant, rtype, *params]
        (total,) = self._conn.execute(f"SELECT COUNT(*) {sql}", args).fetchone()
        page = -1 if limit is None else limit
        rows = self._conn.execute(f"SELECT r.json {sql} ORDER BY r.rowid LIMIT ?", [*args, page])
        return total, [fhirjson.loads(text) for (text,) in rows]

    def _latest(self, tenant: str, rtype: str, rid: str) -> Record | None:
        row = self._conn.execute(
            "SELECT version_id, last_updated, deleted, json FROM resources"
            " WHERE tenant = ? AND type = ? AND id = ? ORDER BY rowid DESC LIMIT 1",
            (tenant, rtype, rid),
        ).fetchone()
        return _record(row)

    def _next_version(self, tenant: str, rtype: str, rid: str) -> str:
        """One more than the highest numeric version so far (or than the number of versions)."""
        rows = self._conn.execute(
            "SELECT version_id FROM resources WHERE tenant = ? AND type = ? AND id = ?", (tenant, rtype, rid)
        )
        versions = [vid for (vid,) in rows]
        return str(max([int(v) for v in versions if v.isdigit()] + [len(versions)]) + 1)

    def _insert(self, tenant: str, resource: dict[str, Any]) -> None:
        rtype, rid, meta = resource["resourceType"], resource["id"], resource["meta"]
        self._conn.execute(
            "INSERT INTO resources VALUES (?, ?, ?, ?, ?, 0, ?)",
            (tenant, rtype, rid, meta["versionId"], meta["lastUpdated"], fhirjson.dumps(resource)),
        )
        self._index(tenant, resource)

    def _index(self, tenant: str, resource: dict[str, Any]) -> None:
        rtype, rid = resource["resourceType"], resource["id"]
        self._unindex(tenant, rtype, rid)
        self._conn.executemany(
            "INSERT INTO search_index VALUES (?, ?, ?, ?, ?, ?)",
            [(tenant, rtype, rid, e.param, e.system, e.value) for e in self._indexer(resource)],
        )

    def _unindex(self, tenant: str, rtype: str, rid: str) -> None:
        self._conn.execute("DELETE FROM search_index WHERE tenant = ? AND type = ? AND id = ?", (tenant, rtype, rid))


def _record(row: tuple[str, str, int, str] | None) -> Record | None:
    if row is None:
        return None
    vid, last_updated, deleted, text = row
    resource = None if deleted else fhirjson.loads(text)
    return Record(vid, last_updated, bool(deleted), resource)


def _where(tenant: str, rtype: str, criteria: Sequence[Criterion]) -> tuple[str, list[Any]]:
    """AND the criteria (R4 search.html: repeated parameters AND), OR each one's alternatives."""
    clauses: list[str] = []
    params: list[Any] = []
    for criterion in criteria:
        ors: list[str] = []
        params.extend([tenant, rtype, criterion.param])
        for match in criterion.alternatives:
            clause, args = _match(match)
            ors.append(clause)
            params.extend(args)
        clauses.append(
            " AND x.id IN (SELECT i.id FROM search_index i WHERE i.tenant = ?"
            " AND i.type = ? AND i.param = ? AND (" + " OR ".join(ors) + "))"
        )
    return "".join(clauses), params


def _match(match: Match) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    if match.system is not None:
        parts.append("i.system = ?")
        args.append(match.system)
    if match.value is not None and match.prefix:
        parts.append("substr(i.value, 1, ?) = ?")
        args.extend([len(match.value), match.value])
    elif match.value is not None:
        parts.append("i.value = ?")
        args.append(match.value)
    return "(" + (" AND ".join(parts) or "1 = 1") + ")", args
