"""The access log's own tables in the practice's store, and the one way entries get in.

The tables are the plugin's storage (``prepare_storage``), and entries are written in the
transaction of the work that made the change they record, through ``practice.storage``:
they commit with it or vanish with it. A rolled-back (or dry-run) sync leaves no entry,
and no change commits without its entry.

Append-only: this module only ever INSERTs, and the database itself refuses anything else
(:mod:`.guards`, ensured once per transaction, with its first entry). Someone who removes
that protection or edits the file directly is still caught by ``clinicops audit verify``:
the hash chain, the checkpoints in the store, and the anchors kept outside it
(:mod:`.anchors`, written once the transaction has committed).

Daily checkpoints: the first entry written on a new UTC day first records the chain head
as it stood (sequence number and hash). Cutting entries off the end of the log then
shows up as a checkpoint naming an entry that no longer exists.

Cost: the chain head is read once per transaction and kept in the plugin's memo for it;
each batch the core reports (``records_accessed``: a sync's whole merge is one) is hashed
in one loop and inserted with one executemany per ``_BATCH`` entries, the texts they all
share (a sync's creates: actor, source, action, fields) written into its statement once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text, select

from clinicops import AccessEvent, PluginStorage
from clinicops.plugins.access_log import anchors, guards
from clinicops.plugins.access_log.chain import FIELDS, GENESIS, Checkpoint

NAME = "access_log"
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

# The outcome of each nightly check (:mod:`.upkeep`): not part of the guarded log.
checks = Table(
    "access_log_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("bad_seq", Integer),
    Column("message", String(512), nullable=False),
)

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_CHECKPOINT_COLUMNS = ("kind", "day", "at", "head_seq", "head_hash")
# An entry's columns that differ from one entry to the next, and those a run of entries shares
# (besides ``at``), in the order of :func:`_texts`.
_ENTRY_COLUMNS = ("seq", "record_id", "prev_hash", "hash")
_SHARED_COLUMNS = ("actor", "role", "source", "action", "entity", "fields", "purpose", "outcome")
_LOG_COLUMNS = (*FIELDS, "hash")


def prepare(storage: PluginStorage) -> None:
    """Create the tables when the store opens; the guards go in with the first entry of each transaction."""
    storage.prepare(metadata)


def has_log(storage: PluginStorage) -> bool:
    """Whether this store has the log's table (someone may have dropped it since it opened)."""
    return storage.exists(log)


@dataclass
class _Tail:
    """The chain's head in one transaction."""

    seq: int
    hash: str
    checkpoint_day: str | None
    restart: anchors.Restart | None = None  # the store was rebuilt on purpose: the chain starts again
    written: bool = False  # this transaction added entries after it
    last_at: str = ""
    last_source: str = ""


def _read_tail(storage: PluginStorage) -> _Tail:
    row = storage.execute(select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)).first()
    day = storage.execute(select(checkpoints.c.day).order_by(checkpoints.c.id.desc()).limit(1)).scalar()
    return _Tail(row.seq, row.hash, day) if row else _Tail(0, GENESIS, day)


def _tail_for_writing(storage: PluginStorage, anchor: Callable[[], anchors.AnchorFile] | None) -> _Tail:
    """The tail to extend, read once per transaction with the guards put in place.

    The first write of a transaction also asks for the head to be anchored once the
    transaction has committed. Inside a savepoint the memo is not kept, so the head is
    read afresh for each batch (a savepoint rolled back would leave a remembered head
    wrong), and nothing written there is anchored: it may yet roll back on its own.
    """
    memo = storage.memo
    tail: _Tail | None = memo.get("tail")
    if tail is None:
        for statement in guards.statements(storage.dialect):
            storage.execute_ddl(statement)
        tail = _read_tail(storage)
        memo["tail"] = tail
        if anchor is not None and not storage.in_savepoint:
            storage.at_commit(functools.partial(_anchor_committed, anchor(), tail))
    return tail


def _anchor_committed(anchor_file: anchors.AnchorFile, tail: _Tail) -> None:
    """Once the transaction committed: its head, appended to the anchor file (after its restart, if any)."""
    if tail.restart is not None:
        anchor_file.restart(tail.restart)
    if tail.written:
        anchor_file.append(anchors.Anchor(tail.last_at, tail.seq, tail.hash, tail.last_source))


