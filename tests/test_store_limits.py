"""Every statement the store runs stays under SQLite's limit on bound variables, however large the sheet."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import event, literal, select
from sqlalchemy.exc import OperationalError

from .conftest import Clinic

# SQLite's default before 3.32, and what some distributions still build with.
LOW_LIMIT = 999


def _low_limit(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, LOW_LIMIT)


def test_a_first_import_larger_than_the_variable_limit_works(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    engine = clinic.practice.store.engine
    if engine.dialect.name == "sqlite":  # PostgreSQL's limit (65,535 per statement) is not adjustable
        event.listen(engine, "connect", _low_limit)
        engine.dispose()
        with engine.connect() as conn, pytest.raises(OperationalError, match="too many SQL variables"):
            conn.execute(select(literal(1)).where(literal(0).in_(list(range(LOW_LIMIT + 1)))))
    rows = [
        {"First name": f"Pat{i}", "Last name": f"Many{i:05d}", "Date of birth": "1/2/1980"}
        for i in range(LOW_LIMIT + 300)
    ]
    clinic.sheet.append("Patients", rows)
    report = clinic.sync()
    assert report.entities["patient"].created == len(rows) + 5
    assert report.errors == []
    again = clinic.sync()
    assert again.total_changes == 0


def test_a_sync_that_changes_many_records_updates_them_in_one_statement(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sheet.append(
        "Patients",
        [{"First name": f"P{i}", "Last name": f"Row{i:03d}", "Date of birth": "1/2/1980"} for i in range(60)],
    )
    clinic.sync()
    for row in clinic.sheet.rows("Patients")[:40]:
        clinic.sheet.edit("Patients", row["_row"], "City", "Salem")
    statements: list[tuple[str, bool]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement.split()[0].upper() + " " + statement.split()[1], executemany))

    engine = clinic.practice.store.engine
    event.listen(engine, "before_cursor_execute", seen)
    assert clinic.sync().entities["patient"].updated == 40
    updates = [s for s in statements if s[0] == "UPDATE records"]
    assert updates == [("UPDATE records", True)]
