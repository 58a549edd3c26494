"""A new SQLite store is made with large pages (a store is written and read in bulk); a store that
exists keeps the pages it was made with, and every row in it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from clinicops.core.store_engine import SQLITE_PAGE_SIZE, make_engine


def test_a_new_sqlite_store_has_large_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as made:  # SQLite's default pages, with a row in it
        made.execute("CREATE TABLE t (x)")
        made.execute("INSERT INTO t VALUES (1)")
    default = sqlite3.connect(old).execute("PRAGMA page_size").fetchone()[0]
    assert default != SQLITE_PAGE_SIZE
    for path, size in ((tmp_path / "new.db", SQLITE_PAGE_SIZE), (old, default)):
        engine = make_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (x)"))
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA page_size")).scalar() == size
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        engine.dispose()
    assert sqlite3.connect(old).execute("SELECT x FROM t").fetchall() == [(1,)]
