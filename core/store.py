"""The canonical, versioned store of every record a practice keeps.

Every change is a new row in ``versions`` (who, what, when, from where, field diff), so
nothing a person typed is ever lost: a deleted record is a tombstone that can be
restored, and the losing side of a conflict is kept in the version's note.

``sync_base`` remembers, per backend, what the store and that backend last agreed on;
it is the *base* of the three-way merge and moves only after the backend confirmed a
write. SQLAlchemy Core keeps the SQL portable: SQLite by default, PostgreSQL by URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)

from clinicops.core import private_files
from clinicops.core.clock import Clock, SystemClock, utc_text

metadata = MetaData()

records = Table(
    "records",
    metadata,
    Column("entity", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("data", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
)

versions = Table(
    "versions",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(64), nullable=False),
    Column("id", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("source", String(128), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("data", Text, nullable=False),
    Column("diff", Text, nullable=False),
    Column("note", Text),
    Index("ix_versions_record", "entity", "id", "version"),
    Index("ix_versions_entity_seq", "entity", "seq"),
)

sync_base = Table(
    "sync_base",
    metadata,
    Column("backend", String(256), primary_key=True),
    Column("entity", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("data", Text, nullable=False),
    Column("raw_hash", String(64)),
    Column("store_version", Integer, nullable=False),
    Column("remote_id", String(128)),
)

pending_rows = Table(
    "pending_rows",
    metadata,
    Column("backend", String(256), primary_key=True),
    Column("entity", String(64), primary_key=True),
    Column("id", String(128), primary_key=True),
    Column("content_hash", String(64), nullable=False),
)

# Per backend and tab: the fingerprint of the whole tab and the store's last version seq
# when they last agreed, so an untouched tab is skipped without reading a row.
sync_tables = Table(
    "sync_tables",
    metadata,
    Column("backend", String(256), primary_key=True),
    Column("entity", String(64), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("marker", Integer, nullable=False),
    Column("report", Text, nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("backend", String(256), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("outcome", String(32), nullable=False),
    Column("summary", Text),
)


# One record's new version, run for many records at once (executemany).
_UPDATE_RECORD = (
    update(records)
    .where(and_(records.c.entity == bindparam("e"), records.c.id == bindparam("i")))
    .values(version=bindparam("v"), deleted=bindparam("d"), data=bindparam("t"), updated_at=bindparam("u"))
)

# A creation's diff is left empty: its data is the whole of the change.
CREATED_DIFF = "{}"


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class StoredRecord:
    entity: str
    id: str
    version: int
    deleted: bool
    data: dict[str, Any]
    updated_at: str


@dataclass(frozen=True)
class Version:
    version: int
    at: str
    source: str
    actor: str
    deleted: bool
    data: dict[str, Any]
    diff: dict[str, Any]
    note: str | None


class BaseEntry(NamedTuple):
    """What one backend and the store last agreed on for one record (a tuple: 100k load fast)."""

    raw_hash: str | None
    store_version: int
    remote_id: str | None


def field_diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Per changed field, ``[old, new]`` (None where absent)."""
    old, new = old or {}, new or {}
    return {k: [old.get(k), new.get(k)] for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)}


