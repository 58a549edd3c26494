"""What each backend and the store last agreed on: the sync engine's own bookkeeping.

``sync_base`` remembers, per backend, what the store and that backend last agreed on;
it is the *base* of the three-way merge and moves only after the backend confirmed a
write. ``pending_rows`` holds the ids reserved for new rows whose id has not reached the
backend yet, ``sync_tables`` each tab's fingerprint (so an untouched tab is skipped
without reading a row) and ``sync_runs`` one line per sync. None of it is a record: it
can be rebuilt by a sync, while the versioned records (``core/records.py``) cannot.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)

from clinicops.core.clock import Clock, utc_text
from clinicops.core.records import versions
from clinicops.core.store_sql import (
    WRITE_BATCH,
    chunks,
    delete_many,
    dumps,
    execute_many,
    fetch_rows,
    insert_many,
    insert_rows,
    keyed,
    loads,
    metadata,
)

#: ``sync_base.data`` of an entry kept by reference: its record's data at its ``store_version``
#: (no JSON text is empty); in SQL, written into the statements rather than bound.
BY_VERSION = ""
_BY_VERSION_SQL = literal_column("''")

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


_REFERS = sync_base.c.data == _BY_VERSION_SQL

# A base entry's record at the entry's version.
_AT_ITS_VERSION = and_(
    versions.c.entity == sync_base.c.entity,
    versions.c.id == sync_base.c.id,
    versions.c.version == sync_base.c.store_version,
)
_VERSION_DATA = select(versions.c.data).where(_AT_ITS_VERSION).scalar_subquery()

# A base entry's hash, version and remote id move, its data staying what it stands for: an entry
# kept by reference whose version moves gets the data of the version it referred to.
_MOVE_BASE = (
    update(sync_base)
    .where(
        and_(
            sync_base.c.backend == bindparam("k_backend"),
            sync_base.c.entity == bindparam("k_entity"),
            sync_base.c.id == bindparam("k_id"),
        )
    )
    .values(
        data=case(
            (and_(_REFERS, sync_base.c.store_version != bindparam("m_version")), _VERSION_DATA), else_=sync_base.c.data
        ),
        raw_hash=bindparam("m_hash"),
        store_version=bindparam("m_version"),
        remote_id=bindparam("m_remote"),
    )
)

# What a settled entry binds (see :meth:`SyncState.put_base`); the rest is written into the statement.
# A plain INSERT: an ``INSERT … SELECT`` from the version, checking it as it writes, makes
# SQLite keep a statement journal per entry (a statement that may write many rows), which
# copied four hundred thousand pages into a temporary file in a 100,000-row import. A
# version is settled only as the store holds it, and :meth:`SyncState.base_data` refuses an
# entry whose version is missing.
_REFERRED_COLUMNS = ("id", "raw_hash", "store_version", "remote_id")
# What any other entry binds.
_PLAIN_COLUMNS = ("id", "data", "raw_hash", "store_version", "remote_id")

_MOVE_NAMES = ("m_version", "m_hash", "m_version", "m_remote", "k_backend", "k_entity", "k_id")


class BaseEntry(NamedTuple):
    """What one backend and the store last agreed on for one record (a tuple: 100k load fast)."""

    raw_hash: str | None
    store_version: int
    remote_id: str | None


# ``BaseEntry._make`` without its Python frame: the tuple type's own constructor, called from C
_base_entry = partial(tuple.__new__, BaseEntry)

EMPTY: Mapping[str, int] = MappingProxyType({})


class SyncState:
    """The sync bookkeeping inside one transaction (the same one as the records it describes)."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn = conn
        self.clock = clock

    # sync base ---------------------------------------------------------------

    def base(self, backend: str, entity: str) -> dict[str, BaseEntry]:
        q = select(sync_base.c.id, sync_base.c.raw_hash, sync_base.c.store_version, sync_base.c.remote_id).where(
            and_(sync_base.c.backend == backend, sync_base.c.entity == entity)
        )
        return keyed(fetch_rows(self.conn, q), _base_entry)

    def base_data(self, backend: str, entity: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id -> the data each base entry stands for: its own, or its record's at its version."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in chunks(list(ids), 500):
            q = (
                select(sync_base.c.id, func.coalesce(versions.c.data, sync_base.c.data))
                .select_from(sync_base.outerjoin(versions, and_(_REFERS, _AT_ITS_VERSION)))
                .where(and_(sync_base.c.backend == backend, sync_base.c.entity == entity, sync_base.c.id.in_(chunk)))
            )
            for rid, text in self.conn.execute(q):
                if text == BY_VERSION:
                    raise RuntimeError(f"{entity} {rid}: its base refers to a version the store does not have")
                out[rid] = loads(text)
        return out

    def put_base(
        self,
        backend: str,
        entity: str,
        rows: list[dict[str, Any]],
        *,
        existing: Container[str] | None = None,
        settled: Mapping[str, int] = EMPTY,
    ) -> None:
        """Replace base entries: each row has id, data, raw_hash, store_version, remote_id.

        A row marked ``same_data`` has an entry already holding data equal to its own: only
        its hash, version and remote id move, with no JSON written. A row in ``settled``
        (id -> version) has data equal to its record's at that version, its version now (a
        first import's rows): its entry is kept by reference, its data :data:`BY_VERSION`,
        so the record's JSON is stored once, in ``versions``, not again as its base.
        ``existing`` holds the ids that may have an entry (default: any); the others are
        inserted without a delete first. A batch at a time, so a large import holds one batch
        of statement rows and JSON texts.
        """
        for batch in chunks(rows, WRITE_BATCH):
            self._put_batch(backend, entity, batch, existing, settled)

    def _put_batch(
        self,
        backend: str,
        entity: str,
        rows: list[dict[str, Any]],
        existing: Container[str] | None,
        settled: Mapping[str, int],
    ) -> None:
        moved = [r for r in rows if r.get("same_data")]
        if moved:
            meta = [
                (v := r["store_version"], r.get("raw_hash"), v, r.get("remote_id"), backend, entity, r["id"])
                for r in moved
            ]
            if execute_many(self.conn, _MOVE_BASE, _MOVE_NAMES, meta) == len(moved):
                rows = [r for r in rows if not r.get("same_data")]
        self.drop_base(backend, entity, [r["id"] for r in rows if existing is None or r["id"] in existing])
        referred: list[tuple[Any, ...]] = []
        plain: list[tuple[Any, ...]] = []
        for r in rows:
            rid = r["id"]
            version = settled.get(rid)
            if version is not None:
                referred.append((rid, r.get("raw_hash"), version, r.get("remote_id")))
            else:
                plain.append((rid, dumps(r["data"]), r.get("raw_hash"), r["store_version"], r.get("remote_id")))
        fixed = {"backend": backend, "entity": entity}
        if referred:
            insert_rows(self.conn, sync_base, _REFERRED_COLUMNS, referred, {**fixed, "data": BY_VERSION})
        if plain:
            insert_rows(self.conn, sync_base, _PLAIN_COLUMNS, plain, fixed)

    def drop_base(self, backend: str, entity: str, ids: Iterable[str]) -> None:
        delete_many(self.conn, sync_base, [{"backend": backend, "entity": entity, "id": i} for i in ids])

    # ids reserved for rows whose id has not reached the backend yet ----------

    def pending(self, backend: str, entity: str) -> dict[str, str]:
        """id -> the content hash of the row it was reserved for, in an earlier, unfinished sync."""
        q = select(pending_rows.c.id, pending_rows.c.content_hash).where(
            and_(pending_rows.c.backend == backend, pending_rows.c.entity == entity)
        )
        return {i: h for i, h in fetch_rows(self.conn, q)}

    def set_pending(self, backend: str, entity: str, reserved: dict[str, str]) -> None:
        """Replace an entity's reservations with ``reserved`` (id -> row content hash)."""
        self.conn.execute(
            delete(pending_rows).where(and_(pending_rows.c.backend == backend, pending_rows.c.entity == entity))
        )
        for batch in chunks(list(reserved.items()), WRITE_BATCH):  # a batch of statement rows at a time
            rows = [{"backend": backend, "entity": entity, "id": i, "content_hash": h} for i, h in batch]
            insert_many(self.conn, pending_rows, rows)

    # whole tabs ---------------------------------------------------------------

    def table_state(self, backend: str, entity: str) -> tuple[str, int, dict[str, Any]] | None:
        q = select(sync_tables.c.digest, sync_tables.c.marker, sync_tables.c.report).where(
            and_(sync_tables.c.backend == backend, sync_tables.c.entity == entity)
        )
        row = self.conn.execute(q).first()
        return (row.digest, row.marker, loads(row.report)) if row else None

    def put_table_state(
        self, backend: str, entity: str, digest: str | None, report: dict[str, Any], *, marker: int
    ) -> None:
        """Remember a tab's fingerprint with the store's version ``marker`` now, and what the
        sync saw of it.

        ``digest`` None forgets the fingerprint (the tab is read row by row next time) and
        keeps the report.
        """
        self.conn.execute(
            delete(sync_tables).where(and_(sync_tables.c.backend == backend, sync_tables.c.entity == entity))
        )
        self.conn.execute(
            insert(sync_tables).values(
                backend=backend, entity=entity, digest=digest or "", marker=marker, report=dumps(report)
            )
        )

    def move_digest(self, backend: str, entity: str, old: str, new: str) -> None:
        """A tab skipped as unchanged whose fingerprint a write changed without changing its cells
        (a workbook's shared parts rewritten for another tab) keeps being skipped under the new one;
        only a fingerprint still ``old`` is moved, with the marker and report kept with it."""
        self.conn.execute(
            update(sync_tables)
            .where(and_(sync_tables.c.backend == backend, sync_tables.c.entity == entity, sync_tables.c.digest == old))
            .values(digest=new)
        )

    # runs -------------------------------------------------------------------

    def record_run(self, backend: str, started_at: str, outcome: str, summary: dict[str, Any]) -> None:
        self.conn.execute(
            insert(sync_runs).values(
                backend=backend,
                started_at=started_at,
                finished_at=utc_text(self.clock.now(), micro=True),
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
            "summary": loads(row.summary or "{}"),
        }
