"""Which sheet row is which record: edited ids, copies, held-back rows, vanished tabs, deletes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from clinicops.core import operations
from clinicops.core.sync import DeleteGuardTripped

from .conftest import Clinic
from .test_sync_engine import by_id, row_of


def test_an_edited_id_on_a_row_with_a_bad_cell_deletes_nothing(clinic: Clinic) -> None:
    clinic.sync()
    row = row_of(clinic, "Patients", "MRN", "P000002")
    clinic.sheet.edit("Patients", row, "MRN", "P999999")
    clinic.sheet.edit("Patients", row, "Email", "not-an-email")
    report = clinic.sync()
    assert report.entities["patient"].deleted == 0
    assert clinic.record("patient", "P000002")["last_name"] == "Turing"
    kinds = {e.kind for e in report.entities["patient"].errors}
    assert "unknown-id" in kinds


def test_the_guard_never_allows_a_share_above_the_limit(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.delete_row("Patients", row_of(clinic, "Patients", "MRN", "P000003"))
    assert clinic.sync().entities["patient"].deleted == 1  # 1 of 5: exactly the 20% limit
    clinic.sheet.delete_row("Patients", row_of(clinic, "Patients", "MRN", "P000004"))
    with pytest.raises(DeleteGuardTripped, match="would delete 1 of 4 rows"):  # 25%
        clinic.sync()
    assert clinic.record("patient", "P000004") is not None


def test_a_tab_that_vanished_is_never_a_delete_even_when_deletes_are_allowed(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    book = openpyxl.load_workbook(clinic.folder / "clinic.xlsx")
    book["Patients"].title = "Patient list"
    book.save(clinic.folder / "clinic.xlsx")
    report = clinic.sync(allow_delete=True)
    assert report.entities["patient"].deleted == 0
    assert len(clinic.records("patient")) == 5
    assert any("'Patients' is missing or was renamed" in n for n in report.entities["patient"].notes)
    names = openpyxl.load_workbook(clinic.folder / "clinic.xlsx").sheetnames
    assert "Patients" not in names  # not recreated beside the renamed one
    book = openpyxl.load_workbook(clinic.folder / "clinic.xlsx")
    book["Patient list"].title = "Patients"
    book.save(clinic.folder / "clinic.xlsx")
    assert clinic.sync().total_changes == 0


def test_copy_a_row_then_edit_the_original_flags_the_copy(clinic: Clinic) -> None:
    clinic.sync()
    grace = by_id(clinic.sheet.rows("Patients"))["P000001"]
    copy = {k: v for k, v in grace.items() if not k.startswith("_") and k != "Errors"}
    clinic.sheet.append("Patients", [copy])
    clinic.sheet.edit("Patients", grace["_row"], "City", "Arlington")
    report = clinic.sync()
    [err] = report.entities["patient"].errors
    assert err.kind == "duplicate-id"
    assert err.row != grace["_row"]
    assert clinic.record("patient", "P000001")["city"] == "Arlington"


def test_a_row_held_back_on_its_first_sync_imports_under_its_own_id_once_fixed(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Patients",
        [{"MRN": "P000050", "First name": "Ida", "Last name": "Rhodes", "Date of birth": "5/15/1960", "ZIP": "0213"}],
    )
    report = clinic.sync()
    assert [e.column for e in report.errors] == ["ZIP"]
    ida = row_of(clinic, "Patients", "First name", "Ida")
    clinic.sheet.edit("Patients", ida, "ZIP", "02139")
    report = clinic.sync()
    assert report.errors == []
    assert clinic.record("patient", "P000050")["last_name"] == "Rhodes"
    assert by_id(clinic.sheet.rows("Patients"))["P000050"]["First name"] == "Ida"


def test_deletes_keep_working_while_a_row_of_the_tab_is_in_error(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Patients",
        [{"MRN": "P000050", "First name": "Ida", "Last name": "Rhodes", "Date of birth": "5/15/1960", "ZIP": "0213"}],
    )
    clinic.sync()
    clinic.sheet.delete_row("Patients", row_of(clinic, "Patients", "MRN", "P000003"))
    report = clinic.sync()
    assert report.entities["patient"].deleted == 1
    assert clinic.record("patient", "P000003") is None


def test_the_readme_walkthrough_fixing_the_bad_email_leaves_no_error_on_that_row(tmp_path: Path) -> None:
    practice = operations.create_demo(tmp_path / "demo", today=dt.date(2026, 11, 23))
    try:
        first = operations.sync(practice)
        [bad] = [e for e in first.errors if e.column == "Email"]
        book = openpyxl.load_workbook(tmp_path / "demo" / "clinic.xlsx")
        ws = book["Patients"]
        email_col = next(c.column for c in ws[1] if c.value == "Email")
        ws.cell(bad.row, email_col).value = "fixed@example.org"
        book.save(tmp_path / "demo" / "clinic.xlsx")
        again = operations.sync(practice)
        assert [e for e in again.errors if e.sheet == "Patients" and e.row == bad.row] == []
        mrn = ws.cell(bad.row, 1).value
        with practice.view() as view:
            assert view.get("patient", mrn)["email"] == "fixed@example.org"
    finally:
        practice.close()


class Killed(Exception):
    """Stands for a kill between the store's commit and the write to the backend."""


