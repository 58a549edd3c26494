"""The store's database connection: SQLite in the practice's folder, or one PostgreSQL schema per practice.

A practice on PostgreSQL owns one schema of the database (``[store] schema``, by default
``practice_`` and the practice folder's name). Every connection of its store sets
``search_path`` to that schema alone, so its tables (records, versions, sync state, the
access log and every plugin's tables) are created and read there and nowhere else: one
practice's store never names, and so never reads, another's rows, and many practices can
share one database (and one set of migrations applied per schema) without a column
telling their rows apart.

psycopg 3 prepares a statement on the server after it ran five times, and PostgreSQL then
settles on a generic plan for it. A statement first run while its table is empty (the sync
bases' deletes during a first import) keeps a plan made for an empty table, and each later
run of it takes seconds instead of milliseconds. So statements are never prepared
(``prepare_threshold=None``): each is planned with the table as it is, and
:func:`analyze` refreshes the planner's statistics after a bulk load.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

from clinicops.core.errors import ClinicopsError

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class StoreUrlError(ClinicopsError, ValueError):
    """A store URL or schema clinicops cannot use; the message says which and why."""


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql:", "postgresql+"))


def default_schema(folder_name: str) -> str:
    """The schema a practice's store gets on PostgreSQL when ``[store] schema`` is not set."""
    slug = re.sub(r"[^a-z0-9_]+", "_", folder_name.lower()).strip("_") or "store"
    return f"practice_{slug}"[:63]


def check_schema(schema: str) -> str:
    if not _SCHEMA.match(schema):
        raise StoreUrlError(
            f"store.schema: '{schema}' is not a schema name clinicops uses "
            "(lowercase letters, digits and underscores, starting with a letter or underscore, at most 63)"
        )
    return schema


def make_engine(url: str, schema: str | None = None) -> Engine:
    """An engine for the store at ``url``; on PostgreSQL every connection works inside ``schema`` only."""
    if not is_postgres(url):
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not url.startswith("postgresql+psycopg:"):
        raise StoreUrlError(f"store.url: use the psycopg 3 driver, 'postgresql+psycopg://…' (got '{_scheme(url)}')")
    try:
        import psycopg  # noqa: F401  (the fleet extra; the single-practice path never imports it)
    except ImportError:
        raise StoreUrlError(
            "store.url: a PostgreSQL store needs the fleet extras: pip install 'clinicops[fleet]'"
        ) from None
    schema = check_schema(schema or "public")
    connect_args: dict[str, Any] = {
        "prepare_threshold": None,
        "options": f"-c search_path={schema}",
        "application_name": f"clinicops {schema}"[:63],
    }
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def ensure_schema(conn: Connection, schema: str | None) -> None:
    """Create the practice's schema if it is not there yet (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{check_schema(schema or "public")}"'))


def analyze(conn: Connection, tables: list[str]) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL; SQLite plans without them)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(text(f'ANALYZE "{table}"'))


def _scheme(url: str) -> str:
    return url.split("://", 1)[0]


#: The page size of a new SQLite store. A store is written in bulk (a first import puts four rows
#: and their index entries in the file per record) and read in large runs: with 16 KiB pages the
#: inserts and commit of 100,000 records' rows took about a quarter less CPU than with SQLite's
#: 4 KiB (1.42 against 1.89 CPU-s, least of three), in a file no larger. A store that exists
#: keeps its own.
SQLITE_PAGE_SIZE = 16_384


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # before WAL: only a file not yet written takes it
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
