"""The versioned records: every record a practice keeps, and every version it ever had.

Every change is a new row in ``versions`` (who, what, when, from where, field diff), so
nothing a person typed is ever lost: a deleted record is a tombstone that can be
restored, and the losing side of a conflict is kept in the version's note. ``records``
holds each record's newest version, so reading the present never scans the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)

from clinicops.core.clock import Clock, utc_text
from clinicops.core.store_sql import (
    WRITE_BATCH,
    chunks,
    dumps,
    fetch_rows,
    insert_many,
    insert_rows,
    loads,
    metadata,
)

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

# One record's new version, run for many records at once (executemany).
_UPDATE_RECORD = (
    update(records)
    .where(and_(records.c.entity == bindparam("e"), records.c.id == bindparam("i")))
    .values(version=bindparam("v"), deleted=bindparam("d"), data=bindparam("t"), updated_at=bindparam("u"))
)

# The columns of a new record and of its first version that differ from one record to the next,
# in the order of :meth:`Records.insert_new`'s rows (the others are the same for all, see there).
_NEW_RECORD_COLUMNS = ("id", "data")
_NEW_VERSION_COLUMNS = ("id", "data")

_ID, _VERSION, _DELETED = itemgetter(0), itemgetter(1), itemgetter(2)  # of an index row

# A creation's diff is left empty: its data is the whole of the change.
CREATED_DIFF = "{}"


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


def field_diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Per changed field, ``[old, new]`` (None where absent)."""
    old, new = old or {}, new or {}
    return {k: [old.get(k), new.get(k)] for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)}


