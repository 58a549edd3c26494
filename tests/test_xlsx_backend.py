"""What only the local workbook has: Excel's lock file, backups, the look of a tab."""

from __future__ import annotations

import os
import stat

import openpyxl
import pytest

from clinicops.connectors.base import BackendBusy
from clinicops.connectors.xlsx import WorkbookMissing
from clinicops.connectors.xlsx.notes import is_ours
from clinicops.connectors.xlsx.styles import PLUGIN_RGB
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
    alerts = book["Alerts"]
    alert_headers = [c.value for c in alerts[1]]
    severity = alerts.cell(1, alert_headers.index("Severity") + 1)  # filled in by clinicops, not by staff
    assert severity.fill.fgColor.rgb == PLUGIN_RGB
    assert is_ours(severity.comment.text)
    warned = [dv for dv in alerts.data_validations.dataValidation if dv.type == "custom"]
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


def test_a_damaged_workbook_is_one_clear_error(xlsx_clinic: Clinic) -> None:
    from click.testing import CliRunner

    from clinicops.core.cli import cli

    (xlsx_clinic.folder / "clinic.xlsx").write_bytes(b"this is not a workbook")
    result = CliRunner().invoke(cli, ["sync", "-p", str(xlsx_clinic.folder)])
    assert result.exit_code == 1
    assert "Cannot read clinic.xlsx" in result.output and "Traceback" not in result.output
    assert "restore the last backup from" in result.output  # and how to get the workbook back


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


