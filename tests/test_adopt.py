"""Adopting an office's own workbook as it is: the proposal, the preview, the first and second sync."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.practice import Practice

from .office_workbook import held_counts, office_tabs, valid_counts, write_workbook


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def typed_cells(path: Path) -> dict[tuple[str, str], tuple[object, str]]:
    book = openpyxl.load_workbook(path)
    return {
        (ws.title, cell.coordinate): (cell.value, cell.data_type)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    }


def by_tab(found: dict) -> dict[str, dict]:
    return {t["tab"]: t for t in found["tabs"]}


def test_adopt_binds_the_offices_columns_and_previews_the_first_sync(tmp_path: Path) -> None:
    tabs = office_tabs()
    book = tmp_path / "front-desk.xlsx"
    write_workbook(book, tabs)
    code, out = run("adopt", str(book), "--json")
    assert code == 0, out
    found = by_tab(json.loads(out))
    assert not (tmp_path / "columns.toml").exists()
    assert {t: f["entity"] for t, f in found.items()} == {
        "Doctors": "provider",
        "Pt List": "patient",
        "Schedule": "appointment",
        "Billing": "claim",
        "Supplies": "inventory_item",
    }
    pt = found["Pt List"]
    assert pt["split"] == {"Last, First": ["last_name", "first_name"]}
    assert pt["columns"] == {
        "date_of_birth": "DOB",
        "phone": "Cell",
        "email": "Email",
        "insurance_payer": "Ins",
        "primary_provider_id": "Dr",
    }
    assert pt["unmapped"] == ["Notes"]
    assert found["Schedule"]["joined"] == {"start": ["Appt Date", "Time"]}
    assert found["Schedule"]["columns"] == {"patient_id": "Pt", "provider_id": "Dr", "status": "Status"}
    assert found["Billing"]["columns"]["billed_amount"] == "Charge"
    assert found["Billing"]["columns"]["icd10_codes"] == "Dx"
    assert found["Supplies"]["columns"] == {
        "name": "Item",
        "category": "Category",
        "on_hand": "Qty",
        "expiry": "Exp",
        "vendor": "Vendor",
    }
    assert all(not f["missing_required"] for f in found.values())
    entity = {f["entity"]: f for f in found.values()}
    assert {e: f["import"] for e, f in entity.items()} == valid_counts(tabs)
    assert {e: f["held_back"] for e, f in entity.items()} == held_counts(tabs)


def test_first_sync_after_adopt_imports_every_valid_row_and_moves_nothing(tmp_path: Path) -> None:
    tabs = office_tabs()
    book = tmp_path / "front-desk.xlsx"
    write_workbook(book, tabs)
    before = typed_cells(book)
    code, out = run("adopt", str(book), "--yes")
    assert code == 0, out
    assert "Pt List" in out and "would import" in out
    practice = Practice.open(tmp_path)
    report = operations.sync(practice)
    assert {e: report.entities[e].created for e in valid_counts(tabs)} == valid_counts(tabs)
    after = typed_cells(book)
    assert {k: v for k, v in after.items() if k in before} == before
    headers = {ws.title: [c.value for c in ws[1]] for ws in openpyxl.load_workbook(book).worksheets}
    assert headers["Pt List"] == ["Last, First", "DOB", "Cell", "Email", "Ins", "Dr", "Notes", "MRN", "Errors"]
    assert headers["Schedule"] == ["Pt", "Dr", "Appt Date", "Time", "Status", "ID", "Errors"]
    assert headers["Supplies"][-2:] == ["SKU", "Errors"]
    with practice.view() as view:
        patients, visits = view.records("patient"), view.records("appointment")
    last, first = tabs["Pt List"][1][0].split(", ")
    assert any(p["last_name"] == last and p["first_name"] == first for p in patients)
    visit = visits[0]
    assert visit["start"].startswith("2026-12-01T") and visit["provider_id"].startswith("PR")
    stamp = book.stat().st_mtime_ns
    again = operations.sync(practice)
    assert again.total_changes == 0 and not again.wrote
    assert book.stat().st_mtime_ns == stamp
    practice.close()


def test_adopt_asks_lets_a_binding_be_corrected_and_writes_only_when_accepted(tmp_path: Path) -> None:
    import tomllib

    book = tmp_path / "front-desk.xlsx"
    write_workbook(book, office_tabs(patients=20, visits=8, claims=6, supplies=4))
    declined = CliRunner().invoke(cli, ["adopt", str(book)], input="\nn\n")
    assert declined.exit_code == 0 and "Nothing was written" in declined.output
    assert not (tmp_path / "columns.toml").exists()
    accepted = CliRunner().invoke(cli, ["adopt", str(book)], input="Pt List:Notes=address\n\ny\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Pt List: 'Notes' holds address" in accepted.output
    patient = tomllib.loads((tmp_path / "columns.toml").read_text())["patient"]
    assert patient["columns"]["address"] == "Notes" and "address" not in patient["skip"]
    assert patient["split"] == {"Last, First": ["last_name", "first_name"]}


def test_split_and_joined_columns_are_written_back_in_their_own_shape(tmp_path: Path) -> None:
    import datetime as dt

    tabs = office_tabs(patients=12, visits=6, claims=4, supplies=3)
    book = tmp_path / "front-desk.xlsx"
    write_workbook(book, tabs)
    assert run("adopt", str(book), "--yes")[0] == 0
    practice = Practice.open(tmp_path)
    operations.sync(practice)
    with practice.view() as view:
        patient = next(p for p in view.records("patient") if p["last_name"] == tabs["Pt List"][11][0].split(", ")[0])
        visit = view.records("appointment")[0]
        view.save("patient", {**patient, "first_name": "Ada"}, plugin="test")
        view.save("appointment", {**visit, "start": "2026-12-03T19:45:00Z"}, plugin="test")
    report = operations.sync(practice)
    assert report.errors == [] or all(e.row > 1 for e in report.errors)
    sheet = openpyxl.load_workbook(book)
    names = [c.value for c in sheet["Pt List"]["A"]]
    assert f"{patient['last_name']}, Ada" in names
    schedule = {r[5].value: r for r in sheet["Schedule"].iter_rows(min_row=2) if r[5].value}
    row = schedule[visit["id"]]
    assert row[2].value in (dt.date(2026, 12, 3), dt.datetime(2026, 12, 3)) and row[3].value == "14:45"
    with practice.view() as view:
        assert view.get("patient", patient["id"])["first_name"] == "Ada"
        assert view.get("appointment", visit["id"])["start"] == "2026-12-03T19:45:00Z"
    again = operations.sync(practice)
    assert again.total_changes == 0
    practice.close()