class Store:
    """A database of records; open one transaction per unit of work."""

    def __init__(self, url: str, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        if url.startswith("sqlite:///"):
            # SQLite gives its -wal and -shm files the database file's own mode.
            db_file = Path(url.removeprefix("sqlite:///"))
            private_files.create_file(private_files.make_dir(db_file.parent) / db_file.name)
        self.url = url
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[StoreTx]:
        """One atomic unit: everything inside commits together or not at all."""
        with self.engine.begin() as conn:
            yield StoreTx(conn, self.clock)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class StoreTx:
    """Reads and writes inside one transaction."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn = conn
        self.clock = clock
        # (entity, id) -> (version, deleted) for every write made in this transaction
        self.written: dict[tuple[str, str], tuple[int, bool]] = {}

    def stamp(self) -> str:
        """The moment of a write, by the practice's clock, as the store keeps it."""
        return utc_text(self.clock.now(), micro=True)

    def _fetch(self, query: Any) -> list[tuple[Any, ...]]:
        """Rows as plain tuples straight from the driver: bulk reads of 100k rows skip
        SQLAlchemy's per-row processing, and stay inside this transaction."""
        compiled = query.compile(dialect=self.conn.dialect)
        params = compiled.construct_params()
        args: Any = [params[k] for k in compiled.positiontup] if compiled.positional else params
        cursor = self.conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(str(compiled), args)
            return cursor.fetchall()
        finally:
            cursor.close()

    # records -----------------------------------------------------------------

    def get(self, entity: str, record_id: str) -> StoredRecord | None:
        row = self.conn.execute(
            select(records).where(and_(records.c.entity == entity, records.c.id == record_id))
        ).first()
        return _stored(row) if row else None

    def get_many(self, entity: str, ids: Iterable[str]) -> dict[str, StoredRecord]:
        out: dict[str, StoredRecord] = {}
        ids = list(ids)
        for chunk in _chunks(ids, 500):
            rows = self.conn.execute(select(records).where(and_(records.c.entity == entity, records.c.id.in_(chunk))))
            out.update((r.id, _stored(r)) for r in rows)
        return out

    def all(self, entity: str, include_deleted: bool = False) -> list[StoredRecord]:
        q = select(records).where(records.c.entity == entity)
        if not include_deleted:
            q = q.where(records.c.deleted.is_(False))
        return [_stored(r) for r in self.conn.execute(q.order_by(records.c.id))]

    def index(self, entity: str) -> dict[str, tuple[int, bool]]:
        """id -> (version, deleted) for every record of an entity, without parsing data."""
        q = select(records.c.id, records.c.version, records.c.deleted).where(records.c.entity == entity)
        return {i: (v, bool(d)) for i, v, d in self._fetch(q)}

    def count(self, entity: str) -> int:
        q = select(func.count()).where(and_(records.c.entity == entity, records.c.deleted.is_(False)))
        return int(self.conn.execute(q).scalar_one())

    def save(
        self,
        entity: str,
        record_id: str,
        data: dict[str, Any] | None,
        *,
        source: str,
        actor: str,
        note: str | None = None,
        current: StoredRecord | None = None,
        known_absent: bool = False,
    ) -> int:
        """Write a new version (``data=None`` makes a tombstone); returns the version number.

        Writing the same data again is a no-op that returns the current version, so a
        repeated sync never grows the history.
        """
        if current is None and not known_absent:
            current = self.get(entity, record_id)
        deleted = data is None
        if current and current.deleted == deleted and (deleted or current.data == data):
            return current.version
        now = self.stamp()
        new_version = (current.version + 1) if current else 1
        payload = current.data if deleted and current else (data or {})
        old = None if (current is None or current.deleted) else current.data
        diff = field_diff(old, None if deleted else data) if old is not None or deleted else {}
        values = {
            "version": new_version,
            "deleted": deleted,
            "data": dumps(payload),
            "updated_at": now,
        }
        if current:
            self.conn.execute(
                update(records).where(and_(records.c.entity == entity, records.c.id == record_id)).values(**values)
            )
        else:
            self.conn.execute(insert(records).values(entity=entity, id=record_id, **values))
        self.written[(entity, record_id)] = (new_version, deleted)
        self.conn.execute(
            insert(versions).values(
                entity=entity,
                id=record_id,
                version=new_version,
                at=now,
                source=source,
                actor=actor,
                deleted=deleted,
                data=dumps(payload),
                diff=dumps(diff),
                note=note,
            )
        )
        return new_version

    def save_many(
        self,
        entity: str,
        changes: list[tuple[StoredRecord, dict[str, Any] | None, str | None]],
        *,
        source: str,
        actor: str,
    ) -> dict[str, int]:
        """New versions of existing records, as :meth:`save` would write them one by one, in two
        statements (one UPDATE and one INSERT, each run for every record); returns id -> version.

        Every change must differ from its current record (the caller merged and compared).
        """
        now = self.stamp()
        recs: list[dict[str, Any]] = []
        vers: list[dict[str, Any]] = []
        out: dict[str, int] = {}
        for current, data, note in changes:
            deleted = data is None
            version = current.version + 1
            payload = current.data if deleted else (data or {})
            old = None if current.deleted else current.data
            diff = field_diff(old, None if deleted else data) if old is not None or deleted else {}
            text = dumps(payload)
            recs.append({"e": entity, "i": current.id, "v": version, "d": deleted, "t": text, "u": now})
            vers.append(
                {
                    "entity": entity,
                    "id": current.id,
                    "version": version,
                    "at": now,
                    "source": source,
                    "actor": actor,
                    "deleted": deleted,
                    "data": text,
                    "diff": dumps(diff),
                    "note": note,
                }
            )
            self.written[(entity, current.id)] = (version, deleted)
            out[current.id] = version
        if recs:
            self.conn.execute(_UPDATE_RECORD, recs)
            self._insert_many(versions, vers)
        return out

    def insert_new(self, entity: str, rows: list[tuple[str, dict[str, Any]]], *, source: str, actor: str) -> None:
        """Bulk-create records known not to exist yet (first import of a large sheet)."""
        if not rows:
            return
        now = self.stamp()
        recs, vers = [], []
        for record_id, data in rows:
            text = dumps(data)
            recs.append(
                {"entity": entity, "id": record_id, "version": 1, "deleted": False, "data": text, "updated_at": now}
            )
            vers.append(
                {
                    "entity": entity,
                    "id": record_id,
                    "version": 1,
                    "at": now,
                    "source": source,
                    "actor": actor,
                    "deleted": False,
                    "data": text,
                    "diff": CREATED_DIFF,
                    "note": None,
                }
            )
        self._insert_many(records, recs)
        self.written.update(((entity, record_id), (1, False)) for record_id, _ in rows)
        self._insert_many(versions, vers)

    def _insert_many(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Bulk insert through the driver's executemany: a 100k-row import without per-row overhead."""
        if not rows:
            return
        compiled = insert(table).compile(dialect=self.conn.dialect, column_keys=list(rows[0]))
        args: Any = [tuple(r[k] for k in compiled.positiontup) for r in rows] if compiled.positional else rows
        cursor = self.conn.connection.dbapi_connection.cursor()
        try:
            cursor.executemany(str(compiled), args)
        finally:
            cursor.close()

    def history(self, entity: str, record_id: str) -> list[Version]:
        q = (
            select(versions)
            .where(and_(versions.c.entity == entity, versions.c.id == record_id))
            .order_by(versions.c.version)
        )
        return [
            Version(
                version=r.version,
                at=r.at,
                source=r.source,
                actor=r.actor,
                deleted=bool(r.deleted),
                data=json.loads(r.data),
                diff=json.loads(r.diff),
                note=r.note,
            )
            for r in self.conn.execute(q)
        ]

    def ids(self, entity: str) -> list[str]:
        return list(self.conn.execute(select(records.c.id).where(records.c.entity == entity)).scalars())

    # sync base ---------------------------------------------------------------

    def base(self, backend: str, entity: str) -> dict[str, BaseEntry]:
        q = select(sync_base.c.id, sync_base.c.raw_hash, sync_base.c.store_version, sync_base.c.remote_id).where(
            and_(sync_base.c.backend == backend, sync_base.c.entity == entity)
        )
        return {i: BaseEntry(h, v, r) for i, h, v, r in self._fetch(q)}

    def base_data(self, backend: str, entity: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(ids), 500):
            q = select(sync_base.c.id, sync_base.c.data).where(
                and_(sync_base.c.backend == backend, sync_base.c.entity == entity, sync_base.c.id.in_(chunk))
            )
            out.update((r.id, json.loads(r.data)) for r in self.conn.execute(q))
        return out

    def put_base(self, backend: str, entity: str, rows: list[dict[str, Any]]) -> None:
        """Replace base entries: each row has id, data, raw_hash, store_version, remote_id."""
        if not rows:
            return
        for chunk in _chunks(rows, 500):
            self.conn.execute(
                delete(sync_base).where(
                    and_(
                        sync_base.c.backend == backend,
                        sync_base.c.entity == entity,
                        sync_base.c.id.in_([r["id"] for r in chunk]),
                    )
                )
            )
        payload = [
            {
                "backend": backend,
                "entity": entity,
                "id": r["id"],
                "data": dumps(r["data"]),
                "raw_hash": r.get("raw_hash"),
                "store_version": r["store_version"],
                "remote_id": r.get("remote_id"),
            }
            for r in rows
        ]
        self._insert_many(sync_base, payload)

    def drop_base(self, backend: str, entity: str, ids: Iterable[str]) -> None:
        for chunk in _chunks(list(ids), 500):
            self.conn.execute(
                delete(sync_base).where(
                    and_(sync_base.c.backend == backend, sync_base.c.entity == entity, sync_base.c.id.in_(chunk))
                )
            )

    # ids reserved for rows whose id has not reached the backend yet ----------

    def pending(self, backend: str, entity: str) -> dict[str, str]:
        """id -> the content hash of the row it was reserved for, in an earlier, unfinished sync."""
        q = select(pending_rows.c.id, pending_rows.c.content_hash).where(
            and_(pending_rows.c.backend == backend, pending_rows.c.entity == entity)
        )
        return {i: h for i, h in self._fetch(q)}

    def set_pending(self, backend: str, entity: str, reserved: dict[str, str]) -> None:
        """Replace an entity's reservations with ``reserved`` (id -> row content hash)."""
        self.conn.execute(
            delete(pending_rows).where(and_(pending_rows.c.backend == backend, pending_rows.c.entity == entity))
        )
        rows = [{"backend": backend, "entity": entity, "id": i, "content_hash": h} for i, h in reserved.items()]
        self._insert_many(pending_rows, rows)

    # whole tabs ---------------------------------------------------------------

    def marker(self, entity: str) -> int:
        """The newest version sequence of an entity: it moves whenever any record of it changes."""
        q = select(func.max(versions.c.seq)).where(versions.c.entity == entity)
        return int(self.conn.execute(q).scalar() or 0)

    def table_state(self, backend: str, entity: str) -> tuple[str, int, dict[str, Any]] | None:
        q = select(sync_tables.c.digest, sync_tables.c.marker, sync_tables.c.report).where(
            and_(sync_tables.c.backend == backend, sync_tables.c.entity == entity)
        )
        row = self.conn.execute(q).first()
        return (row.digest, row.marker, json.loads(row.report)) if row else None

    def put_table_state(self, backend: str, entity: str, digest: str | None, report: dict[str, Any]) -> None:
        """Remember a tab's fingerprint with the store's marker now, and what the sync saw of it.

        ``digest`` None forgets the fingerprint (the tab is read row by row next time) and
        keeps the report.
        """
        self.conn.execute(
            delete(sync_tables).where(and_(sync_tables.c.backend == backend, sync_tables.c.entity == entity))
        )
        self.conn.execute(
            insert(sync_tables).values(
                backend=backend, entity=entity, digest=digest or "", marker=self.marker(entity), report=dumps(report)
            )
        )

    # runs -------------------------------------------------------------------

    def record_run(self, backend: str, started_at: str, outcome: str, summary: dict[str, Any]) -> None:
        self.conn.execute(
            insert(sync_runs).values(
                backend=backend,
                started_at=started_at,
                finished_at=self.stamp(),
                outcome=outcome,
                summary=dumps(summary),
            )
        )

    def last_run(self) -> dict[str, Any] | None:
        row = self.conn.execute(select(sync_runs).order_by(sync_runs.c.seq.desc()).limit(1)).first()
        if not row:
            return None
        return {
            "backend": row.backend,
            "started_at": row.started_at,
            "finished_at": row.finished_at,
            "outcome": row.outcome,
            "summary": json.loads(row.summary or "{}"),
        }


def _stored(row: Any) -> StoredRecord:
    return StoredRecord(
        entity=row.entity,
        id=row.id,
        version=row.version,
        deleted=bool(row.deleted),
        data=json.loads(row.data),
        updated_at=row.updated_at,
    )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
