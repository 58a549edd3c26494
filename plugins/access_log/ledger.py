"""The access log's own tables in the practice's store, and the one way entries get in.

Entries are written with the connection of the transaction that made the change they
record, so they commit with it or vanish with it: a rolled-back (or dry-run) sync leaves
no entry, and no change commits without its entry.

Append-only: this module only ever INSERTs. On SQLite, triggers make the database itself
refuse UPDATE and DELETE on both tables (``RAISE(ABORT)``), so a mistaken tool or query
cannot rewrite history; someone who drops the triggers or edits the file directly is
still caught by ``clinicops audit verify`` (the hash chain) and by checkpoints kept off
the store (``clinicops audit export``). Triggers that went missing are put back on the
next write. On PostgreSQL the same guarantee belongs in grants (the application role
gets INSERT and SELECT only on these tables); this module does not manage roles.

Daily checkpoints: the first entry written on a new UTC day first records the chain head
as it stood (sequence number and hash). Cutting entries off the end of the log then
shows up as a checkpoint naming an entry that no longer exists.

Cost: the chain head is read once per transaction and kept in memory for it, so each
event costs one SHA-256 and one INSERT.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    text,
)

from clinicops.core.access import AccessEvent
from clinicops.plugins.access_log.chain import FIELDS, GENESIS, Checkpoint, entry_hash

metadata = MetaData()

log = Table(
    "access_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(256), nullable=False),
    Column("role", String(64), nullable=False),
    Column("source", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("record_id", String(256), nullable=False),
    Column("fields", Text, nullable=False),
    Column("purpose", String(256), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_access_log_record", "entity", "record_id"),
    Index("ix_access_log_actor", "actor"),
    Index("ix_access_log_at", "at"),
)

checkpoints = Table(
    "access_log_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # "daily" or "export"
    Column("day", String(10), nullable=False),  # UTC date
    Column("at", String(32), nullable=False),
    Column("head_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

GUARDED = ("access_log", "access_log_checkpoints")
_GUARD = """CREATE TRIGGER IF NOT EXISTS {name} BEFORE {verb} ON {table}
BEGIN SELECT RAISE(ABORT, 'the clinicops access log is append-only: entries cannot be changed or deleted'); END"""
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")


def _guards() -> list[tuple[str, str, str]]:
    """(trigger name, table, statement it refuses) for every append-only guard."""
    return [(f"{table}_no_{verb.lower()}", table, verb) for table in GUARDED for verb in ("UPDATE", "DELETE")]


def ensure_tables(conn: Connection) -> None:
    metadata.create_all(conn)


def has_log(conn: Connection) -> bool:
    """Whether this store has the log's tables yet: reading never creates them."""
    return inspect_has(conn, log.name)


def inspect_has(conn: Connection, table: str) -> bool:
    return inspect(conn).has_table(table)


def ensure_guards(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    for name, table, verb in _guards():
        conn.execute(text(_GUARD.format(name=name, table=table, verb=verb)))


def missing_guards(conn: Connection) -> list[str]:
    """Triggers that should refuse edits but are gone (empty where triggers don't apply)."""
    if conn.dialect.name != "sqlite" or not has_log(conn):
        return []
    present = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return [name for name, _, _ in _guards() if name not in present]


@dataclass
class _Head:
    seq: int
    hash: str
    checkpoint_day: str | None


# The chain head per open transaction. Keyed weakly by SQLAlchemy's transaction object,
# so it lives exactly as long as the transaction whose writes it describes.
_heads: weakref.WeakKeyDictionary[Any, _Head] = weakref.WeakKeyDictionary()


def _read_head(conn: Connection) -> _Head:
    row = conn.execute(select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)).first()
    day = conn.execute(select(checkpoints.c.day).order_by(checkpoints.c.id.desc()).limit(1)).scalar()
    return _Head(row.seq, row.hash, day) if row else _Head(0, GENESIS, day)


