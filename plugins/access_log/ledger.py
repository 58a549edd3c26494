"""The access log's own tables in the practice's store, and the one way entries get in.

Entries are written with the connection of the transaction that made the change they
record, so they commit with it or vanish with it: a rolled-back (or dry-run) sync leaves
no entry, and no change commits without its entry.

Append-only: this module only ever INSERTs, and the database itself refuses anything else
(:mod:`.guards`). Someone who removes that protection or edits the file directly is still
caught by ``clinicops audit verify``: the hash chain, the checkpoints in the store, and the
anchors kept outside it (:mod:`.anchors`, written here once each commit is done).

Daily checkpoints: the first entry written on a new UTC day first records the chain head
as it stood (sequence number and hash). Cutting entries off the end of the log then
shows up as a checkpoint naming an entry that no longer exists.

Cost: the chain head is read once per transaction and kept in memory for it; events wait
there and are hashed in one loop and inserted with one executemany (per
:data:`FLUSH_EVERY` entries), when the transaction commits, a savepoint begins or someone
reads the log in the same transaction.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
    event,
    insert,
    inspect,
    select,
)

from clinicops import AccessEvent
from clinicops.plugins.access_log import anchors, guards
from clinicops.plugins.access_log.chain import FIELDS, GENESIS, Checkpoint

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

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")

# Entries wait in memory and go to the database in one executemany per this many, and at
# the latest when their transaction commits: a 100,000-record import costs one pass of
# hashing and a few bulk inserts, never a statement per record.
FLUSH_EVERY = 10_000


def ensure_tables(conn: Connection) -> None:
    metadata.create_all(conn)


def has_log(conn: Connection) -> bool:
    """Whether this store has the log's tables yet: reading never creates them."""
    return inspect_has(conn, log.name)


def inspect_has(conn: Connection, table: str) -> bool:
    return inspect(conn).has_table(table)


@dataclass
class _Tail:
    """The chain's head in one transaction, and the entries waiting to be written after it."""

    seq: int
    hash: str
    checkpoint_day: str | None
    pending: list[tuple[str, ...]] = field(default_factory=list)
    anchor: anchors.AnchorFile | None = None
    last_at: str = ""
    last_source: str = ""
    written: bool = False  # entries of this transaction reached the database
    restart: anchors.Restart | None = None  # the store was rebuilt on purpose: the chain starts again


# The tail per open transaction. Keyed weakly by SQLAlchemy's transaction object, so it
# lives exactly as long as the transaction whose writes it describes.
_tails: weakref.WeakKeyDictionary[Any, _Tail] = weakref.WeakKeyDictionary()
_listening: weakref.WeakSet[Connection] = weakref.WeakSet()
_pools: weakref.WeakSet[Any] = weakref.WeakSet()
_ANCHOR_DUE = "clinicops.access_log.anchor_due"


def _read_tail(conn: Connection) -> _Tail:
    row = conn.execute(select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)).first()
    day = conn.execute(select(checkpoints.c.day).order_by(checkpoints.c.id.desc()).limit(1)).scalar()
    return _Tail(row.seq, row.hash, day) if row else _Tail(0, GENESIS, day)


def _tail_for_writing(conn: Connection) -> _Tail:
    """The tail to extend, remembered for the rest of the transaction.

    Inside a savepoint the head is read afresh, each entry is written at once and nothing
    is remembered (a savepoint rolled back or released would leave a remembered head wrong
    either way); what waited before the savepoint began was written when it began.
    """
    tx = conn.get_transaction()
    nested = tx is None or conn.in_nested_transaction()
    if nested:
        if tx is not None:
            _tails.pop(tx, None)
        ensure_tables(conn)
        guards.ensure(conn)
        return _read_tail(conn)
    tail = _tails.get(tx)
    if tail is None:
        ensure_tables(conn)
        guards.ensure(conn)
        tail = _read_tail(conn)
        _tails[tx] = tail
        _listen(conn)
    return tail