def append(
    storage: PluginStorage,
    events: Sequence[AccessEvent],
    now: datetime,
    anchor: Callable[[], anchors.AnchorFile] | None = None,
) -> int:
    """Chain ``events`` after the head in one loop and insert them with one executemany per batch
    of ``_BATCH``; returns the new head's sequence number.

    ``anchor`` gives the file to anchor the head in once the transaction has committed
    (asked once per transaction).
    """
    tail = _tail_for_writing(storage, anchor)
    if not events:
        return tail.seq
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    days: list[tuple[str, str, str, int, str]] = []
    seq, prev, day_seen = tail.seq, tail.hash, tail.checkpoint_day
    day = stamp[:10]
    if day != day_seen:
        if seq:
            days.append(("daily", day, stamp, seq, prev))
        day_seen = day
    sha256 = hashlib.sha256
    if days:
        storage.insert_many(checkpoints, days, _CHECKPOINT_COLUMNS)
    enc_stamp = _enc(stamp)
    # A batch repeats the same actor, source, action and fields in event after event: each
    # distinct combination is turned into text, JSON and its entries' canonical form once.
    known: dict[tuple[Any, ...], tuple[tuple[str, ...], str]] = {}
    with _Batch(storage, stamp, lift=len(events) > _LIFT_FROM) as batch:
        for e in events:
            what = (e.actor, e.role, e.source, e.action, e.entity, e.fields, e.purpose, e.outcome)
            try:
                texts, template = known[what]
            except KeyError:
                texts = _texts(e)
                template = _entry_template(texts, enc_stamp)
                known[what] = texts, template
            except TypeError:  # fields given as a list: read, not remembered
                texts = _texts(e)
                template = _entry_template(texts, enc_stamp)
            record_id = str(e.record_id)
            seq += 1
            digest = sha256((template % (prev, _enc(record_id), seq)).encode("utf-8")).hexdigest()
            batch.add(texts, (seq, record_id, prev, digest))
            prev = digest
        batch.flush()
    tail.seq, tail.hash, tail.checkpoint_day, tail.written = seq, prev, day_seen, True
    tail.last_at, tail.last_source = stamp, str(events[-1].source)
    return seq


class _Batch:
    """Entries waiting for their executemany, ``_BATCH`` at most.

    When every entry of a batch shares its texts (a sync's creates: the same actor, source,
    action and fields 100,000 times), they are written into the INSERT once rather than bound
    for each entry; a batch of mixed entries binds every column, so entries that differ (the
    fields of each export) never make a statement of their own.

    With ``lift``, the log's insert guard is lifted once the first entry is in, until the last
    one is (:func:`.guards.lifted`): besides its own program, the guard makes SQLite keep a
    statement journal for every entry, a copy of each page the entry touches, which cost a
    1,000-entry sync 9,000 writes of a temporary file.
    """

    def __init__(self, storage: PluginStorage, stamp: str, lift: bool) -> None:
        self.storage, self.stamp = storage, stamp
        self.guard = contextlib.ExitStack()  # the insert guard, lifted once the first entry is in
        self.lift, self.lifted = lift, False
        self.size = 1 if lift else _BATCH  # entries to the next executemany
        self.rows: list[tuple[Any, ...]] = []  # (seq, record_id, prev_hash, hash)
        self.texts: list[tuple[str, ...]] = []  # each entry's texts (see :func:`_texts`)
        self.shared: tuple[str, ...] | None = None  # the texts of every entry so far, while they agree

    def add(self, texts: tuple[str, ...], row: tuple[Any, ...]) -> None:
        if not self.rows:
            self.shared = texts
        elif self.shared is not None and texts is not self.shared and texts != self.shared:
            self.shared = None
        self.rows.append(row)
        self.texts.append(texts)
        if len(self.rows) == self.size:
            self.flush()
            if self.lift and not self.lifted:  # more follow: the transaction is open now (``guards.lifted``)
                self.guard.enter_context(guards.lifted(self.storage))
                self.lifted, self.size = True, _BATCH

    def __enter__(self) -> _Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.guard.close()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.shared is not None:
            fixed = {"at": self.stamp, **dict(zip(_SHARED_COLUMNS, self.shared, strict=False))}
            self.storage.insert_many(log, self.rows, _ENTRY_COLUMNS, fixed)
        else:
            stamp = self.stamp
            rows = [
                (seq, stamp, *t[:5], record_id, *t[5:8], prev, digest)
                for (seq, record_id, prev, digest), t in zip(self.rows, self.texts, strict=True)
            ]
            self.storage.insert_many(log, rows, _LOG_COLUMNS)
        self.rows, self.texts, self.shared = [], [], None


#: Entries per executemany: a sync's 100,000 accesses are held as rows a batch at a time.
_BATCH = 2_000