def test_a_staff_note_on_a_bad_cell_is_kept_and_clinicops_text_comes_and_goes_below_it(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    book_path = clinic.folder / "clinic.xlsx"
    grace = next(r["_row"] for r in clinic.sheet.rows("Patients") if r["First name"] == "Grace")
    book = openpyxl.load_workbook(book_path)
    ws = book["Patients"]
    email = next(c.column for c in ws[1] if c.value == "Email")
    ws.cell(grace, email).comment = openpyxl.comments.Comment("Call before 9", "Dana")
    ws.cell(grace, email).value = "grace-at-example.org"
    book.save(book_path)
    clinic.sync()
    note = openpyxl.load_workbook(book_path)["Patients"].cell(grace, email).comment
    assert note.text.startswith("Call before 9\n") and is_ours(note.text)
    assert "@-sign" in (clinic.sheet.note("Patients", grace, "Email") or "")
    assert clinic.sheet.highlighted("Patients", grace, "Email")
    clinic.sheet.edit("Patients", grace, "Email", "grace@example.org")
    clinic.sync()
    cell = openpyxl.load_workbook(book_path)["Patients"].cell(grace, email)
    assert cell.comment.text == "Call before 9" and cell.comment.author == "Dana"
    assert not clinic.sheet.highlighted("Patients", grace, "Email")


def test_a_write_back_keeps_the_workbooks_permissions_owner_and_group(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    book = clinic.folder / "clinic.xlsx"
    os.chmod(book, 0o664)
    owner = (4242, 4343) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(book, *owner)
    assert clinic.sync().wrote
    after = book.stat()
    assert stat.S_IMODE(after.st_mode) == 0o664
    assert (after.st_uid, after.st_gid) == owner


def test_a_new_workbook_gets_the_usual_permissions_not_a_temporary_files(tmp_path) -> None:
    operations.init_practice(tmp_path / "new", name="New Clinic").close()
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new" / "clinic.xlsx").stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("allow_delete", [False, True])
def test_a_missing_workbook_is_named_with_the_way_back_and_deletes_nothing(xlsx_clinic: Clinic, allow_delete) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    clinic.sheet.append("Patients", [{"First name": "Ida", "Last name": "Rhodes", "Date of birth": "5/15/1900"}])
    clinic.sync()
    (clinic.folder / "clinic.xlsx").unlink()
    with pytest.raises(WorkbookMissing, match=r"clinic\.xlsx is missing") as caught:
        clinic.sync(allow_delete=allow_delete)
    assert "init --rebuild" in str(caught.value) and "clinic-" in str(caught.value)  # names the newest backup
    assert len(clinic.records("patient")) == 6
    assert not (clinic.folder / "clinic.xlsx").exists()


def test_a_never_synced_practice_does_not_silently_get_a_new_workbook(tmp_path) -> None:
    from click.testing import CliRunner

    from clinicops.core.cli import cli

    operations.init_practice(tmp_path / "new", name="New Clinic").close()
    (tmp_path / "new" / "clinic.xlsx").unlink()
    result = CliRunner().invoke(cli, ["sync", "-p", str(tmp_path / "new")])
    assert result.exit_code == 1 and "is missing" in result.output and "init --rebuild" in result.output
    assert not (tmp_path / "new" / "clinic.xlsx").exists()


def test_init_rebuild_writes_a_lost_workbook_afresh_from_the_store(xlsx_clinic: Clinic) -> None:
    from click.testing import CliRunner

    from clinicops.core.cli import cli

    clinic = xlsx_clinic
    clinic.sync()
    (clinic.folder / "clinic.xlsx").unlink()
    result = CliRunner().invoke(cli, ["init", "--rebuild", str(clinic.folder)])
    assert result.exit_code == 0, result.output
    assert sorted(r["MRN"] for r in clinic.sheet.rows("Patients")) == [f"P00000{i}" for i in range(1, 6)]
    report = clinic.sync()
    assert report.total_changes == 0 and not report.errors
    assert len(clinic.records("patient")) == 5


def _column_format(ws, header: str) -> str:
    letter = openpyxl.utils.get_column_letter([c.value for c in ws[1]].index(header) + 1)
    return ws.column_dimensions[letter].number_format


def test_identifier_columns_are_laid_out_as_text(tmp_path) -> None:
    operations.init_practice(tmp_path / "new", name="New Clinic").close()
    book = openpyxl.load_workbook(tmp_path / "new" / "clinic.xlsx")
    for tab, header in [("Patients", "ZIP"), ("Patients", "Member ID"), ("Patients", "MRN"), ("Providers", "NPI")]:
        assert _column_format(book[tab], header) == "@", (tab, header)
    assert _column_format(book["Providers"], "License number") == "@"
    assert _column_format(book["Patients"], "First name") == "General"


def test_a_workbook_laid_out_before_gets_text_identifier_columns_on_its_next_write(tmp_path) -> None:
    from .conftest import write_config

    write_config(tmp_path, entities=["patient"], plugins=[])
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Patients"
    ws.append(["MRN", "First name", "Last name", "Date of birth", "ZIP", "Member ID", "Errors"])
    ws.append([None, "Grace", "Hopper", "12/9/1956", "02134", "0012345678"])
    book.save(tmp_path / "clinic.xlsx")
    from clinicops.core.practice import Practice

    practice = Practice.open(tmp_path)
    assert operations.sync(practice).wrote
    practice.close()
    ws = openpyxl.load_workbook(tmp_path / "clinic.xlsx")["Patients"]
    assert _column_format(ws, "ZIP") == "@" and _column_format(ws, "Member ID") == "@"
    assert _column_format(ws, "MRN") == "@" and ws["A2"].number_format == "@"


def test_a_zip_code_that_arrived_as_a_number_gets_its_leading_zero_back(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sheet.append(
        "Patients", [{"First name": "Ida", "Last name": "Rhodes", "Date of birth": "5/15/1900", "ZIP": 2134}]
    )
    report = clinic.sync()
    assert not report.errors, report.errors
    ida = next(p for p in clinic.records("patient") if p["first_name"] == "Ida")
    assert ida["zip"] == "02134"


def test_an_identifier_that_arrived_as_a_number_is_reported_with_the_value_and_how_to_type_it(
    xlsx_clinic: Clinic,
) -> None:
    clinic = xlsx_clinic
    row = {"First name": "Ida", "Last name": "Rhodes", "Date of birth": "5/15/1900", "Member ID": 12345678}
    clinic.sheet.append("Patients", [row])
    report = clinic.sync()
    (problem,) = report.errors
    assert problem.column == "Member ID"
    assert "12345678 arrived as a number" in problem.problem
    assert "'0012345678" in problem.expected and "Text" in problem.expected
    assert not any(p["first_name"] == "Ida" for p in clinic.records("patient"))