def _listen(conn: Connection) -> None:
    """Write what waits before the transaction commits or a savepoint begins; drop it on rollback;
    and once the commit is done (the connection goes back to its pool), anchor the new head."""
    if conn in _listening:
        return
    _listening.add(conn)
    event.listen(conn, "commit", _before_commit)
    event.listen(conn, "savepoint", lambda c, _name: flush(c))
    event.listen(conn, "rollback", _on_rollback)
    pool = conn.engine.pool
    if pool not in _pools:
        _pools.add(pool)
        event.listen(pool, "checkin", _after_commit)


def _before_commit(conn: Connection) -> None:
    tail = _tails.get(conn.get_transaction())
    if tail is None:
        return
    flush(conn)
    if tail.written and tail.anchor is not None:
        head = anchors.Anchor(tail.last_at, tail.seq, tail.hash, tail.last_source)
        conn.info[_ANCHOR_DUE] = (tail.anchor, head, tail.restart)


def _on_rollback(conn: Connection) -> None:
    _tails.pop(conn.get_transaction(), None)
    conn.info.pop(_ANCHOR_DUE, None)


def _after_commit(_dbapi_connection: Any, record: Any) -> None:
    due = record.info.pop(_ANCHOR_DUE, None) if record is not None else None
    if due is not None:
        anchor_file, anchor, restart = due
        if restart is not None:
            anchor_file.restart(restart)
        anchor_file.append(anchor)


def append(
    conn: Connection,
    event_: AccessEvent,
    now: datetime,
    anchor: Callable[[], anchors.AnchorFile] | None = None,
) -> int:
    """Add one entry for ``event_`` (written by the next :func:`flush`); returns its sequence number.

    ``anchor`` gives the file to anchor the head in once the transaction has committed
    (asked once per transaction).
    """
    tail = _tail_for_writing(conn)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    tail.pending.append(
        (
            stamp,
            str(event_.actor),
            str(event_.role),
            str(event_.source),
            str(event_.action),
            str(event_.entity),
            str(event_.record_id),
            ",".join(_field_name(f) for f in event_.fields),
            str(event_.purpose),
            str(event_.outcome),
        )
    )
    if anchor is not None and tail.anchor is None:
        tail.anchor = anchor()
    seq = tail.seq + len(tail.pending)
    if len(tail.pending) >= FLUSH_EVERY or conn.in_nested_transaction():
        _write(conn, tail)
    return seq


def note_restart(conn: Connection, restart: anchors.Restart) -> None:
    """This transaction rebuilds the store on purpose: anchors written before describe a log that is gone."""
    _tail_for_writing(conn).restart = restart


def restarting(conn: Connection) -> bool:
    """Whether this transaction rebuilds the store (its restart is anchored once it commits)."""
    tail = _tails.get(conn.get_transaction())
    return tail is not None and tail.restart is not None


def flush(conn: Connection) -> None:
    """Write the entries waiting in this transaction, if any."""
    tail = _tails.get(conn.get_transaction())
    if tail is not None and tail.pending:
        _write(conn, tail)


def _write(conn: Connection, tail: _Tail) -> None:
    """Chain the waiting entries in one loop and insert them with one executemany.

    The first entry of a new UTC day first records the head as it stood (a daily checkpoint).
    """
    rows: list[tuple[Any, ...]] = []
    days: list[tuple[str, str, str, int, str]] = []
    seq, prev, day_seen = tail.seq, tail.hash, tail.checkpoint_day
    sha256 = hashlib.sha256
    for at, actor, role, source, action, entity, record_id, fields, purpose, outcome in tail.pending:
        day = at[:10]
        if day != day_seen:
            if seq:
                days.append(("daily", day, at, seq, prev))
            day_seen = day
        seq += 1
        body = _CANONICAL % (
            _enc(action),
            _enc(actor),
            _enc(at),
            _enc(entity),
            _enc(fields),
            _enc(outcome),
            prev,
            _enc(purpose),
            _enc(record_id),
            _enc(role),
            seq,
            _enc(source),
        )
        digest = sha256(body.encode("utf-8")).hexdigest()
        rows.append((seq, at, actor, role, source, action, entity, record_id, fields, purpose, outcome, prev, digest))
        prev = digest
    tail.last_at, tail.last_source = tail.pending[-1][0], tail.pending[-1][3]
    tail.pending.clear()
    if days:
        _insert_many(conn, checkpoints, ("kind", "day", "at", "head_seq", "head_hash"), days)
    _insert_many(conn, log, (*FIELDS, "hash"), rows)
    tail.seq, tail.hash, tail.checkpoint_day, tail.written = seq, prev, day_seen, True


