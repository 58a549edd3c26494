"""Schemas made for one test on the PostgreSQL named by ``CLINICOPS_TEST_STORE_URL``, dropped after it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

URL = os.environ.get("CLINICOPS_TEST_STORE_URL", "")


@contextmanager
def when_asked() -> Iterator[Callable[[Path], str] | None]:
    """:func:`per_test` on ``CLINICOPS_TEST_STORE_URL`` when it is set; None (SQLite) when not."""
    if not URL:
        yield None
        return
    with per_test(URL) as schema_for:
        yield schema_for


def store_section(folder: Path, schema_for: Callable[[Path], str] | None) -> str:
    """The ``[store]`` lines of a practice.toml for ``folder``: its own schema, or none for SQLite."""
    return f'\n[store]\nurl = "{URL}"\nschema = "{schema_for(folder)}"\n' if schema_for else ""


@contextmanager
def per_test(url: str) -> Iterator[Callable[[Path], str]]:
    """A function giving each practice folder a schema of its own for this test; all are dropped at the end."""
    tag = secrets.token_hex(4)
    made: dict[Path, str] = {}

    def schema_for(root: Path) -> str:
        if root not in made:
            made[root] = f"t_{tag}_{len(made)}"
        return made[root]

    try:
        yield schema_for
    finally:
        if made:
            drop(url, list(made.values()))


def drop(url: str, schemas: list[str]) -> None:
    """Drop the schemas, first ending connections a test left open to them (an unclosed practice)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            names = [f"clinicops {s}" for s in schemas]
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = ANY(:names) AND pid <> pg_backend_pid()"
                ),
                {"names": names},
            )
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()