#: More entries than this go in with the insert guard lifted: dropping it and making it again
#: costs about what the guard costs a hundred entries (some 0.6 ms a transaction on a 2-core
#: machine: ten entries took 1.8 ms with the guard and 2.3 ms lifted, three hundred 9.7 and 8.2).
_LIFT_FROM = 100


def _texts(e: AccessEvent) -> tuple[str, ...]:
    """An event's fields but its record id as the log stores them (actor, role, source, action,
    entity, fields, purpose, outcome), then the JSON of each in the order the canonical form
    takes them (action, actor, entity, fields, outcome, purpose, role, source)."""
    actor, role, source, action = str(e.actor), str(e.role), str(e.source), str(e.action)
    entity, purpose, outcome = str(e.entity), str(e.purpose), str(e.outcome)
    fields = ",".join(_field_name(f) for f in e.fields)
    stored = (actor, role, source, action, entity, fields, purpose, outcome)
    return (*stored, *(_enc(t) for t in (action, actor, entity, fields, outcome, purpose, role, source)))


# RFC 8785 canonical JSON of an entry, keys in their sorted order; equal byte for byte to
# :func:`.chain.canonical` (a property test holds the two together) at a fraction of its cost.
_CANONICAL = (
    '{"action":%s,"actor":%s,"at":%s,"entity":%s,"fields":%s,"outcome":%s,"prev_hash":"%s",'
    '"purpose":%s,"record_id":%s,"role":%s,"seq":%d,"source":%s}'
)
_enc = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) does to a str
_TEMPLATE = _CANONICAL.replace('"seq":%d', '"seq":%s')


def _entry_template(texts: tuple[str, ...], enc_stamp: str) -> str:
    """:data:`_CANONICAL` of the entries sharing ``texts`` (see :func:`_texts`) and the time
    ``enc_stamp`` (as JSON), with their prev_hash, record id (as JSON) and seq left to fill in."""
    fixed = [t.replace("%", "%%") for t in (*texts[8:], enc_stamp)]
    action, actor, entity, fields, outcome, purpose, role, source, at = fixed
    return _TEMPLATE % (action, actor, at, entity, fields, outcome, "%s", purpose, "%s", role, "%d", source)


def note_restart(storage: PluginStorage, restart: anchors.Restart) -> None:
    """This transaction rebuilds the store on purpose: anchors written before describe a log that is gone."""
    tail: _Tail | None = storage.memo.get("tail")
    if tail is not None:
        tail.restart = restart


def restarting(storage: PluginStorage) -> bool:
    """Whether this transaction rebuilds the store (its restart is anchored once it commits)."""
    tail: _Tail | None = storage.memo.get("tail")
    return tail is not None and tail.restart is not None


def add_export_checkpoint(storage: PluginStorage, now: datetime) -> tuple[int, str]:
    """Record the head an export is about to carry off the store; returns (seq, hash)."""
    tail = _tail_for_writing(storage, None)
    row = ("export", now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), tail.seq, tail.hash)
    storage.insert_many(checkpoints, [row], _CHECKPOINT_COLUMNS)
    return tail.seq, tail.hash


def head(storage: PluginStorage) -> tuple[int, str]:
    """(sequence number, hash) of the newest entry; (0, GENESIS) for none."""
    if not has_log(storage):
        return 0, GENESIS
    row = storage.execute(select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def hash_at(storage: PluginStorage, seq: int) -> str | None:
    """The hash of entry ``seq``, or None when the log has no such entry."""
    if not has_log(storage):
        return None
    return storage.execute(select(log.c.hash).where(log.c.seq == seq)).scalar()


@functools.lru_cache(maxsize=4096)
def _field_name(name: str) -> str:
    """A field name as given; anything that does not look like one is never written out."""
    name = str(name)
    return name if _FIELD_NAME.match(name) else f"<not a field name: {len(name)} chars>"


def entries(storage: PluginStorage, where: Any = None) -> Iterator[dict[str, Any]]:
    """Entries in sequence order, each a dict of every field plus ``hash``."""
    if not has_log(storage):
        return
    cols = [log.c[name] for name in _LOG_COLUMNS]
    q = select(*cols).order_by(log.c.seq)
    if where is not None:
        q = q.where(where)
    names = [c.name for c in cols]
    for row in storage.execute(q):
        yield dict(zip(names, row, strict=True))


def stored_checkpoints(storage: PluginStorage) -> list[Checkpoint]:
    if not has_log(storage):
        return []
    q = select(checkpoints).order_by(checkpoints.c.id)
    return [Checkpoint(f"{r.kind} checkpoint of {r.at}", r.head_seq, r.head_hash) for r in storage.execute(q)]