# RFC 8785 canonical JSON of an entry, keys in their sorted order; equal byte for byte to
# :func:`.chain.canonical` (a property test holds the two together) at a fraction of its cost.
_CANONICAL = (
    '{"action":%s,"actor":%s,"at":%s,"entity":%s,"fields":%s,"outcome":%s,"prev_hash":"%s",'
    '"purpose":%s,"record_id":%s,"role":%s,"seq":%d,"source":%s}'
)
_enc = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) does to a str


def add_export_checkpoint(conn: Connection, now: datetime) -> tuple[int, str]:
    """Record the head an export is about to carry off the store; returns (seq, hash)."""
    tail = _tail_for_writing(conn)
    flush(conn)
    _insert_many(
        conn,
        checkpoints,
        ("kind", "day", "at", "head_seq", "head_hash"),
        [("export", now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), tail.seq, tail.hash)],
    )
    return tail.seq, tail.hash


def head(conn: Connection) -> tuple[int, str]:
    """(sequence number, hash) of the newest entry, counting entries not yet written; (0, GENESIS) for none."""
    flush(conn)
    if not has_log(conn):
        return 0, GENESIS
    row = conn.execute(select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def hash_at(conn: Connection, seq: int) -> str | None:
    """The hash of entry ``seq``, or None when the log has no such entry."""
    flush(conn)
    if not has_log(conn):
        return None
    return conn.execute(select(log.c.hash).where(log.c.seq == seq)).scalar()


def _insert_many(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """One executemany through the transaction's own driver connection (same transaction, no
    per-row SQLAlchemy overhead), with a statement compiled once per kind of database."""
    sql, order = _compiled_insert(conn.dialect, table, columns)
    if order is None:
        args: Any = [dict(zip(columns, r, strict=True)) for r in rows]
    elif order == list(range(len(columns))):
        args = rows
    else:
        args = [tuple(r[i] for i in order) for r in rows]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, args)
    finally:
        cursor.close()


_compiled: dict[tuple[str, str, str, tuple[str, ...]], tuple[str, list[int] | None]] = {}


def _compiled_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> tuple[str, list[int] | None]:
    """The INSERT's SQL for this kind of database, and for positional parameters the position in
    ``columns`` of each one (None: it takes them by name)."""
    key = (dialect.name, dialect.paramstyle, table.name, columns)
    if key not in _compiled:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        order = [columns.index(k) for k in compiled.positiontup or ()] if compiled.positional else None
        _compiled[key] = (str(compiled), order)
    return _compiled[key]


@functools.lru_cache(maxsize=4096)
def _field_name(name: str) -> str:
    """A field name as given; anything that does not look like one is never written out."""
    name = str(name)
    return name if _FIELD_NAME.match(name) else f"<not a field name: {len(name)} chars>"


def entries(conn: Connection, where: Any = None) -> Iterator[dict[str, Any]]:
    """Entries in sequence order, each a dict of every field plus ``hash``."""
    flush(conn)
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
    flush(conn)
    if not has_log(conn):
        return []
    q = select(checkpoints).order_by(checkpoints.c.id)
    return [Checkpoint(f"{r.kind} checkpoint of {r.at}", r.head_seq, r.head_hash) for r in conn.execute(q)]