def _head_for_writing(conn: Connection) -> _Head:
    """The head to extend, remembered for the rest of the transaction.

    Inside a savepoint the head is read afresh and nothing is remembered (a savepoint
    rolled back or released would leave a remembered head wrong either way).
    """
    tx = conn.get_transaction()
    cacheable = tx is not None and not conn.in_nested_transaction()
    if tx is not None and not cacheable:
        _heads.pop(tx, None)
    head = _heads.get(tx) if cacheable else None
    if head is None:
        ensure_tables(conn)
        ensure_guards(conn)
        head = _read_head(conn)
        if cacheable:
            _heads[tx] = head
    return head


def append(conn: Connection, event: AccessEvent, now: datetime) -> int:
    """Add one entry for ``event``; returns its sequence number."""
    head = _head_for_writing(conn)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    day = stamp[:10]
    if head.checkpoint_day != day:
        if head.seq:
            _write_checkpoint(conn, "daily", day, stamp, head.seq, head.hash)
        head.checkpoint_day = day
    entry: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": stamp,
        "actor": str(event.actor),
        "role": str(event.role),
        "source": str(event.source),
        "action": str(event.action),
        "entity": str(event.entity),
        "record_id": str(event.record_id),
        "fields": ",".join(_field_name(f) for f in event.fields),
        "purpose": str(event.purpose),
        "outcome": str(event.outcome),
        "prev_hash": head.hash,
    }
    entry["hash"] = entry_hash(entry)
    _insert(conn, entry)
    head.seq, head.hash = entry["seq"], entry["hash"]
    return head.seq


def add_export_checkpoint(conn: Connection, now: datetime) -> tuple[int, str]:
    """Record the head an export is about to carry off the store; returns (seq, hash)."""
    head = _head_for_writing(conn)
    _write_checkpoint(
        conn, "export", now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), head.seq, head.hash
    )
    return head.seq, head.hash


def _write_checkpoint(conn: Connection, kind: str, day: str, at: str, seq: int, head_hash: str) -> None:
    conn.execute(insert(checkpoints).values(kind=kind, day=day, at=at, head_seq=seq, head_hash=head_hash))


def _insert(conn: Connection, entry: dict[str, Any]) -> None:
    """One INSERT through the transaction's own driver connection.

    Going straight to the driver with a statement compiled once per dialect costs about
    a third of SQLAlchemy's per-statement path; it is still the same connection, so the
    same transaction.
    """
    sql, order = _compiled_insert(conn.dialect)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, [entry[k] for k in order] if order is not None else entry)
    finally:
        cursor.close()


_compiled: dict[tuple[str, str], tuple[str, tuple[str, ...] | None]] = {}


def _compiled_insert(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The INSERT's SQL for this kind of database, and its parameter order if positional."""
    key = (dialect.name, dialect.paramstyle)
    if key not in _compiled:
        compiled = insert(log).compile(dialect=dialect)
        _compiled[key] = (str(compiled), tuple(compiled.positiontup or ()) if compiled.positional else None)
    return _compiled[key]


@functools.lru_cache(maxsize=4096)
def _field_name(name: str) -> str:
    """A field name as given; anything that does not look like one is never written out."""
    name = str(name)
    return name if _FIELD_NAME.match(name) else f"<not a field name: {len(name)} chars>"


def entries(conn: Connection, where: Any = None) -> Iterator[dict[str, Any]]:
    """Entries in sequence order, each a dict of every field plus ``hash``."""
    if not has_log(conn):
        return
    cols = [log.c[name] for name in (*FIELDS, "hash")]
    q = select(*cols).order_by(log.c.seq)
    if where is not None:
        q = q.where(where)
    names = [c.name for c in cols]
    for row in conn.execute(q):
        yield dict(zip(names, row, strict=True))


def stored_checkpoints(conn: Connection) -> list[Checkpoint]:
    if not has_log(conn):
        return []
    q = select(checkpoints).order_by(checkpoints.c.id)
    return [Checkpoint(f"{r.kind} checkpoint of {r.at}", r.head_seq, r.head_hash) for r in conn.execute(q)]
