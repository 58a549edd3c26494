"""A formula saved without its computed value is reported, never read as a cleared cell."""

from __future__ import annotations

import openpyxl

from .conftest import Clinic
from .test_sync_engine import row_of


def test_a_formula_without_a_computed_value_is_a_cell_error_and_blanks_nothing(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    grace = row_of(clinic, "Patients", "MRN", "P000001")
    path = clinic.folder / "clinic.xlsx"
    book = openpyxl.load_workbook(path)
    ws = book["Patients"]
    column = next(c.column for c in ws[1] if c.value == "Email")
    ws.cell(grace, column).value = '=LOWER("GRACE@EXAMPLE.ORG")'  # openpyxl stores no computed value
    book.save(path)
    report = clinic.sync()
    [err] = report.errors
    assert (err.row, err.column, err.kind) == (grace, "Email", "formula-without-value")
    assert "formula without a computed value" in err.problem
    assert clinic.record("patient", "P000001")["email"] == "grace@example.org"
