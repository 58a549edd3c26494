"""The practice's store: one database holding the versioned records and the sync state.

``Store`` opens the database (SQLite by default, PostgreSQL by URL in a schema of the
practice's own, see :mod:`.store_engine`; SQLAlchemy Core keeps the SQL portable) and
hands out transactions. A ``StoreTx`` is one atomic unit of work: the versioned records
themselves (``core/records.py``) and, as ``tx.sync``, what each backend last agreed on
with them (``core/sync_state.py``), so a sync's records and its bookkeeping commit
together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine

from clinicops.core import private_files, store_revision
from clinicops.core.clock import Clock, SystemClock
from clinicops.core.plugin_storage import TransactionScope
from clinicops.core.records import Records
from clinicops.core.store_engine import analyze, ensure_schema, make_engine
from clinicops.core.sync_state import SyncState

# A unit of work writing this many records or more is a bulk load: the planner's statistics
# of the tables it filled are refreshed after it (PostgreSQL).
BULK_ROWS = 1000


class Store:
    """A database of records; open one transaction per unit of work."""

    def __init__(self, url: str, clock: Clock | None = None, *, schema: str | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        if url.startswith("sqlite:///"):
            # SQLite gives its -wal and -shm files the database file's own mode.
            db_file = Path(url.removeprefix("sqlite:///"))
            private_files.create_file(private_files.make_dir(db_file.parent) / db_file.name)
        self.url = url
        self.schema = schema
        self.engine: Engine = make_engine(url, schema)
        with self.engine.begin() as conn:
            store_revision.lock(conn, schema)
            ensure_schema(conn, schema)
            store_revision.settle(conn, f"The store (schema {schema})" if schema else "The store")

    @contextmanager
    def transaction(self) -> Iterator[StoreTx]:
        """One atomic unit: everything inside commits together or not at all."""
        with self.engine.begin() as conn:
            tx = StoreTx(conn, self.clock)
            yield tx
        tx.scope.committed()

    def after_bulk(self, conn: Connection, rows: int) -> None:
        """After a unit of work that wrote ``rows`` records (a first import), refresh the planner's
        statistics of the tables it filled, so later statements are planned for their real size."""
        if rows >= BULK_ROWS and self.engine.dialect.name == "postgresql":
            with conn.begin():
                analyze(conn, ["records", "versions", "sync_base", "pending_rows"])

    def close(self) -> None:
        self.engine.dispose()


class StoreTx(Records):
    """The versioned records inside one transaction, with the sync state as ``sync``."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        super().__init__(conn, clock)
        self.sync = SyncState(conn, clock)
        self.scope = TransactionScope()  # plugins' memos and at-commit callbacks for this transaction