def crash_after_commit(clinic: Clinic, then: Callable[[], None] = lambda: None) -> None:
    from clinicops.core.backend_registry import open_backend
    from clinicops.core.sync import SyncEngine

    def crash() -> None:
        then()
        raise Killed

    with pytest.raises(Killed):
        SyncEngine(clinic.practice, open_backend(clinic.practice.config), fail_after_store_commit=crash).run()


def patients_by_name(clinic: Clinic) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in clinic.records("patient"):
        out.setdefault(p["last_name"], []).append(p["id"])
    return out


def test_a_new_row_edited_after_an_unfinished_sync_keeps_its_reserved_id(clinic: Clinic) -> None:
    crash_after_commit(clinic)
    dijkstra = row_of(clinic, "Patients", "Last name", "Dijkstra")
    clinic.sheet.edit("Patients", dijkstra, "City", "Nuenen")
    clinic.sheet.sort("Patients", "Last name", reverse=True)
    report = clinic.sync()
    assert report.errors == []
    names = patients_by_name(clinic)
    assert all(len(ids) == 1 for ids in names.values()), names
    assert len(clinic.records("patient")) == 5
    assert clinic.record("patient", names["Dijkstra"][0])["city"] == "Nuenen"
    sheet_ids = [r["MRN"] for r in clinic.sheet.rows("Patients")]
    assert sorted(sheet_ids) == sorted(r["id"] for r in clinic.records("patient"))
    assert clinic.sync().total_changes == 0


def test_a_new_row_removed_after_an_unfinished_sync_is_not_brought_back(clinic: Clinic) -> None:
    crash_after_commit(clinic)
    clinic.sheet.delete_row("Patients", row_of(clinic, "Patients", "Last name", "Liskov"))
    report = clinic.sync(allow_delete=True)
    assert "Liskov" not in patients_by_name(clinic)
    assert "Liskov" not in {r["Last name"] for r in clinic.sheet.rows("Patients")}
    assert report.entities["patient"].deleted == 1


def test_a_save_by_staff_during_the_sync_duplicates_nothing(xlsx_clinic: Clinic) -> None:
    from clinicops.connectors.base import BackendBusy
    from clinicops.core.backend_registry import open_backend
    from clinicops.core.sync import SyncEngine

    clinic = xlsx_clinic

    def staff_save() -> None:
        clinic.sheet.edit("Patients", row_of(clinic, "Patients", "Last name", "Liskov"), "City", "Boston")

    with pytest.raises(BackendBusy, match="changed while syncing"):
        SyncEngine(clinic.practice, open_backend(clinic.practice.config), fail_after_store_commit=staff_save).run()
    clinic.sync()
    names = patients_by_name(clinic)
    assert all(len(ids) == 1 for ids in names.values()), names
    assert clinic.record("patient", names["Liskov"][0])["city"] == "Boston"
    assert len(clinic.sheet.rows("Patients")) == 5


