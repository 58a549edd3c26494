"""A practice's store as a test reaches it behind clinicops's back: SQLite file or PostgreSQL schema alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, inspect

from clinicops.core.config import load_config
from clinicops.core.store_engine import make_engine

from . import pg_stores


@contextmanager
def connect(folder: Path) -> Iterator[Connection]:
    """A connection to the practice's store, in one transaction committed at the end."""
    config = load_config(folder)
    engine = make_engine(config.store_url, config.store_schema)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def table_names(folder: Path) -> set[str]:
    with connect(folder) as conn:
        return set(inspect(conn).get_table_names())


def forget(folder: Path) -> None:
    """Delete the practice's store as someone with access to it could: its file, or its schema
    (the practice must be closed)."""
    config = load_config(folder)
    if config.store_schema is None:
        for name in ("clinicops.db", "clinicops.db-wal", "clinicops.db-shm"):
            (config.data_dir / name).unlink(missing_ok=True)
    else:
        pg_stores.drop(config.store_url, [config.store_schema])


def on_postgres() -> bool:
    import os

    return bool(os.environ.get("CLINICOPS_TEST_STORE_URL"))
