"""Alembic's entry point: migrate the connection ``clinicops store migrate`` hands over."""

from __future__ import annotations

from typing import Any

from alembic import context

from clinicops.core.store_revision import core_metadata

CORE_TABLES = {name for tables in core_metadata() for name in tables.tables}


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Only the core's tables are migrated here; plugins create and keep their own."""
    if kind == "table":
        return name in CORE_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in CORE_TABLES


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=core_metadata(),
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