def test_a_cell_cleared_after_a_sync_that_wrote_but_did_not_finish_is_cleared_in_the_store(clinic: Clinic) -> None:
    from clinicops.core.backend_registry import open_backend
    from clinicops.core.sync import SyncEngine

    from .sync_model import Crash, CrashingBackend

    clinic.sheet.append("Patients", [{"First name": "Ada", "Last name": "Byron", "Date of birth": "12/10/1815"}])
    clinic.sheet.edit("Patients", row_of(clinic, "Patients", "Last name", "Byron"), "Email", "ada@example.org")
    backend = CrashingBackend(open_backend(clinic.practice.config), "after-write")
    with pytest.raises(Crash):
        SyncEngine(clinic.practice, backend).run()
    clinic.sheet.edit("Patients", row_of(clinic, "Patients", "Last name", "Byron"), "Email", None)
    assert clinic.sync().errors == []
    [ada] = patients_by_name(clinic)["Byron"]
    assert "email" not in clinic.record("patient", ada)


def test_a_held_row_created_by_an_unfinished_sync_and_then_deleted_is_not_brought_back(clinic: Clinic) -> None:
    from clinicops.core.backend_registry import open_backend
    from clinicops.core.sync import SyncEngine

    from .sync_model import Crash, CrashingBackend

    clinic.sync()
    clinic.sheet.append("Patients", [{"First name": "Ada", "Last name": "Byron", "Date of birth": "12/10/1815"}])
    with pytest.raises(Crash):
        SyncEngine(clinic.practice, CrashingBackend(open_backend(clinic.practice.config), "after-write")).run()
    byron = row_of(clinic, "Patients", "Last name", "Byron")
    clinic.sheet.edit("Patients", byron, "Email", "not-an-email")
    assert len(clinic.sync().errors) == 1
    clinic.sheet.delete_row("Patients", row_of(clinic, "Patients", "Last name", "Byron"))
    clinic.sync(allow_delete=True)
    assert "Byron" not in {r["Last name"] for r in clinic.sheet.rows("Patients")}
    assert "Byron" not in patients_by_name(clinic)


@pytest.mark.parametrize("edited, to", [("P000002", "P000001"), ("P000001", "P000002")])
def test_an_id_typed_over_with_another_records_id_deletes_nothing(clinic: Clinic, edited: str, to: str) -> None:
    clinic.sync()
    before = {rid: clinic.record("patient", rid) for rid in ("P000001", "P000002")}
    row = row_of(clinic, "Patients", "MRN", edited)
    clinic.sheet.edit("Patients", row, "MRN", to)
    report = clinic.sync(allow_delete=True)  # even where deletes need no confirmation
    assert report.entities["patient"].deleted == 0
    assert {rid: clinic.record("patient", rid) for rid in before} == before
    [err] = report.entities["patient"].errors
    assert err.kind == "duplicate-id" and err.row == row  # the row whose id changed is the copy
    clinic.sheet.edit("Patients", row, "MRN", edited)  # the id typed back: nothing was lost
    again = clinic.sync(allow_delete=True)
    assert again.entities["patient"].errors == [] and again.entities["patient"].deleted == 0
    assert {rid: clinic.record("patient", rid) for rid in before} == before


@pytest.mark.parametrize("edited, to", [("P000002", "P000001"), ("P000001", "P000002")])
def test_an_id_typed_over_with_another_records_id_and_another_cell_edited_deletes_nothing(
    clinic: Clinic, edited: str, to: str
) -> None:
    clinic.sync()
    before = {rid: clinic.record("patient", rid) for rid in ("P000001", "P000002")}
    row = row_of(clinic, "Patients", "MRN", edited)
    clinic.sheet.edit("Patients", row, "MRN", to)
    clinic.sheet.edit("Patients", row, "City", "Rivertown")  # the same row, a second change
    report = clinic.sync(allow_delete=True)
    assert report.entities["patient"].deleted == 0
    assert {rid: clinic.record("patient", rid) for rid in before} == before
    assert [e.kind for e in report.entities["patient"].errors] == ["duplicate-id"]
    assert any("repeats another row's id" in n for n in report.entities["patient"].notes)
    clinic.sheet.edit("Patients", row, "MRN", edited)  # the id typed back: the edit arrives, nothing lost
    again = clinic.sync(allow_delete=True)
    assert again.entities["patient"].errors == [] and again.entities["patient"].deleted == 0
    assert clinic.record("patient", edited)["city"] == "Rivertown"
    assert clinic.record("patient", to) == before[to]


