"""Workbooks clinicops did not write (tests/data/workbooks, see its README) come out of a sync
with every part it had no reason to touch byte for byte as they were, and in the parts it did
touch, every cell it did not write exactly as it was."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from clinicops.core import operations
from clinicops.core.practice import Practice

from .conftest import write_config
from .workbook_parts import cells, members, sheet_part

CORPUS = Path(__file__).parent / "data" / "workbooks"
EXCEL_MADE = sorted(p.name for p in CORPUS.glob("xlsx2csv-*"))
WORKBOOK_PARTS = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}


def assert_only_the_mark_changed(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    """The corpus files carry the mark of the store that made them: the sync puts this store's in
    its place (the workbook was replaced under the practice's name), and changes nothing else there."""
    mark = re.compile(rb"<definedName [^>]*_clinicops_store[^>]*>[^<]*</definedName>")
    empty = re.compile(rb"<definedNames>\s*</definedNames>|<definedNames/>")

    def without_mark(xml: bytes) -> bytes:
        return empty.sub(b"", mark.sub(b"", xml))

    assert without_mark(before["xl/workbook.xml"]) == without_mark(after["xl/workbook.xml"])


def test_a_calc_workbook_keeps_its_image_chart_notes_formats_and_formulas(tmp_path: Path) -> None:
    practice = operations.init_practice(tmp_path / "clinic", name="Corpus Clinic")
    book = practice.config.root / "clinic.xlsx"
    shutil.copyfile(CORPUS / "libreoffice-clinic.xlsx", book)
    before = members(book)
    patients = sheet_part(book, "Patients")
    patient_cells = cells(book, "Patients")
    inventory_cells = cells(book, "Inventory")
    report = operations.sync(practice)
    practice.close()
    assert report.wrote and not report.errors, report.errors
    after = members(book)
    assert set(before) <= set(after)
    changed = {name for name in before if before[name] != after[name]}
    alerts = sheet_part(book, "Alerts")
    inventory = sheet_part(book, "Inventory")
    assert changed <= {patients, alerts, inventory, "xl/styles.xml", "xl/workbook.xml"}, changed
    assert_only_the_mark_changed(before, after)
    now_inventory = cells(book, "Inventory")
    added = [now_inventory[ref] for ref in sorted(now_inventory.keys() - inventory_cells.keys())]
    assert all(b"<s:t>Opened</s:t>" in c or b"<s:t>Days after opening</s:t>" in c for c in added), added  # new headers
    assert all(now_inventory[ref] == value for ref, value in inventory_cells.items())
    assert {"xl/media/image1.png", "xl/charts/chart1.xml", "xl/drawings/drawing1.xml"} <= set(before) - changed
    now = cells(book, "Patients")
    written = {ref for ref in patient_cells.keys() | now.keys() if now.get(ref) != patient_cells.get(ref)}
    assert written == {"A4"}, written  # the new patient's id, and nothing else
    reopened = Practice.open(practice.config.root)
    second = operations.sync(reopened)
    reopened.close()
    assert second.total_changes == 0 and not second.errors


@pytest.mark.parametrize("name", EXCEL_MADE)
def test_an_excel_workbook_gains_a_tab_and_loses_nothing(tmp_path: Path, name: str) -> None:
    write_config(tmp_path, entities=["patient"], plugins=[])
    book = tmp_path / "clinic.xlsx"
    shutil.copyfile(CORPUS / name, book)
    before = members(book)
    practice = Practice.open(tmp_path)
    report = operations.sync(practice)
    practice.close()
    assert report.wrote
    after = members(book)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed <= WORKBOOK_PARTS, changed
    patients = sheet_part(book, "Patients")
    assert patients not in before
    assert [c.decode() for c in cells(book, "Patients").values()]  # the new tab has its header


def test_a_calc_workbook_keeps_its_pivot_table_and_pivot_cache(tmp_path: Path) -> None:
    practice = operations.init_practice(tmp_path / "clinic", name="Pivot Clinic")
    book = practice.config.root / "clinic.xlsx"
    shutil.copyfile(CORPUS / "libreoffice-pivot.xlsx", book)
    before = members(book)
    pivot_parts = {n for n in before if n.startswith(("xl/pivotTables/", "xl/pivotCache/"))}
    assert {"xl/pivotTables/pivotTable1.xml", "xl/pivotCache/pivotCacheDefinition1.xml"} <= pivot_parts
    summary = sheet_part(book, "Patients by city")
    patient_cells = cells(book, "Patients")
    report = operations.sync(practice)
    practice.close()
    assert report.wrote and not report.errors, report.errors
    after = members(book)
    assert set(before) <= set(after)
    changed = {name for name in before if before[name] != after[name]}
    # The workbook predates the Inventory tab's Opened columns, which the sync lays out.
    allowed = {sheet_part(book, "Patients"), sheet_part(book, "Alerts"), sheet_part(book, "Inventory"), "xl/styles.xml"}
    assert changed <= allowed | {"xl/workbook.xml"}, changed
    assert not (pivot_parts | {summary}) & changed
    assert_only_the_mark_changed(before, after)
    now = cells(book, "Patients")
    written = {ref for ref in patient_cells.keys() | now.keys() if now.get(ref) != patient_cells.get(ref)}
    assert written == {"A5"}, written  # the new patient's id, and nothing else
