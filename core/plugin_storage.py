"""A plugin's own tables in the practice's store, reached only through this object.

A plugin that keeps state of its own (a ledger of reminders sent, an outbox of texts, a
digest log) declares its tables with SQLAlchemy Core in a ``MetaData`` of its own and
names each one after itself (``reminders_outbox``), so no two plugins and no core table
ever share a name. The core creates them on first use, in a transaction of their own
(a dry run rolls the sync's back), and hands the plugin a :class:`PluginStorage`:

- ``storage.execute(statement)`` runs in the transaction of the work at hand: a sync's
  writes and the plugin's commit or roll back together;
- ``storage.insert_many(table, rows)`` inserts many rows with one executemany through the
  driver (an access log appending a sync's 100,000 entries pays no per-row overhead);
- ``storage.memo`` is a dict the plugin keeps for the rest of the transaction (a chain's
  head read once, not once per batch); it is forgotten when the transaction ends;
- ``storage.at_commit(callback)`` runs ``callback()`` once the transaction has committed,
  never if it rolls back (a head written to a file outside the store only once it is true);
- ``with storage.separately() as own:`` is a transaction of its own, committed when the
  block ends, for what must outlive the sync's transaction (a reminder reserved before it
  is sent, so a crash after sending never sends it twice).

The same code runs on SQLite and PostgreSQL: statements are SQLAlchemy Core. Only the core
commits: it calls :meth:`TransactionScope.committed` once a transaction it began is done.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, MetaData, Table, insert, inspect, text
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from clinicops.core.errors import ClinicopsError
from clinicops.core.store_sql import as_literal

_prepared: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()
log = logging.getLogger("clinicops.plugins")


class TransactionScope:
    """What plugins keep beside one store transaction: their memos and what runs once it commits.

    The core makes one per transaction it begins and calls :meth:`committed` after the
    commit; a transaction rolled back simply drops its scope.
    """

    def __init__(self) -> None:
        self.memos: dict[str, dict[str, Any]] = {}
        self.callbacks: list[tuple[str, Callable[[], None]]] = []

    def committed(self) -> None:
        """Run each plugin's ``at_commit`` callback, in order; one that fails is logged and skipped:
        the transaction has committed whatever it does."""
        callbacks, self.callbacks = self.callbacks, []
        for plugin, callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("plugin %s failed in an at_commit callback", plugin)


class StorageError(ClinicopsError, ValueError):
    """A plugin asked for a table that is not its own; the message names both."""


class PluginStorage:
    """One plugin's tables, bound to one transaction."""

    def __init__(
        self, plugin: str, conn: Connection, metadata: MetaData | None = None, scope: TransactionScope | None = None
    ) -> None:
        self.plugin = plugin
        self._conn = conn
        self._metadata = metadata
        self._scope = scope if scope is not None else TransactionScope()

    def prepare(self, metadata: MetaData, *, renamed: dict[str, str] | None = None) -> None:
        """Create the plugin's tables if they are missing (once per store), in their own transaction.

        ``renamed`` maps a table's earlier name to its name now: a store that still has the
        old table gets it renamed, rows and all, instead of a new empty one.
        """
        for table in metadata.tables.values():
            self._check_name(table.name)
        for new in (renamed or {}).values():
            self._check_name(new)
        self._metadata = metadata
        engine = self._conn.engine
        done = _prepared.setdefault(engine, set())
        if self.plugin in done:
            return
        with engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            for old, new in (renamed or {}).items():
                found = inspect(conn)
                if found.has_table(old) and not found.has_table(new):
                    conn.execute(text(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}"))
            metadata.create_all(conn, checkfirst=True)
        done.add(self.plugin)

    def exists(self, table: Table) -> bool:
        """Whether a table of this plugin is in the store (read paths treat a missing one as empty)."""
        self._check_name(table.name)
        return self.plugin in _prepared.get(self._conn.engine, set()) or inspect(self._conn).has_table(table.name)

    def execute(self, statement: Any) -> Any:
        """Run a SQLAlchemy Core statement on this plugin's tables, in the current transaction."""
        for table in _tables_of(statement):
            self._check_name(table)
        return self._conn.execute(statement)

    def execute_ddl(self, statement: str) -> None:
        """Run one DDL statement the metadata cannot express (a trigger on one of the plugin's tables).

        Use ``CREATE ... IF NOT EXISTS`` so running it again is harmless; it runs in the
        current transaction.
        """
        self._conn.execute(text(statement))

    def insert_many(
        self,
        table: Table,
        rows: Sequence[Sequence[Any]] | Sequence[Mapping[str, Any]],
        columns: Sequence[str] = (),
        fixed: Mapping[str, Any] | None = None,
    ) -> None:
        """Insert every row with one executemany through the driver, in the current transaction.

        ``rows`` are dicts of column -> value, or tuples holding ``columns`` in order (all the
        table's columns when ``columns`` is empty): the tuple form skips building a dict per row.
        ``fixed`` (column -> value) gives the columns every row shares, written into the
        statement once instead of bound for each row (a large batch's repeated texts).
        """
        self._check_name(table.name)
        if not rows:
            return
        if isinstance(rows[0], Mapping):
            names = tuple(rows[0])
            tuples: Sequence[Sequence[Any]] = [tuple(r[k] for k in names) for r in rows]  # type: ignore[call-overload]
        else:
            names, tuples = tuple(columns) or tuple(c.name for c in table.columns), rows  # type: ignore[assignment]
        sql, order = _compiled_insert(self._conn.dialect, table, names, tuple((fixed or {}).items()))
        if order is None:
            args: Any = [dict(zip(names, r, strict=True)) for r in tuples]
        elif not order:
            args = tuples  # the statement takes them in the order given
        else:
            args = [tuple(r[i] for i in order) for r in tuples]
        cursor = self._conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, args)
        finally:
            cursor.close()

    @property
    def memo(self) -> dict[str, Any]:
        """A dict of the plugin's own for the rest of this transaction, forgotten when it ends.

        Inside a savepoint it is an empty dict kept nowhere, and the transaction's is
        forgotten too: a savepoint rolled back or released would leave it wrong.
        """
        if self.in_savepoint:
            self._scope.memos.pop(self.plugin, None)
            return {}
        return self._scope.memos.setdefault(self.plugin, {})

    @property
    def in_savepoint(self) -> bool:
        """Whether the work at hand runs inside a savepoint, whose writes may yet roll back on their own."""
        return self._conn.in_nested_transaction()

    def at_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` once this transaction has committed (never if it rolls back).

        For what lives outside the store and must describe only what is committed: a line
        appended to a file, a message announcing the change. A callback that raises is logged.
        """
        self._scope.callbacks.append((self.plugin, callback))

    @contextmanager
    def separately(self) -> Iterator[PluginStorage]:
        """A transaction of the plugin's own, committed when the block ends (rolled back if it raises)."""
        scope = TransactionScope()
        with self._conn.engine.begin() as conn:
            yield PluginStorage(self.plugin, conn, self._metadata, scope)
        scope.committed()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``, for the rare statement that must differ."""
        return self._conn.dialect.name

    def _check_name(self, name: str) -> None:
        if name != self.plugin and not name.startswith(f"{self.plugin}_"):
            raise StorageError(f"The plugin '{self.plugin}' may only use tables named '{self.plugin}_…', not '{name}'")


@lru_cache(maxsize=256)
def _compiled_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], fixed: tuple[tuple[str, Any], ...]
) -> tuple[str, list[int] | None]:
    """The INSERT's SQL for this kind of database, compiled once, and for positional parameters
    the position in ``columns`` of each one (None: it takes them by name; empty: in ``columns``' order).

    Kept for the few hundred statements used last: ``fixed`` values (a sync's time) vary.
    """
    values = {name: as_literal(dialect, table.c[name], value) for name, value in fixed}
    compiled = insert(table).inline().values(values).compile(dialect=dialect, column_keys=list(columns))
    order = [columns.index(k) for k in compiled.positiontup or ()] if compiled.positional else None
    return str(compiled), [] if order == list(range(len(columns))) else order


def _tables_of(statement: Any) -> list[str]:
    """Names of the tables a Core statement reads or writes (joins, aliases and subqueries included).

    Walks the statement's expression tree without compiling it: a plugin's every statement
    passes through here.
    """
    if not isinstance(statement, ClauseElement):
        return []
    return [t.name for t in find_tables(statement, include_crud=True) if isinstance(t, Table)]
