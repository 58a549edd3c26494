"""Writing records that hold PHI to a backend is an ``export`` in the access log, one entry per record,
naming the PHI fields the write carried — batched with the sync's other entries, and only once the
backend confirmed the write."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from clinicops.connectors.base import ColumnSpec, TableSpec, TableWrite
from clinicops.core import operations
from clinicops.core.exports import phi_written
from clinicops.core.practice import Practice

from .conftest import write_config

PATIENTS = [
    {"id": "P000001", "first_name": "Grace", "last_name": "Hopper", "phone": "+16175550101"},
    {"id": "P000002", "first_name": "Alan", "last_name": "Turing"},
]


def exports(folder: Path) -> list[tuple[str, str, str, str, str]]:
    """(source, action, entity, record id, fields) of every ``export`` entry, read from the store file."""
    with sqlite3.connect(folder / "data" / "clinicops.db") as conn:
        query = "SELECT source, action, entity, record_id, fields FROM access_log WHERE action = 'export' ORDER BY seq"
        return conn.execute(query).fetchall()


@pytest.fixture
def practice(tmp_path: Path) -> Any:
    """A practice whose patients are in the store but not yet in its (new, empty) workbook."""
    write_config(tmp_path, plugins=[], entities=["patient"])
    practice = Practice.open(tmp_path)
    operations.lay_out(practice)
    with practice.view(source="plugin:intake") as view:
        for record in PATIENTS:
            view.save("patient", record, plugin="intake")
    yield practice
    practice.close()


def test_records_written_out_to_a_new_backend_are_each_an_export_naming_their_phi_fields(practice: Practice) -> None:
    report = operations.sync(practice)
    assert report.entities["patient"].created == 2
    assert exports(practice.config.root) == [
        ("sync:xlsx", "export", "patient", "P000001", "first_name,last_name,phone"),
        ("sync:xlsx", "export", "patient", "P000002", "first_name,last_name"),
    ]


def test_a_sync_that_writes_nothing_exports_nothing_and_a_changed_field_is_exported_alone(practice: Practice) -> None:
    operations.sync(practice)
    operations.sync(practice)
    assert len(exports(practice.config.root)) == 2
    with practice.view(source="plugin:intake") as view:
        view.save("patient", {**view.get("patient", "P000002"), "city": "Boston", "status": "active"}, plugin="intake")
    operations.sync(practice)
    assert exports(practice.config.root)[2:] == [("sync:xlsx", "export", "patient", "P000002", "city")]


def test_a_dry_run_exports_nothing(practice: Practice) -> None:
    report = operations.sync(practice, dry_run=True)
    assert report.entities["patient"].created == 2
    assert exports(practice.config.root) == []


def test_only_phi_columns_with_a_value_count() -> None:
    spec = TableSpec(
        "patient",
        "Patients",
        "id",
        (
            ColumnSpec("MRN", "id", "string"),
            ColumnSpec("First name", "first_name", "string", phi=True),
            ColumnSpec("Phone", "phone", "phone", phi=True),
            ColumnSpec("Status", "status", "enum"),
        ),
    )
    tw = TableWrite(
        spec,
        cells=[("row-3", "Phone", "617 555 0100"), ("row-4", "Status", "active"), ("row-9", "Errors", "bad")],
        appends=[{"MRN": "P000009", "First name": "Ada", "Phone": ""}, {"MRN": "P000010", "Status": "active"}],
    )
    written = phi_written(tw, ["P000009", "P000010"], {"row-3": "P000003", "row-4": "P000004"})
    assert written == {"P000003": ("phone",), "P000009": ("first_name",)}


def test_a_workbook_rebuilt_from_the_store_is_an_export_by_the_person_running_it(
    practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    operations.sync(practice)
    workbook = practice.config.root / "clinic.xlsx"
    workbook.unlink()
    monkeypatch.setenv("CLINICOPS_USER", "office.manager")
    assert operations.rebuild_workbook(practice) == 2
    assert exports(practice.config.root)[2:] == [
        ("cli", "export", "patient", "P000001", "first_name,last_name,phone"),
        ("cli", "export", "patient", "P000002", "first_name,last_name"),
    ]
    with sqlite3.connect(practice.config.root / "data" / "clinicops.db") as conn:
        last = conn.execute("SELECT actor, role FROM access_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert last == ("office.manager", "user")