class Records:
    """Reads and writes of versioned records inside one transaction."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn = conn
        self.clock = clock
        # (entity, id) -> (version, deleted) for every write made in this transaction
        self.written: dict[tuple[str, str], tuple[int, bool]] = {}
        # (entity, id) -> whether the record was live (present, not deleted) before this transaction wrote it
        self.live_before: dict[tuple[str, str], bool] = {}

    def stamp(self) -> str:
        """The moment of a write, by the practice's clock, as the store keeps it."""
        return utc_text(self.clock.now(), micro=True)

    def changed(self) -> dict[str, dict[str, list[str]]]:
        """What this transaction did to the records: ``created``/``updated``/``deleted`` -> entity -> ids.

        A record deleted before and written again is created; one created and deleted in
        the same transaction is neither.
        """
        out: dict[str, dict[str, list[str]]] = {"created": {}, "updated": {}, "deleted": {}}
        ids: dict[tuple[str, str], list[str]] = {}  # (kind, entity) -> ids, in one pass over the writes
        live_before = self.live_before
        for key, (_, deleted) in self.written.items():
            live = live_before.get(key, False)
            kind = ("deleted" if live else None) if deleted else ("updated" if live else "created")
            if kind is not None:
                ids.setdefault((kind, key[0]), []).append(key[1])
        for kind, entity in sorted(ids):  # ids sorted as text, entity by entity: no tuple compared
            out[kind][entity] = sorted(ids[kind, entity])
        return out

    # reads -------------------------------------------------------------------

    def get(self, entity: str, record_id: str) -> StoredRecord | None:
        row = self.conn.execute(
            select(records).where(and_(records.c.entity == entity, records.c.id == record_id))
        ).first()
        return _stored(row) if row else None

    def get_many(self, entity: str, ids: Iterable[str]) -> dict[str, StoredRecord]:
        out: dict[str, StoredRecord] = {}
        for chunk in chunks(list(ids), 500):
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
        rows = fetch_rows(self.conn, q)
        # built by C loops, no Python frame per record (a 100k-record index costs half as much)
        versions = zip(map(_VERSION, rows), map(bool, map(_DELETED, rows)), strict=True)
        return dict(zip(map(_ID, rows), versions, strict=True))

    def count(self, entity: str) -> int:
        q = select(func.count()).where(and_(records.c.entity == entity, records.c.deleted.is_(False)))
        return int(self.conn.execute(q).scalar_one())

    def ids(self, entity: str) -> list[str]:
        return list(self.conn.execute(select(records.c.id).where(records.c.entity == entity)).scalars())

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
                data=loads(r.data),
                diff=loads(r.diff),
                note=r.note,
            )
            for r in self.conn.execute(q)
        ]

    def marker(self, entity: str) -> int:
        """The newest version sequence of an entity: it moves whenever any record of it changes."""
        q = select(func.max(versions.c.seq)).where(versions.c.entity == entity)
        return int(self.conn.execute(q).scalar() or 0)

    # writes ------------------------------------------------------------------

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
        values = {"version": new_version, "deleted": deleted, "data": dumps(payload), "updated_at": now}
        if current:
            self.conn.execute(
                update(records).where(and_(records.c.entity == entity, records.c.id == record_id)).values(**values)
            )
        else:
            self.conn.execute(insert(records).values(entity=entity, id=record_id, **values))
        self.written[(entity, record_id)] = (new_version, deleted)
        self.live_before.setdefault((entity, record_id), current is not None and not current.deleted)
        text = values["data"]
        self.conn.execute(
            insert(versions).values(
                _version_row(entity, record_id, new_version, now, source, actor, deleted, text, dumps(diff), note)
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
        statements (one UPDATE and one INSERT, each run for a batch of records); returns id -> version.

        Every change must differ from its current record (the caller merged and compared).
        """
        if not changes:
            return {}
        now = self.stamp()
        out: dict[str, int] = {}
        for batch in chunks(changes, WRITE_BATCH):
            recs: list[dict[str, Any]] = []
            vers: list[dict[str, Any]] = []
            for current, data, note in batch:
                deleted = data is None
                version = current.version + 1
                payload = current.data if deleted else (data or {})
                old = None if current.deleted else current.data
                diff = field_diff(old, None if deleted else data) if old is not None or deleted else {}
                text = dumps(payload)
                recs.append({"e": entity, "i": current.id, "v": version, "d": deleted, "t": text, "u": now})
                vers.append(
                    _version_row(entity, current.id, version, now, source, actor, deleted, text, dumps(diff), note)
                )
                self.written[(entity, current.id)] = (version, deleted)
                self.live_before.setdefault((entity, current.id), not current.deleted)
                out[current.id] = version
            self.conn.execute(_UPDATE_RECORD, recs)
            insert_many(self.conn, versions, vers)
        return out

    def insert_new(
        self,
        entity: str,
        rows: list[tuple[str, dict[str, Any]]],
        *,
        source: str,
        actor: str,
    ) -> None:
        """Bulk-create records known not to exist yet (first import of a large sheet), a batch at a time."""
        if not rows:
            return
        now = self.stamp()
        shared = {"entity": entity, "version": 1, "deleted": False}
        record_fixed = {**shared, "updated_at": now}
        version_fixed = {**shared, "at": now, "source": source, "actor": actor, "diff": CREATED_DIFF, "note": None}
        for batch in chunks(rows, WRITE_BATCH):
            texts = [(record_id, dumps(data)) for record_id, data in batch]
            insert_rows(self.conn, records, _NEW_RECORD_COLUMNS, texts, record_fixed)
            insert_rows(self.conn, versions, _NEW_VERSION_COLUMNS, texts, version_fixed)
        keys = [(entity, record_id) for record_id, _ in rows]
        self.written.update(dict.fromkeys(keys, (1, False)))
        live_before = self.live_before
        for key in keys:
            live_before.setdefault(key, False)


def _version_row(
    entity: str,
    record_id: str,
    version: int,
    at: str,
    source: str,
    actor: str,
    deleted: bool,
    data: str,
    diff: str,
    note: str | None,
) -> dict[str, Any]:
    return {
        "entity": entity,
        "id": record_id,
        "version": version,
        "at": at,
        "source": source,
        "actor": actor,
        "deleted": deleted,
        "data": data,
        "diff": diff,
        "note": note,
    }


def _stored(row: Any) -> StoredRecord:
    return StoredRecord(
        entity=row.entity,
        id=row.id,
        version=row.version,
        deleted=bool(row.deleted),
        data=loads(row.data),
        updated_at=row.updated_at,
    )
