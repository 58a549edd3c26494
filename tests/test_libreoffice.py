"""The workbook as LibreOffice Calc leaves it: staff type into cells, Calc saves, clinicops syncs.

Calc runs headless with a private profile (installed by ``.ci/run``); typing goes through its
input line, so its own recognition of numbers, dates and booleans applies, as for a person.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicops.connectors.base import BackendBusy
from clinicops.core import operations
from clinicops.core.practice import Practice, store_tx

from . import libreoffice
from .workbook_parts import cell_xml, members

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def calc() -> Iterator[libreoffice.Calc]:
    if not libreoffice.available():
        pytest.fail("LibreOffice Calc and python3-uno are needed: .ci/run installs them (apt-get)")
    office = libreoffice.Calc()
    yield office
    office.quit()


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Practice]:
    p = operations.init_practice(tmp_path / "clinic", name="Calc Clinic")
    yield p
    p.close()


def type_rows(calc: libreoffice.Calc, book: Path, cells: dict[tuple[str, str], str]) -> None:
    doc = calc.open(book)
    try:
        for (tab, ref), text in cells.items():
            calc.type(doc, tab, ref, text)
        calc.save(doc)
    finally:
        calc.close(doc)


def resave(calc: libreoffice.Calc, book: Path) -> None:
    doc = calc.open(book)
    try:
        calc.save(doc)
    finally:
        calc.close(doc)


def test_booleans_and_formula_results_saved_by_calc_survive_a_write_back(calc, practice: Practice) -> None:
    book = practice.config.root / "clinic.xlsx"
    type_rows(
        calc,
        book,
        {
            ("Providers", "A2"): "PR000001",
            ("Providers", "B2"): "Ada",
            ("Providers", "C2"): "Lovelace",
            ("Providers", "E2"): "1234567893",
            ("Providers", "N2"): "FALSE",
            ("Inventory", "A2"): "INV000001",
            ("Inventory", "B2"): "Gloves",
            ("Inventory", "C2"): "supplies",
            ("Inventory", "E2"): "=4+4",
        },
    )
    report = operations.sync(practice)
    assert not report.errors, report.errors
    # a new patient row: the id clinicops writes back makes this sync write the workbook
    type_rows(calc, book, {("Patients", "B2"): "Grace", ("Patients", "C2"): "Hopper", ("Patients", "D2"): "12/9/1956"})
    active_before = cell_xml(book, "Providers", "N2")
    on_hand_before = cell_xml(book, "Inventory", "E2")
    # the cached results Calc stored (whatever prefix the XML serialiser gives the namespace)
    assert re.search(rb"<(\w+:)?v>0</(\w+:)?v>", active_before) and re.search(
        rb"<(\w+:)?v>8</(\w+:)?v>", on_hand_before
    )
    assert operations.sync(practice).wrote
    assert cell_xml(book, "Providers", "N2") == active_before
    assert cell_xml(book, "Inventory", "E2") == on_hand_before
    again = operations.sync(practice)
    assert again.total_changes == 0 and not again.errors
    with practice.view() as view:
        assert view.get("provider", "PR000001")["active"] is False
        assert view.get("inventory_item", "INV000001")["on_hand"] == 8
        assert len(store_tx(view).history("provider", "PR000001")) == 1


def test_a_calc_save_without_edits_changes_nothing_twice_after_clinicops_wrote(calc, practice: Practice) -> None:
    book = practice.config.root / "clinic.xlsx"
    type_rows(calc, book, {("Patients", "B2"): "Grace", ("Patients", "C2"): "Hopper", ("Patients", "D2"): "12/9/1956"})
    assert operations.sync(practice).wrote
    for _ in range(2):
        resave(calc, book)
        report = operations.sync(practice)
        assert report.total_changes == 0 and not report.errors, report.as_dict()
        assert not report.wrote


def test_a_text_changed_only_in_the_shared_strings_calc_saved_is_seen(calc, practice: Practice) -> None:
    book = practice.config.root / "clinic.xlsx"
    type_rows(calc, book, {("Patients", "B2"): "Grace", ("Patients", "C2"): "Hopper", ("Patients", "D2"): "12/9/1956"})
    operations.sync(practice)
    resave(calc, book)
    assert operations.sync(practice).total_changes == 0
    assert operations.sync(practice).total_changes == 0  # the tab's fingerprint is kept: skipped unread
    parts = members(book)
    with zipfile.ZipFile(book) as z:
        infos = z.infolist()
    with zipfile.ZipFile(book, "w") as out:  # only the shared strings change; the tab's own part keeps its bytes
        for info in infos:
            data = parts[info.filename]
            out.writestr(
                info, data.replace(b">Hopper<", b">Hoppers<") if info.filename.endswith("sharedStrings.xml") else data
            )
    report = operations.sync(practice)
    assert report.entities["patient"].updated == 1
    with practice.view() as view:
        [patient] = view.records("patient")
    assert patient["last_name"] == "Hoppers"


def test_values_typed_in_calc_arrive_as_typed(calc, practice: Practice) -> None:
    book = practice.config.root / "clinic.xlsx"
    type_rows(
        calc,
        book,
        {
            ("Patients", "B2"): "Grace",
            ("Patients", "C2"): "Hopper",
            ("Patients", "D2"): "12/9/1956",
            ("Patients", "F2"): "(617) 555-0101",
            ("Patients", "K2"): "02134",
            ("Patients", "O2"): "0012345678",
            ("Inventory", "A2"): "INV000001",
            ("Inventory", "B2"): "Gloves",
            ("Inventory", "C2"): "supplies",
            ("Inventory", "E2"): "12",
            ("Inventory", "L2"): "$1,200.50",
            ("Providers", "A2"): "PR000001",
            ("Providers", "B2"): "Ada",
            ("Providers", "C2"): "Lovelace",
            ("Providers", "E2"): "1234567893",
            ("Providers", "N2"): "TRUE",
        },
    )
    report = operations.sync(practice)
    assert not report.errors, report.errors
    with practice.view() as view:
        patient = view.records("patient")[0]
        assert patient["date_of_birth"] == "1956-12-09"
        assert patient["phone"] == "+16175550101"
        assert patient["zip"] == "02134"
        assert patient["member_id"] == "0012345678"
        item = view.get("inventory_item", "INV000001")
        assert item["unit_cost"] == "1200.50"
        assert view.get("provider", "PR000001")["active"] is True


def test_date_times_typed_in_calc_arrive_in_the_practice_zone(calc, practice: Practice) -> None:
    book = practice.config.root / "clinic.xlsx"
    type_rows(
        calc,
        book,
        {
            ("Providers", "A2"): "PR000001",
            ("Providers", "B2"): "Ada",
            ("Providers", "C2"): "Lovelace",
            ("Providers", "E2"): "1234567893",
            ("Patients", "A2"): "P000001",
            ("Patients", "B2"): "Grace",
            ("Patients", "C2"): "Hopper",
            ("Patients", "D2"): "12/9/1956",
        },
    )
    assert not operations.sync(practice).errors
    headers = _headers(book, "Appointments")
    row = {"Patient": "P000001", "Provider": "PR000001", "Start": "3/9/2027 14:30", "Status": "scheduled"}
    type_rows(calc, book, {("Appointments", f"{_letter(headers, h)}2"): v for h, v in row.items()})
    report = operations.sync(practice)
    assert not report.errors, report.errors
    with practice.view() as view:
        (appointment,) = view.records("appointment")
    start = dt.datetime.fromisoformat(appointment["start"])
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2027, 3, 9, 14, 30) or start.astimezone(
        practice.config.timezone
    ).replace(tzinfo=None) == dt.datetime(2027, 3, 9, 14, 30)


def test_the_lock_file_of_an_open_document_holds_the_sync_back(calc, practice: Practice) -> None:
    book = practice.config.root / "clinic.xlsx"
    type_rows(calc, book, {("Patients", "B2"): "Grace", ("Patients", "C2"): "Hopper", ("Patients", "D2"): "12/9/1956"})
    before = members(book)
    doc = calc.open(book)
    try:
        assert (book.parent / ".~lock.clinic.xlsx#").exists()
        with pytest.raises(BackendBusy, match="open in Excel or LibreOffice"):
            operations.sync(practice)
        assert members(book) == before
    finally:
        calc.close(doc)
    assert not (book.parent / ".~lock.clinic.xlsx#").exists()
    assert operations.sync(practice).entities["patient"].created == 1


def _headers(book: Path, tab: str) -> list[str]:
    from python_calamine import CalamineWorkbook

    return [str(h) for h in CalamineWorkbook.from_path(str(book)).get_sheet_by_name(tab).to_python()[0]]


def _letter(headers: list[str], header: str) -> str:
    from clinicops.connectors.xlsx.cells import column_letter

    return column_letter(headers.index(header) + 1)


def test_a_fixed_cell_loses_its_note_and_highlight_after_calc_rewrote_the_notes(calc, practice: Practice) -> None:
    import openpyxl

    from clinicops.connectors.xlsx.styles import ERROR_RGB

    book = practice.config.root / "clinic.xlsx"
    patient = {("Patients", "B2"): "Grace", ("Patients", "C2"): "Hopper", ("Patients", "D2"): "12/9/1956"}
    type_rows(calc, book, {**patient, ("Patients", "G2"): "grace-at-example.org"})
    assert operations.sync(practice).errors
    resave(calc, book)  # Calc writes every note again, under its own author
    assert openpyxl.load_workbook(book)["Patients"]["G2"].comment.author != "clinicops"
    type_rows(calc, book, {("Patients", "G2"): "grace@example.org"})
    report = operations.sync(practice)
    assert not report.errors, report.errors
    cell = openpyxl.load_workbook(book)["Patients"]["G2"]
    assert cell.comment is None
    assert not (cell.fill.fill_type == "solid" and str(cell.fill.fgColor.rgb).upper() == ERROR_RGB)
