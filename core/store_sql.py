"""What the store's tables share: one ``MetaData`` and the driver-level bulk reads and writes.

The store's tables live in one ``MetaData`` so that a database is created (or migrated) as
one schema. Reads and writes of 100k rows go straight to the DBAPI cursor: SQLAlchemy's
per-row processing would cost more than the SQL itself. Both stay portable, because the
statements are still compiled by SQLAlchemy for the connection's dialect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Dialect,
    MetaData,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    literal,
    literal_column,
)

metadata = MetaData()

_NONE: Mapping[str, Any] = MappingProxyType({})


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

#: What orjson leaves to the standard encoder (it raises, and :func:`dumps` falls back): dates,
#: dataclasses and subclasses of str, int, dict and list, which orjson would write in a form of
#: its own, so every value is written as the standard encoder writes it or refused as it refuses.
_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def dumps(data: Any) -> str:
    """The one JSON form the store keeps: sorted keys, compact, unicode as is.

    orjson writes a record in a quarter of the time the standard encoder takes (a first import
    writes one text per record). What it cannot write as strict JSON the way the standard
    encoder does (an integer beyond 64 bits, a lone surrogate, a non-text key, the kinds in
    :data:`_ORJSON_OPTIONS`) goes to the standard encoder. A number that is not finite, which
    coercion refuses in a cell, is written as null, where the standard encoder wrote ``NaN``
    (a text no JSON reader but Python's takes).
    """
    try:
        return orjson.dumps(data, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _ENCODER.encode(data)


def loads(text: str | bytes) -> Any:
    """A stored JSON text as values; orjson reads strict JSON, and the standard decoder the rest
    (``NaN`` in a text an older store wrote)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


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


_FIRST = itemgetter(0)
_REST = itemgetter(slice(1, None))


def keyed(rows: list[tuple[Any, ...]], make: Callable[[tuple[Any, ...]], Any]) -> dict[Any, Any]:
    """``{row[0]: make(row[1:])}`` for rows from :func:`fetch_rows`, built by the interpreter's C loops
    (``map``, ``zip``, ``dict``): with a C ``make`` (a tuple type's ``__new__``), no Python frame
    runs per row, where a comprehension costs a 100k-row read as much again as the query."""
    return dict(zip(map(_FIRST, rows), map(make, map(_REST, rows)), strict=True))


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk insert through the driver's executemany: a 100k-row import without per-row overhead."""
    if not rows:
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(rows[0]))
    _execute_many(conn, compiled, rows)


def insert_rows(
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    fixed: Mapping[str, Any] = _NONE,
) -> None:
    """:func:`insert_many` for rows given as tuples of ``columns``: a driver that takes the
    statement's parameters by position is handed them as they are, with no dict per row.

    ``fixed`` (column -> value) holds what every row shares (the entity, the time, the
    source): written into the statement once, as the dialect's literals, not bound again for
    each row, where binding a value costs the driver about as much as a tenth of the row's insert.
    """
    if rows:
        execute_compiled(conn, _insert(conn.dialect, table, columns, tuple(fixed.items())), columns, rows)


@lru_cache(maxsize=64)
def _insert(dialect: Dialect, table: Table, columns: tuple[str, ...], fixed: tuple[tuple[str, Any], ...]) -> Any:
    """The compiled insert of :func:`insert_rows`, made once for all the batches of one import."""
    values = {name: as_literal(dialect, table.c[name], value) for name, value in fixed}
    return insert(table).inline().values(values).compile(dialect=dialect, column_keys=list(columns))


def as_literal(dialect: Dialect, column: Column[Any], value: Any) -> Any:
    """``value`` for ``column`` as SQL text, quoted and escaped by the dialect: a value a whole
    executemany shares, written into its statement once rather than bound for every row."""
    sql = literal(value, column.type).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return literal_column(str(sql), column.type)


def execute_compiled(conn: Connection, compiled: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
    """Run ``compiled`` (for ``conn``'s dialect) once per row of ``names``' values; the rows the
    database changed."""
    if compiled.positional and tuple(compiled.positiontup) == names:
        return _run_many(conn, str(compiled), rows)
    return _execute_many(conn, compiled, [dict(zip(names, row, strict=True)) for row in rows])


def delete_many(conn: Connection, table: Table, keys: list[dict[str, Any]]) -> None:
    """Delete the rows whose columns equal each of ``keys`` (column -> value), in one statement
    run through the driver's executemany: no ``IN`` lists to build, however many rows."""
    if not keys:
        return
    where = and_(*(table.c[name] == bindparam(f"key_{name}") for name in keys[0]))
    compiled = delete(table).where(where).compile(dialect=conn.dialect)
    _execute_many(conn, compiled, [{f"key_{k}": v for k, v in key.items()} for key in keys])


def execute_many(conn: Connection, statement: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
    """Run ``statement`` once per row, each a tuple of the values of the bound parameters
    ``names``, through the driver's executemany; returns how many rows the database changed."""
    if not rows:
        return 0
    return execute_compiled(conn, statement.compile(dialect=conn.dialect), names, rows)


def _execute_many(conn: Connection, compiled: Any, rows: list[dict[str, Any]]) -> int:
    """Run ``compiled`` once per row; the rows the database changed (the drivers sum them)."""
    args: Any = list(map(_getter(compiled.positiontup), rows)) if compiled.positional else rows
    return _run_many(conn, str(compiled), args)


def _run_many(conn: Connection, sql: str, args: Any) -> int:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, args)
        return cursor.rowcount
    finally:
        cursor.close()


def _getter(names: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values in the statement's parameter order, as a tuple (even for one name)."""
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    return itemgetter(*names)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in slices of ``size``: an ``IN (…)`` list stays under every driver's limit."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


#: Rows per batch of a bulk write. A large import builds its statements' rows (each record's JSON
#: text) a batch at a time, so it holds one batch of them, never the whole sheet's.
WRITE_BATCH = 2_000
