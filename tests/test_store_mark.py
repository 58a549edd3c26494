"""Each store marks its backend with its identity, so a new store under a sheet synced before
stops even when nothing else in the sheet shows clinicops's work: the data folder gone with
its backups, the tabs only clinicops fills empty, or no row holding an id yet."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from clinicops.connectors.xlsx import store_mark
from clinicops.connectors.xlsx.package import Package
from clinicops.core import store_identity
from clinicops.core.lost_store import StoreLost

from . import stores
from .conftest import BACKENDS, Clinic, seeded_clinic

MARKED = ("xlsx", "gsheets", "airtable")


def identity(clinic: Clinic) -> str:
    with clinic.practice.store.engine.begin() as conn:
        return store_identity.of(conn)


def lose_the_data_folder(clinic: Clinic) -> None:
    clinic.practice.close()
    shutil.rmtree(clinic.folder / "data")
    stores.forget(clinic.folder)
    clinic.reopen()


@pytest.mark.parametrize("name", MARKED)
def test_a_new_store_under_a_marked_sheet_stops_and_adopting_marks_it_anew(name: str, tmp_path: Path) -> None:
    with BACKENDS[name](tmp_path) as (body, sheet):
        clinic = seeded_clinic(tmp_path, body, sheet)
        clinic.sync()
        first = identity(clinic)
        assert clinic.backend().store_mark() == first
        assert not [r for r in clinic.sheet.rows("Alerts") if any(v for k, v in r.items() if k != "_row")]
        lose_the_data_folder(clinic)
        before = clinic.sheet.rows("Patients")
        with pytest.raises(StoreLost, match=r"the sheet carries the mark of the store that synced it before"):
            clinic.sync()
        assert clinic.sheet.rows("Patients") == before
        assert clinic.records("patient") == []
        clinic.sync(adopt_ids=True)
        assert len(clinic.records("patient")) == 5
        second = identity(clinic)
        assert second != first and clinic.backend().store_mark() == second
        clinic.sync()  # the rebuilt store goes on as the practice's own
        clinic.practice.close()


@pytest.mark.parametrize("name", MARKED)
def test_a_sheet_whose_rows_hold_no_id_yet_is_known_by_its_mark(name: str, tmp_path: Path) -> None:
    with BACKENDS[name](tmp_path) as (body, sheet):
        clinic = seeded_clinic(tmp_path, body, sheet)
        sheet.clear("Patients")
        sheet.clear("Providers")
        clinic.sync()
        lose_the_data_folder(clinic)
        sheet.append("Patients", [{"MRN": "", "First name": "Ada", "Last name": "Byron", "Date of birth": "1/2/1980"}])
        with pytest.raises(StoreLost, match="mark of the store"):
            clinic.sync()
        clinic.practice.close()


def test_the_workbooks_mark_is_a_hidden_defined_name_and_survives_a_sort(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()
    workbook = xlsx_clinic.folder / "clinic.xlsx"
    book = Package(str(workbook)).read("xl/workbook.xml").decode()
    assert f'<definedName name="{store_mark.NAME}" hidden="1">' in book
    assert book.index("</sheets>") < book.index("<definedNames>")
    xlsx_clinic.sheet.sort("Patients", "Last name")
    assert store_mark.read(Package(str(workbook))) == identity(xlsx_clinic)
    xlsx_clinic.sync()
    saved = workbook.read_bytes()
    xlsx_clinic.sync()  # the mark is written once, not on every sync
    assert workbook.read_bytes() == saved


def test_a_sheet_without_a_mark_or_ids_imports_as_a_new_practice(xlsx_clinic: Clinic) -> None:
    report = xlsx_clinic.sync()
    assert report.entities["patient"].created == 5


def test_a_workbook_replaced_by_a_copy_without_the_mark_is_marked_again(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()
    workbook = xlsx_clinic.folder / "clinic.xlsx"
    book = openpyxl.load_workbook(workbook)  # a program that keeps the cells and drops hidden names
    del book.defined_names[store_mark.NAME]
    book.save(workbook)
    assert store_mark.read(Package(str(workbook))) is None
    xlsx_clinic.sync()
    assert store_mark.read(Package(str(workbook))) == identity(xlsx_clinic)
    saved = workbook.read_bytes()
    xlsx_clinic.sync()  # marked again once, not on every sync
    assert workbook.read_bytes() == saved