def test_a_copied_row_does_not_hold_back_the_delete_of_another_row(clinic: Clinic) -> None:
    clinic.sync()
    grace = next(r for r in clinic.sheet.rows("Patients") if r["Last name"] == "Hopper")
    copy = {k: v for k, v in grace.items() if not k.startswith("_") and k != "Errors"}
    clinic.sheet.append("Patients", [{**copy, "City": "Arlington"}])  # copied, then edited for someone else
    turing = next(r for r in clinic.sheet.rows("Patients") if r["Last name"] == "Turing")
    clinic.sheet.delete_row("Patients", turing["_row"])
    report = clinic.sync(allow_delete=True)
    assert report.entities["patient"].ids["deleted"] == [turing["MRN"]]
    assert [e.kind for e in report.entities["patient"].errors] == ["duplicate-id"]
    assert report.entities["patient"].notes == []


def test_a_copied_row_sorted_with_the_tab_before_a_sync_splits_nothing(clinic: Clinic) -> None:
    clinic.sync()
    before = {r["id"]: r for r in clinic.records("patient")}
    turing = by_id(clinic.sheet.rows("Patients"))["P000002"]
    clinic.sheet.append("Patients", [{k: v for k, v in turing.items() if not k.startswith("_") and k != "Errors"}])
    clinic.sheet.sort("Patients", "Last name", reverse=True)
    report = clinic.sync(allow_delete=True)
    [err] = report.entities["patient"].errors
    assert err.kind == "duplicate-id"
    assert report.entities["patient"].deleted == 0 and report.entities["patient"].created == 0
    assert {r["id"]: r for r in clinic.records("patient")} == before
    clinic.sheet.delete_row("Patients", err.row)  # the advice followed: the copy removed
    again = clinic.sync(allow_delete=True)
    assert again.entities["patient"].errors == [] and again.entities["patient"].deleted == 0
    assert {r["id"]: r for r in clinic.records("patient")} == before


def test_a_copy_edited_for_a_new_patient_then_sorted_above_its_original_leaves_the_original_its_id(
    clinic: Clinic,
) -> None:
    """The copy lands at the top and the original below the tab's old last row: content decides."""
    clinic.sync()
    before = {r["id"]: r for r in clinic.records("patient")}
    turing = by_id(clinic.sheet.rows("Patients"))["P000002"]
    copy = {k: v for k, v in turing.items() if not k.startswith("_") and k != "Errors"}
    clinic.sheet.append("Patients", [{**copy, "First name": "Ann", "Last name": "Abbott"}])
    clinic.sheet.sort("Patients", "Last name")
    rows = clinic.sheet.rows("Patients")
    assert rows[0]["Last name"] == "Abbott" and rows[-1]["Last name"] == "Turing"
    report = clinic.sync(allow_delete=True)
    [err] = report.entities["patient"].errors
    assert err.kind == "duplicate-id" and err.row == rows[0]["_row"]  # the new patient's row is the copy
    assert report.entities["patient"].deleted == 0
    assert {r["id"]: r for r in clinic.records("patient")} == before
    clinic.sheet.edit("Patients", rows[0]["_row"], "MRN", "")  # the advice followed: a blank id
    again = clinic.sync(allow_delete=True)
    assert again.entities["patient"].created == 1 and again.entities["patient"].errors == []
    after = {r["id"]: r for r in clinic.records("patient")}
    assert after["P000002"] == before["P000002"]
    names = sorted(r["last_name"] for r in after.values())
    assert names == sorted([*(r["last_name"] for r in before.values()), "Abbott"])
