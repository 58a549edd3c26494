"""Columns are known by meaning: a renamed, deleted or moved column never loses a value."""

from __future__ import annotations

import tomllib

from .conftest import Clinic

EMAILS = {"P000001": "grace@example.org", "P000002": "alan@example.org"}


def row_of(clinic: Clinic, mrn: str) -> int:
    return next(r["_row"] for r in clinic.sheet.rows("Patients") if r.get("MRN") == mrn)


def headers(clinic: Clinic) -> set[str]:
    return {h for r in clinic.sheet.rows("Patients") for h in r if h != "_row"}


def emails(clinic: Clinic) -> dict[str, str | None]:
    return {r["id"]: r.get("email") for r in clinic.records("patient")}


def column_map(clinic: Clinic) -> dict:
    return tomllib.loads((clinic.folder / "columns.toml").read_text())


def test_first_sync_records_each_field_binding(clinic: Clinic) -> None:
    clinic.sync()
    patient = column_map(clinic)["patient"]
    assert patient["tab"] == "Patients"
    assert patient["columns"]["email"] == "Email"
    assert patient["columns"]["date_of_birth"] == "Date of birth"


def test_header_renamed_to_an_alias_is_bound_and_its_edits_sync(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.rename_header("Patients", "Email", "E-mail")
    clinic.sheet.rename_header("Patients", "Date of birth", "DOB")
    clinic.sheet.edit("Patients", row_of(clinic, "P000001"), "E-mail", "grace.h@example.org")
    report = clinic.sync()
    assert report.errors == []
    assert clinic.record("patient", "P000001")["email"] == "grace.h@example.org"
    assert clinic.record("patient", "P000002")["email"] == "alan@example.org"
    assert clinic.record("patient", "P000001")["date_of_birth"] == "1956-12-09"
    assert "Email" not in headers(clinic) and "Date of birth" not in headers(clinic)
    columns = column_map(clinic)["patient"]["columns"]
    assert columns["email"] == "E-mail" and columns["date_of_birth"] == "DOB"
    before = clinic.sheet.fingerprint()
    assert clinic.sync().total_changes == 0
    assert clinic.sheet.fingerprint() == before


def test_header_renamed_to_something_unknown_loses_nothing_and_names_the_column(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.rename_header("Patients", "Email", "Contact")
    clinic.sheet.rename_header("Patients", "Date of birth", "Born on")
    clinic.sheet.edit("Patients", row_of(clinic, "P000002"), "Phone", "617 555 0199")
    for _ in range(2):
        report = clinic.sync()
        lost = {e.column: e for e in report.errors if e.kind == "missing-column"}
        assert set(lost) == {"Email", "Date of birth"}
        assert "'Patients'" in lost["Email"].problem and "'Contact'" in lost["Email"].problem
        assert report.entities["patient"].errors == list(lost.values())  # no row is held back
    assert {k: v for k, v in emails(clinic).items() if v} == EMAILS
    assert clinic.record("patient", "P000001")["date_of_birth"] == "1956-12-09"
    assert clinic.record("patient", "P000002")["phone"] == "+16175550199"
    assert "Email" not in headers(clinic) and "Date of birth" not in headers(clinic)


def test_new_row_waits_while_a_required_column_is_gone(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.rename_header("Patients", "Date of birth", "Born on")
    clinic.sheet.append("Patients", [{"First name": "Ada", "Last name": "Byron", "Born on": "12/10/1815"}])
    report = clinic.sync()
    waiting = [e for e in report.errors if e.row > 1]
    assert [e.column for e in waiting] == ["Date of birth"]
    assert "'Date of birth' is gone" in waiting[0].problem
    assert len(clinic.records("patient")) == 5
    clinic.sheet.rename_header("Patients", "Born on", "Date of birth")
    report = clinic.sync()
    assert report.errors == []
    assert report.entities["patient"].created == 1


def test_deleted_column_leaves_its_field_untouched_and_appends_nothing(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.delete_column("Patients", "Email")
    clinic.sheet.edit("Patients", row_of(clinic, "P000003"), "Phone", "617 555 0177")
    report = clinic.sync()
    lost = [e for e in report.errors if e.kind == "missing-column"]
    assert [(e.sheet, e.column) for e in lost] == [("Patients", "Email")]
    assert clinic.record("patient", "P000003")["phone"] == "+16175550177"
    clinic.sync()
    assert {k: v for k, v in emails(clinic).items() if v} == EMAILS
    assert "Email" not in headers(clinic)


def test_moved_column_is_still_its_field(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.move_column_first("Patients", "Email")
    clinic.sheet.edit("Patients", row_of(clinic, "P000002"), "Email", "alan.t@example.org")
    report = clinic.sync()
    assert report.errors == []
    assert report.entities["patient"].updated == 1
    assert clinic.record("patient", "P000002")["email"] == "alan.t@example.org"
    assert clinic.record("patient", "P000001")["email"] == "grace@example.org"
    before = clinic.sheet.fingerprint()
    assert clinic.sync().total_changes == 0
    assert clinic.sheet.fingerprint() == before


def test_new_staff_column_is_left_alone(clinic: Clinic) -> None:
    clinic.sync()
    row = row_of(clinic, "P000001")
    clinic.sheet.add_column("Patients", "Front desk notes", {row: "prefers mornings"})
    before = clinic.sheet.fingerprint()
    report = clinic.sync()
    assert report.errors == [] and report.total_changes == 0
    assert clinic.sheet.fingerprint() == before
    notes = {r["MRN"]: r.get("Front desk notes") for r in clinic.sheet.rows("Patients")}
    assert notes["P000001"] == "prefers mornings"
    assert {k: v for k, v in emails(clinic).items() if v} == EMAILS


def test_every_bad_cell_of_a_row_is_reported_in_one_sync(clinic: Clinic) -> None:
    clinic.sync()
    row = row_of(clinic, "P000002")
    for header, value in [("Email", "alan-at-example"), ("ZIP", "123"), ("Primary provider", "PR000404")]:
        clinic.sheet.edit("Patients", row, header, value)
    clinic.sheet.edit("Patients", row_of(clinic, "P000003"), "Phone", "617 555 0111")
    report = clinic.sync()
    assert sorted(e.column for e in report.errors) == ["Email", "Primary provider", "ZIP"]
    assert {e.row for e in report.errors} == {row}
    assert clinic.record("patient", "P000002")["email"] == "alan@example.org"
    assert clinic.record("patient", "P000003")["phone"] == "+16175550111"
    assert clinic.sheet.note("Patients", row, "ZIP") is not None
