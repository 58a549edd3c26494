"""The in-place writer on its own: rows removed close up with what belongs to them, new rows go
below the last row that holds anything, and everything else in the sheet stays as it was."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.comments import Comment

from clinicops.connectors.base import ColumnSpec, TableSpec, TableWrite
from clinicops.connectors.xlsx import XlsxBackend

from .workbook_parts import cells

SPEC = TableSpec(
    entity="thing",
    title="Things",
    primary_key="id",
    columns=(ColumnSpec("ID", "id", "string", text_format=True), ColumnSpec("Name", "name", "string")),
)


def staff_workbook(path: Path) -> None:
    """Made by openpyxl, as another program would: rows 2–6, a note on row 5, formatted empty rows below."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Things"
    ws.append(["ID", "Name", "Errors", "Staff notes"])
    for i in range(1, 6):
        ws.append([f"T{i}", f"thing {i}", None, f"=LEN(B{i + 1})"])
    ws["B5"].comment = Comment("Ask Dana", "Dana")
    for row in range(7, 10):
        ws.cell(row, 2).number_format = "0.00"  # formatted, but empty
    book.save(path)


def test_removed_rows_close_up_and_their_notes_follow(tmp_path: Path) -> None:
    book = tmp_path / "things.xlsx"
    staff_workbook(book)
    backend = XlsxBackend(book, tmp_path / "backups")
    backend.write([TableWrite(spec=SPEC, deletes=[3])])
    ws = openpyxl.load_workbook(book)["Things"]
    assert [ws.cell(r, 1).value for r in range(2, 7)] == ["T1", "T3", "T4", "T5", None]
    assert ws["B4"].comment is not None and ws["B4"].comment.text == "Ask Dana"
    assert ws["B5"].comment is None


def test_new_rows_go_below_the_last_row_holding_anything(tmp_path: Path) -> None:
    book = tmp_path / "things.xlsx"
    staff_workbook(book)
    before = cells(book, "Things")
    backend = XlsxBackend(book, tmp_path / "backups")
    result = backend.write([TableWrite(spec=SPEC, appends=[{"ID": "T6", "Name": "thing 6"}, {"ID": "0007"}])])
    assert result.appended_refs["thing"] == [7, 8]
    after = cells(book, "Things")
    changed = {ref for ref in before.keys() | after.keys() if before.get(ref) != after.get(ref)}
    assert changed == {"A7", "B7", "A8"}
    ws = openpyxl.load_workbook(book)["Things"]
    assert ws["A8"].value == "0007" and ws["A8"].data_type == "s"
    assert ws["D2"].value == "=LEN(B2)"
