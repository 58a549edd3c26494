"""``clinicops store copy --to URL``: the whole of a practice's store, copied to another database.

Moving a practice from its SQLite file to PostgreSQL (or back) must lose nothing: every
record and every version, the sync state (so the next sync is an ordinary one, not a first
import), the store's identity (so the sheets still carry its mark), the access log and its
checkpoints (so the chain still verifies against the anchors outside the store), and
every plugin's tables, including those of plugins not enabled now. So the copy takes
every table the source has, not a list of known ones: the destination gets the core's
tables at the newest revision and each plugin's tables as the plugin declares them, and
any other table as the source has it. Rows go over in primary-key order, in batches;
counters (PostgreSQL sequences) are set past the highest copied key; each table's row
count is compared at the end. The destination must be empty.

The copy is a move: it is recorded in the source's access log first (so the copy carries
that entry too), then in the copy's, as its newest entry; the anchors beside the practice
follow the copy from then on, so the source's log, kept as an archive, ends one entry short
of them and ``audit verify`` on it says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Integer, MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import make_url

from clinicops.core.access import AccessEvent
from clinicops.core.errors import ClinicopsError
from clinicops.core.plugin_storage import PluginStorage
from clinicops.core.practice import PracticeView
from clinicops.core.store import Store

BATCH = 5000
# Bookkeeping of the databases themselves, never copied.
SKIPPED = {"alembic_version", "sqlite_sequence"}


class CopyRefused(ClinicopsError, RuntimeError):
    """The destination is not empty, or a table did not arrive whole."""


def safe_url(url: str) -> str:
    """The URL as it may be printed and logged: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def copy_store(practice: Any, to_url: str, schema: str | None, actor: str) -> dict[str, int]:
    """Copy the practice's store to ``to_url`` (``schema`` on PostgreSQL); rows per table copied."""
    source: Store = practice.store
    destination = Store(to_url, clock=practice.clock, schema=schema)
    try:
        with destination.engine.connect() as conn:
            for impl in practice.pm.hook.prepare_storage.get_hookimpls():
                impl.function(storage=PluginStorage(impl.plugin_name, conn))
        _refuse_unless_empty(destination)
        with practice.view(source="cli", actor=actor) as view:
            event = AccessEvent(
                actor, "user", "cli", "export", "store", "all", (), f"store copied to {_where(to_url, schema)}"
            )
            view.accessed(event)
        with source.engine.connect() as src, destination.engine.begin() as dst:
            copied = {name: _copy_table(src, dst, name) for name in _tables(src)}
            _advance_counters(dst)
        with destination.transaction() as tx:
            arrived = f"store copied here from {_where(source.url, source.schema)}"
            PracticeView(practice, tx, source="cli", actor=actor).accessed(
                AccessEvent(actor, "user", "cli", "import", "store", "all", (), arrived)
            )
        return copied
    finally:
        destination.close()


def _where(url: str, schema: str | None) -> str:
    return safe_url(url) + (f" (schema {schema})" if schema else "")


def _refuse_unless_empty(store: Store) -> None:
    with store.engine.connect() as conn:
        for name in ("records", "versions", "access_log"):
            if inspect(conn).has_table(name) and conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first():
                raise CopyRefused(f"The destination store already holds rows in {name}; copy only into an empty one")


def _tables(conn: Connection) -> list[str]:
    return sorted(name for name in inspect(conn).get_table_names() if name not in SKIPPED)


def _copy_table(src: Connection, dst: Connection, name: str) -> int:
    source = Table(name, MetaData(), autoload_with=src)
    if not inspect(dst).has_table(name):
        source.to_metadata(MetaData()).create(dst)
    target = Table(name, MetaData(), autoload_with=dst)
    columns = [c.name for c in source.columns if c.name in target.c]
    order = [source.c[c.name] for c in source.primary_key.columns] or [source.c[columns[0]]]
    copied = 0
    for batch in _batches(src, select(*(source.c[c] for c in columns)).order_by(*order)):
        dst.execute(insert(target), [dict(zip(columns, row, strict=True)) for row in batch])
        copied += len(batch)
    arrived = dst.execute(select(func.count()).select_from(target)).scalar_one()
    if arrived != copied:
        raise CopyRefused(f"The table {name} arrived with {arrived} rows of {copied}; nothing was committed")
    return copied


def _batches(conn: Connection, query: Any) -> Iterator[list[Any]]:
    result = conn.execution_options(yield_per=BATCH).execute(query)
    yield from (list(part) for part in result.partitions(BATCH))


def _advance_counters(conn: Connection) -> None:
    """Set each serial key's sequence past the highest copied value (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return
    for name in inspect(conn).get_table_names():
        table = Table(name, MetaData(), autoload_with=conn)
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": name, "c": column.name})
            found = sequence.scalar()
            if found:
                conn.execute(
                    text(f'SELECT setval(:s, COALESCE((SELECT max("{column.name}") FROM "{name}"), 0) + 1, false)'),
                    {"s": found},
                )
