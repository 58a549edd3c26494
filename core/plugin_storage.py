"""A plugin's own tables in the practice's store, reached only through this object.

A plugin that keeps state of its own (a ledger of reminders sent, an outbox of texts, a
digest log) declares its tables with SQLAlchemy Core in a ``MetaData`` of its own and
names each one after itself (``reminders_outbox``), so no two plugins and no core table
ever share a name. The core creates them on first use, in a transaction of their own
(a dry run rolls the sync's back), and hands the plugin a :class:`PluginStorage`:

- ``storage.execute(statement)`` runs in the transaction of the work at hand: a sync's
  writes and the plugin's commit or roll back together;
- ``with storage.separately() as own:`` is a transaction of its own, committed when the
  block ends, for what must outlive the sync's transaction (a reminder reserved before it
  is sent, so a crash after sending never sends it twice).

The same code runs on SQLite and PostgreSQL: statements are SQLAlchemy Core.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Join, MetaData, Table, inspect, text

from clinicops.core.errors import ClinicopsError

_prepared: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


class StorageError(ClinicopsError, ValueError):
    """A plugin asked for a table that is not its own; the message names both."""


class PluginStorage:
    """One plugin's tables, bound to one transaction."""

    def __init__(self, plugin: str, conn: Connection, metadata: MetaData | None = None) -> None:
        self.plugin = plugin
        self._conn = conn
        self._metadata = metadata

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

    @contextmanager
    def separately(self) -> Iterator[PluginStorage]:
        """A transaction of the plugin's own, committed when the block ends (rolled back if it raises)."""
        with self._conn.engine.begin() as conn:
            yield PluginStorage(self.plugin, conn, self._metadata)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``, for the rare statement that must differ."""
        return self._conn.dialect.name

    def _check_name(self, name: str) -> None:
        if name != self.plugin and not name.startswith(f"{self.plugin}_"):
            raise StorageError(f"The plugin '{self.plugin}' may only use tables named '{self.plugin}_…', not '{name}'")


def _tables_of(statement: Any) -> list[str]:
    """Names of the tables a Core statement reads or writes."""
    names: list[str] = []
    table = getattr(statement, "table", None)
    if isinstance(table, Table):
        names.append(table.name)
    for source in getattr(statement, "get_final_froms", lambda: [])():
        names.extend(t.name for t in _base_tables(source))
    return names


def _base_tables(source: Any) -> list[Table]:
    """The tables under a FROM clause: a table, a join of them, or an alias of one."""
    if isinstance(source, Table):
        return [source]
    if isinstance(source, Join):
        return [*_base_tables(source.left), *_base_tables(source.right)]
    element = getattr(source, "element", None)
    return _base_tables(element) if element is not None else []
