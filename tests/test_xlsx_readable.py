"""The demo workbook as a person opens it: columns wide enough to read, long text wrapped,
date-times that fit, the Errors column only as wide as what it says, notes beside their cell."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from clinicops.core import operations

from .workbook_parts import sheet_part


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("demo") / "clinic"
    practice = operations.create_demo(folder, today=dt.date(2026, 11, 23))
    operations.sync(practice)
    practice.close()
    yield folder / "clinic.xlsx"


def columns(book: Path, tab: str) -> dict[str, openpyxl.worksheet.dimensions.ColumnDimension]:
    ws = openpyxl.load_workbook(book)[tab]
    return {c.value: ws.column_dimensions[get_column_letter(c.column)] for c in ws[1] if c.value}


def test_long_messages_wrap_in_a_column_of_readable_width(demo_book: Path) -> None:
    message = columns(demo_book, "Alerts")["Message"]
    assert 40 <= message.width <= 60
    assert message.alignment.wrap_text


def test_date_times_have_a_format_and_a_width_that_fits_them(demo_book: Path) -> None:
    start = columns(demo_book, "Appointments")["Start"]
    assert start.number_format == "yyyy-mm-dd hh:mm"
    assert start.width >= len("2026-11-23 14:30") + 1


def test_the_errors_column_is_as_wide_as_what_it_says(demo_book: Path) -> None:
    providers = columns(demo_book, "Providers")
    assert providers["Errors"].width < max(d.width for h, d in providers.items() if h != "Errors")
    patients = columns(demo_book, "Patients")
    assert patients["Errors"].width >= 40 and patients["Errors"].alignment.wrap_text


def test_a_note_sits_beside_its_cell(demo_book: Path) -> None:
    with zipfile.ZipFile(demo_book) as z:
        part = sheet_part(demo_book, "Patients")
        rels = z.read(part.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
        vml = next(t for t in re.findall(r'Target="([^"]+\.vml)"', rels))
        drawing = z.read(vml.lstrip("/") if vml.startswith("/") else "xl/" + vml.replace("../", "")).decode()
    shapes = re.findall(r"<x:Anchor>([^<]*)</x:Anchor>.*?<x:Row>(\d+)</x:Row><x:Column>(\d+)</x:Column>", drawing, re.S)
    notes = [(anchor, int(row), int(col)) for anchor, row, col in shapes if int(row) > 0]
    assert notes
    for anchor, row, col in notes:
        left, _, top, *_ = (int(x) for x in anchor.split(","))
        assert left == col + 1 and row - 2 <= top <= row
