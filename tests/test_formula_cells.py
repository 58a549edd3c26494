"""A formula saved without its computed value is reported, never read as a cleared cell."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from clinicops.connectors.xlsx import uncached
from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.practice import Practice

from .conftest import Clinic
from .office_workbook import office_tabs, write_workbook
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


@pytest.mark.parametrize("chunk", [7, 100, 1 << 20])
@pytest.mark.parametrize("prefix", ["", "x:"])
def test_a_formula_without_a_value_is_found_wherever_the_parts_chunks_split_it(chunk: int, prefix: str) -> None:
    cells = "".join(f'<{prefix}c r="A{n}"><{prefix}v>{n}</{prefix}v></{prefix}c>' for n in range(1, 400))
    formula = f'<{prefix}c r="C400"><{prefix}f>A1+1</{prefix}f></{prefix}c>'
    part = f'<{prefix}worksheet xmlns{":x" if prefix else ""}="m"><{prefix}sheetData>{cells}{formula}'
    part += f"</{prefix}sheetData></{prefix}worksheet>"
    old = uncached._CHUNK
    uncached._CHUNK = chunk
    try:
        found = uncached.uncached_formulas(lambda: io.BytesIO(part.encode()))
        clean = uncached.uncached_formulas(lambda: io.BytesIO(part.replace(formula, "").encode()))
    finally:
        uncached._CHUNK = old
    assert found == {(400, 2)} and clean == frozenset()


@pytest.mark.parametrize("typed", ["", "fifty offers", "f" * 2_000])
@pytest.mark.parametrize("prefix", ["", "x:"])
def test_a_formula_is_found_among_cells_of_typed_text_full_of_the_letter_f(typed: str, prefix: str) -> None:
    """The scan looks for a formula's ``f`` first: cells whose own text holds that letter, few times
    or many, neither hide a formula nor pass for one."""
    text = f'<{prefix}c r="B{{n}}" t="inlineStr"><{prefix}is><{prefix}t>{typed}</{prefix}t></{prefix}is></{prefix}c>'
    cells = "".join(text.format(n=n) for n in range(1, 200))
    formula = f'<{prefix}c r="C200"><{prefix}f t="shared" si="0"/></{prefix}c>'
    part = f'<{prefix}worksheet xmlns{":x" if prefix else ""}="m"><{prefix}sheetData>{cells}{formula}'
    part += f"</{prefix}sheetData></{prefix}worksheet>"
    found = uncached.uncached_formulas(lambda: io.BytesIO(part.encode()))
    clean = uncached.uncached_formulas(lambda: io.BytesIO(part.replace(formula, "").encode()))
    assert found == {(200, 2)} and clean == frozenset()


def test_a_formula_without_a_value_is_reported_in_a_tab_with_split_columns(tmp_path: Path) -> None:
    """A tab read through its split and joined columns (``columns.toml``) is checked the same way."""
    tabs = office_tabs(patients=12, visits=6, claims=4, supplies=3)
    book = tmp_path / "front-desk.xlsx"
    write_workbook(book, tabs)
    assert CliRunner().invoke(cli, ["adopt", str(book), "--yes"]).exit_code == 0
    practice = Practice.open(tmp_path)
    try:
        operations.sync(practice)
        workbook = openpyxl.load_workbook(book)
        ws = workbook["Pt List"]
        header = [c.value for c in ws[1]]
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, header.index("Email") + 1).value)
        mrn = ws.cell(row, header.index("MRN") + 1).value
        with practice.view() as view:
            email = view.get("patient", mrn)["email"]
        ws.cell(row, header.index("Email") + 1).value = '=LOWER("SOMEONE@EXAMPLE.ORG")'  # no computed value saved
        workbook.save(book)
        report = operations.sync(practice)
        found = [(e.sheet, e.row, e.column, e.kind) for e in report.errors if e.sheet == "Pt List" and e.row == row]
        assert found == [("Pt List", row, "Email", "formula-without-value")]
        with practice.view() as view:
            assert view.get("patient", mrn)["email"] == email
    finally:
        practice.close()
