"""What only the local workbook has: Excel's lock file, backups, the look of a tab."""

from __future__ import annotations

import openpyxl
import pytest

from clinicops.connectors.base import BackendBusy
from clinicops.connectors.xlsx_layout import AUTHOR, PLUGIN_FILL
from clinicops.core import operations

from .conftest import Clinic


@pytest.mark.parametrize("lock_name", ["~$clinic.xlsx", ".~lock.clinic.xlsx#"])
def test_lock_file_blocks_the_write_and_loses_nothing(xlsx_clinic: Clinic, lock_name: str) -> None:
    clinic = xlsx_clinic
    lock = clinic.folder / lock_name
    lock.write_text("held by Excel")
    before = clinic.sheet.fingerprint()
    with pytest.raises(BackendBusy, match="open in Excel or LibreOffice"):
        clinic.sync()
    assert clinic.sheet.fingerprint() == before
    assert clinic.records("patient") == []
    lock.unlink()
    assert clinic.sync().entities["patient"].created == 5


def test_every_write_keeps_a_timestamped_backup_and_only_the_last_n(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    backups = clinic.practice.config.data_dir / "backups"
    clinic.sync()
    assert len(list(backups.glob("clinic-*.xlsx"))) == 1
    for i in range(12):
        clinic.sheet.append("Patients", [{"First name": f"N{i}", "Last name": "New", "Date of birth": "1/1/2000"}])
        clinic.sync()
    assert len(list(backups.glob("clinic-*.xlsx"))) == clinic.practice.config.backups == 10


def test_init_lays_out_every_tab_with_frozen_headers_dropdowns_and_marked_plugin_columns(tmp_path) -> None:
    practice = operations.init_practice(tmp_path / "new", name="New Clinic")
    book = openpyxl.load_workbook(tmp_path / "new" / "clinic.xlsx")
    titles = [e.title for e in practice.entities()]
    assert book.sheetnames == titles
    ws = book["Appointments"]
    assert ws.freeze_panes == "A2"
    headers = [c.value for c in ws[1]]
    assert headers[-1] == "Errors"
    status_col = openpyxl.utils.get_column_letter(headers.index("Status") + 1)
    dropdowns = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(status_col in str(dv.sqref) and "no-show" in dv.formula1 for dv in dropdowns)
    reminder = ws.cell(1, headers.index("Reminder sent") + 1)
    assert reminder.fill == PLUGIN_FILL
    assert reminder.comment.author == AUTHOR
    warned = [dv for dv in ws.data_validations.dataValidation if dv.type == "custom"]
    assert warned and warned[0].errorStyle == "warning"


def test_formula_text_is_saved_as_a_string_cell_not_a_formula(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    typed = '=HYPERLINK("http://example.com","x")'
    clinic.sheet.append("Patients", [{"Last name": typed, "First name": "Mallory", "Date of birth": "1/1/1990"}])
    clinic.sync()
    with clinic.practice.view() as view:
        mallory = next(p for p in view.records("patient") if p["first_name"] == "Mallory")
        view.save("patient", {**mallory, "address": "=1+1"}, plugin="test")
    clinic.sync()
    ws = openpyxl.load_workbook(clinic.folder / "clinic.xlsx")["Patients"]
    cells = [c for row in ws.iter_rows() for c in row if c.value in (typed, "=1+1")]
    assert len(cells) == 2
    assert all(c.data_type == "s" for c in cells)


def test_staff_columns_and_formatting_outside_the_schema_survive(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    book = openpyxl.load_workbook(clinic.folder / "clinic.xlsx")
    ws = book["Patients"]
    extra = ws.max_column + 1
    ws.cell(1, extra, "Front desk notes")
    ws.cell(2, extra, "prefers mornings")
    book.save(clinic.folder / "clinic.xlsx")
    clinic.sync()
    ws = openpyxl.load_workbook(clinic.folder / "clinic.xlsx")["Patients"]
    assert ws.cell(1, extra).value == "Front desk notes"
    assert ws.cell(2, extra).value == "prefers mornings"
    assert ws.cell(5, 1).value == "P000004"


def test_renamed_tab_stops_the_sync_instead_of_deleting_everything(xlsx_clinic: Clinic) -> None:
    from clinicops.core.sync import DeleteGuardTripped

    clinic = xlsx_clinic
    clinic.sync()
    book = openpyxl.load_workbook(clinic.folder / "clinic.xlsx")
    book["Patients"].title = "Patient list"
    book.save(clinic.folder / "clinic.xlsx")
    with pytest.raises(DeleteGuardTripped, match="the tab 'Patients' is missing or was renamed"):
        clinic.sync()
    assert len(clinic.records("patient")) == 5


def test_a_damaged_workbook_is_one_clear_error(xlsx_clinic: Clinic) -> None:
    from click.testing import CliRunner

    from clinicops.core.cli import cli

    (xlsx_clinic.folder / "clinic.xlsx").write_bytes(b"this is not a workbook")
    result = CliRunner().invoke(cli, ["sync", "-p", str(xlsx_clinic.folder)])
    assert result.exit_code == 1
    assert "Cannot read clinic.xlsx" in result.output and "Traceback" not in result.output


def test_moving_the_practice_folder_keeps_its_sync_history(xlsx_clinic: Clinic, tmp_path) -> None:
    import shutil

    from .conftest import Clinic as Opened
    from .sheet_drivers import XlsxDriver

    xlsx_clinic.sync()
    xlsx_clinic.practice.close()
    moved = tmp_path / "moved"
    shutil.copytree(xlsx_clinic.folder, moved, ignore=shutil.ignore_patterns("moved"))
    clinic = Opened(moved, XlsxDriver(moved / "clinic.xlsx"))
    report = clinic.sync()
    assert report.total_changes == 0 and not report.wrote
