"""What the store's tables share: one ``MetaData`` and the driver-level bulk reads and writes.

The store's tables live in one ``MetaData`` so that a database is created (or migrated) as
one schema. Reads and writes of 100k rows go straight to the DBAPI cursor: SQLAlchemy's
per-row processing would cost more than the SQL itself. Both stay portable, because the
statements are still compiled by SQLAlchemy for the connection's dialect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, MetaData, Table, insert

metadata = MetaData()


def dumps(data: Any) -> str:
    """The one JSON form the store keeps: sorted keys, compact, unicode as is."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fetch_rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """Rows as plain tuples straight from the driver: bulk reads of 100k rows skip
    SQLAlchemy's per-row processing, and stay inside the connection's transaction."""
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    args: Any = [params[k] for k in compiled.positiontup] if compiled.positional else params
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        return cursor.fetchall()
    finally:
        cursor.close()


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert through the driver's executemany: a 100k-row import without per-row overhead."""
    if not rows:
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(rows[0]))
    args: Any = [tuple(r[k] for k in compiled.positiontup) for r in rows] if compiled.positional else rows
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(str(compiled), args)
    finally:
        cursor.close()


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in slices of ``size``: an ``IN (…)`` list stays under every driver's limit."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
