"""The streaming worksheet reader gives every row python-calamine's ``to_python(skip_empty_area=False)``
gives, value for value and type for type, on every workbook these tests can find: the corpus of
files Excel and LibreOffice made, the demo practice's workbook, the benchmark's workbooks, files
Calc saves here, workbooks openpyxl writes from generated cells, and hand-written sheet XML for
each rule of calamine's (and each of its odd ones)."""

from __future__ import annotations

import datetime as dt
import io
import math
import sys
import zipfile
from pathlib import Path
from typing import IO, Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from clinicops.connectors.xlsx.package import Package
from clinicops.connectors.xlsx.sheet_stream import OutOfOrder, SheetStream
from clinicops.core import operations

from . import libreoffice
from .office_workbook import office_tabs, write_workbook

CORPUS = Path(__file__).parent / "data" / "workbooks"
BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def key(value: Any) -> Any:
    """A cell as compared: its type and value (NaN equal to itself)."""
    if isinstance(value, float) and math.isnan(value):
        return (float, "nan")
    return (type(value), value)


def assert_same_as_calamine(data: bytes) -> int:
    """Every worksheet streams as calamine reads it (or both refuse it); the number of sheets compared."""
    package = Package(data)
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets = package.sheets()
    for entry in sheets:
        try:
            wanted = book.get_sheet_by_name(entry.title).to_python(skip_empty_area=False)
        except Exception:  # calamine refuses a sheet it cannot read: so must the stream
            with pytest.raises((ValueError, OverflowError)):
                list(SheetStream(package, entry.part).rows())
            continue
        got = list(SheetStream(package, entry.part).rows())
        assert len(got) == len(wanted), entry.title
        for n, (ours, theirs) in enumerate(zip(got, wanted, strict=True), start=1):
            assert [key(v) for v in ours] == [key(v) for v in theirs], (entry.title, n)
    return len(sheets)


def book(
    sheet_data: str,
    *,
    styles: str = "",
    strings: str | None = None,
    workbook_pr: str = "",
    head: str = "",
    sheet: str | None = None,
) -> bytes:
    """A minimal workbook with one sheet ``S`` holding ``sheet_data`` as written (or the whole ``sheet``)."""
    out = io.BytesIO()
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        if styles:
            rels += f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
            z.writestr("xl/styles.xml", f'<styleSheet xmlns="{MAIN}">{styles}</styleSheet>')
        if strings is not None:
            rels += f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG}">{rels}</Relationships>')
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}">{workbook_pr}'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            sheet or f'<worksheet xmlns="{MAIN}">{head}<sheetData>{sheet_data}</sheetData></worksheet>',
        )
    return out.getvalue()


def rows_of(data: bytes) -> list[list[Any]]:
    package = Package(data)
    return list(SheetStream(package, package.sheets()[0].part).rows())


# workbooks made by others -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.xls[xm]")))
def test_every_sheet_of_the_corpus_streams_as_calamine_reads_it(name: str) -> None:
    assert assert_same_as_calamine((CORPUS / name).read_bytes()) >= 1


def test_the_demo_practice_workbook_streams_as_calamine_reads_it(tmp_path: Path) -> None:
    practice = operations.create_demo(tmp_path / "demo", today=dt.date(2026, 11, 23))
    book_path = practice.config.root / "clinic.xlsx"
    practice.close()
    assert assert_same_as_calamine(book_path.read_bytes()) >= 5


def test_the_benchmark_workbooks_stream_as_calamine_reads_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from excel_like_workbook import write_workbook as write_excel_like
    from sync_xlsx import build_workbook

    build_workbook(tmp_path / "patients.xlsx", 300, edit_every=7)
    assert assert_same_as_calamine((tmp_path / "patients.xlsx").read_bytes()) == 2
    write_excel_like(
        tmp_path / "kinds.xlsx",
        {
            "Kinds": [
                ["text", "date", "when", "int", "float"],
                ["a", dt.date(1900, 1, 1), dt.datetime(2024, 2, 29, 13, 45, 30), 3, 2.5],
                [None, dt.date(1900, 2, 28), dt.datetime(1900, 3, 1, 0, 0, 1), -4, 1e-9],
                ["", dt.date(9999, 12, 31), dt.datetime(1899, 12, 31, 6, 0), 0, 12345678901234.5],
            ]
        },
    )
    assert assert_same_as_calamine((tmp_path / "kinds.xlsx").read_bytes()) == 1
    del sys.modules["excel_like_workbook"], sys.modules["sync_xlsx"]


def test_an_office_workbook_written_by_openpyxl_streams_as_calamine_reads_it(tmp_path: Path) -> None:
    tabs = office_tabs(patients=60, visits=40, claims=30, supplies=10)
    write_workbook(tmp_path / "office.xlsx", tabs)
    assert assert_same_as_calamine((tmp_path / "office.xlsx").read_bytes()) == len(tabs)


@pytest.mark.libreoffice
def test_a_workbook_calc_saved_after_typing_every_kind_of_value_streams_as_calamine_reads_it(tmp_path: Path) -> None:
    if not libreoffice.available():
        pytest.fail("LibreOffice Calc and python3-uno are needed: .ci/run installs them (apt-get)")
    practice = operations.init_practice(tmp_path / "clinic", name="Calc Clinic")
    path = practice.config.root / "clinic.xlsx"
    practice.close()
    typed = ["PR000001", "12.5", "7", "2024-03-05", "2024-03-05 14:30", "14:30", "TRUE", "=1/0", "=NA()",
             '="a"&"b"', "=TRUE()", "=A1", "  spaced  ", "50%", "$3.20", "1e300", "-0", "=1=2"]  # fmt: skip
    office = libreoffice.Calc()
    try:
        doc = office.open(path)
        for n, text in enumerate(typed):
            office.type(doc, "Providers", f"{chr(65 + n % 18)}{2 + n // 18}", text)
            office.type(doc, "Providers", f"D{5 + n}", text)
        office.type(doc, "Providers", "AB40", "far")
        office.save(doc)
        office.close(doc)
    finally:
        office.quit()
    assert assert_same_as_calamine(path.read_bytes()) >= 5


# generated workbooks ----------------------------------------------------------------------

FORMATS = ["General", "0", "0.00", "yyyy-mm-dd", "d-mmm-yy", "h:mm", "hh:mm:ss", "[h]:mm:ss", "[mm]:ss",
           "mm:ss.0", "m/d/yy h:mm", "@", '"Y"0', "yyyy\\-mm\\-dd", "0.00;[Red]yyyy", "[$-409]mmmm d, yyyy",
           "#,##0.00_);(#,##0.00)", "[Blue]\\+[h]:mm", "am/pm h", "dd/mm/yyyy hh:mm AM/PM"]  # fmt: skip
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n _x000D_"), max_size=12)
NUMBER = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=3e6) | st.integers(-(10**6), 10**7)
VALUE = st.one_of(
    TEXT,
    NUMBER,
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.times(),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=900)),
    st.sampled_from(["#N/A", "#DIV/0!", "#REF!", "=1+1", "=SUM(A1:A2)"]),
)
CELL = st.tuples(st.integers(1, 9), st.integers(1, 7), VALUE, st.sampled_from(FORMATS) | st.none())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(CELL, max_size=25), epoch_1904=st.booleans())
def test_workbooks_openpyxl_writes_from_any_cells_stream_as_calamine_reads_them(cells, epoch_1904: bool) -> None:
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.MAC_EPOCH if epoch_1904 else openpyxl.utils.datetime.WINDOWS_EPOCH
    ws = wb.active
    for row, col, value, fmt in cells:
        cell = ws.cell(row, col, value)
        if isinstance(value, str) and value.startswith("#"):
            cell.data_type = "e"
        if fmt is not None:
            cell.number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    assert_same_as_calamine(out.getvalue())


# calamine's rules, one by one ---------------------------------------------------------------

STYLES = (
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" '
    'formatCode="[h]:mm:ss"/><numFmt numFmtId="166" formatCode="0.00;[Red]yyyy"/></numFmts><cellXfs count="8">'
    '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="46"/>'
    '<xf numFmtId="166"/><xf numFmtId="22"/><xf/></cellXfs>'
)
SERIALS = ["0", "0.25", "1", "59", "60", "61", "45000", "45000.5", "-1", "-0.5", "2958465", "2958466", "1e9",
           "1.00000001", "45000.999999999", "0.0000001", "0.5000000058"]  # fmt: skip


@pytest.mark.parametrize("workbook_pr", ["", '<workbookPr date1904="1"/>', '<workbookPr date1904="TRUE"/>'])
@pytest.mark.parametrize("style", ["0", "1", "2", "3", "4", "5", "6", "7", "8", "x", None])
def test_numbers_become_dates_times_and_durations_by_their_style_and_date_system(style, workbook_pr) -> None:
    s = "" if style is None else f' s="{style}"'
    cells = "".join(f'<c r="{chr(65 + i)}1"{s}><v>{v}</v></c>' for i, v in enumerate(SERIALS))
    assert_same_as_calamine(book(f'<row r="1">{cells}</row>', styles=STYLES, workbook_pr=workbook_pr))


CASES = {
    "numbers": '<c r="A1"><v>1</v></c><c r="B1"><v>1.5</v></c><c r="C1"><v>1e3</v></c><c r="D1" t="n"><v>2</v></c>'
    '<c r="E1"><v>abc</v></c><c r="F1"><v> 1</v></c><c r="G1"><v>1_0</v></c><c r="H1"><v>inf</v></c>'
    '<c r="I1"><v>+1</v></c><c r="J1"><v>.5</v></c><c r="K1"><v>NaN</v></c><c r="L1"><v>\u0661</v></c>',
    "booleans, LibreOffice's TRUE() among them": '<c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c>'
    '<c r="C1" t="b"><v>false</v></c><c r="D1" t="b"><f>TRUE()</f><v>1</v></c><c r="E1" t="b"><v>TRUE</v></c>',
    "errors give empty text": '<c r="B1" t="e"><v>#N/A</v></c><c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
    "formula results and text escapes": '<c r="A1" t="str"><f>A</f><v> x _x000D_ </v></c><c r="B1" t="inlineStr">'
    '<is><t> y _x000D_ </t></is></c><c r="C1" t="inlineStr"><is><t xml:space="preserve"> y _x000d_ </t></is></c>'
    '<c r="D1" t="inlineStr"><is><r><t>a </t></r><r><t xml:space="preserve"> b</t></r><rPh><t>ph</t></rPh></is></c>',
    "a formula without its result, or after it, leaves the cell empty": '<c r="A1"><f>1+1</f></c>'
    '<c r="B1"><v>1</v><f>1+1</f></c><c r="C1"><v>1</v><f/></c><c r="D1"><v>4</v></c><c r="E1"><f>2</f></c>',
    "empty values": '<c r="A1" t="s"><v></v></c><c r="B1" t="inlineStr"><is></is></c><c r="C1" t="str"><v></v></c>'
    '<c r="D1" t="str"></c><c r="E1"><v></v></c><c r="F1" t="b"><v></v></c><c r="G1" t="e"><v></v></c>',
    "ISO dates": '<c r="A1" t="d"><v>2024-01-02</v></c><c r="B1" t="d"><v>2024-01-02T03:04:05.123</v></c>'
    '<c r="C1" t="d"><v>03:04:05</v></c><c r="D1" t="d"><v>bad</v></c><c r="E1" t="d"><v></v></c>'
    '<c r="F1" t="d"><v>2024-1-2</v></c><c r="G1" t="d"><v>2024-01-02T03:04</v></c>',
    "inline strings ignore a value beside them": '<c r="A1" t="inlineStr"><v>5</v><is><t>a</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>a</t></is><v>5</v></c>',
    "the sheet's last column": '<c r="A1"><v>1</v></c><c r="XFD1" t="inlineStr"><is><t>edge</t></is></c>',
}


@pytest.mark.parametrize("cells", CASES.values(), ids=CASES.keys())
def test_each_kind_of_cell_streams_as_calamine_reads_it(cells: str) -> None:
    assert_same_as_calamine(book(f'<row r="1">{cells}</row>'))


SHARED = (
    '<si><t> a </t></si><si><r><t>x </t></r><r><rPr/><t xml:space="preserve"> y</t></r><rPh><t>ph</t></rPh></si>'
    "<si><t>p_x005F_x000D_q_x0041_</t></si><si></si><si><t>a</t><t>b</t></si><si><t>_x00e9__x00+F__x0100_</t></si>"
    "<si><t>a&amp;b<![CDATA[<c>]]></t></si>"
)


def test_shared_strings_join_rich_runs_skip_phonetic_ones_and_undo_escapes() -> None:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(7)) + '<c r="H1" t="s"><v>x</v></c>'
    data = book(f'<row r="1">{cells}</row>', strings=SHARED)
    assert_same_as_calamine(data)
    assert rows_of(data) == [["a", "x y", "p_x000D_qA", "", "ab", "é\x0f_x0100_", "a&b<c>", "a"]]


LAYOUTS = {
    "cells and rows without r": '<row><c><v>1</v></c><c t="inlineStr"><is><t>a</t></is></c></row>'
    '<row><c r="C2"><v>2</v></c><c><v>3</v></c></row><row r="5"><c><v>5</v></c></row><row><c r="B6"/></row>',
    "gaps before, between and after": '<row r="3"><c r="C3"><v>1</v></c></row><row r="6"><c r="A6"><v>2</v></c></row>'
    '<row r="7"><c r="A7" s="0"/><c r="J7"><f>1</f></c></row>',
    "an error cell is the last": '<row r="1"><c r="A1"><v>1</v></c></row>'
    '<row r="3"><c r="C3" t="e"><v>#DIV/0!</v></c></row>',
    "rows shorter than others": '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="D2"><v>2</v></c></row>'
    '<row r="3"><c r="B3"><v>3</v></c></row>',
    "a cell in a row ahead of its row element": '<row r="1"><c r="A1"><v>1</v></c><c r="B3"><v>3</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c></row>',
    "no cells": "",
    "only empty cells": '<row r="1"><c r="A1" s="1"/><c r="B1"><v></v></c></row>',
}


@pytest.mark.parametrize("rows", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_positions_gaps_and_widths_follow_calamine(rows: str) -> None:
    assert_same_as_calamine(book(rows))


@pytest.mark.parametrize(
    "dimension", ['<dimension ref="A1:B2"/>', '<dimension ref="A1:Z900"/>', '<dimension ref="A1"/>']
)
def test_a_wrong_dimension_changes_nothing(dimension: str) -> None:
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="3"><c r="E3"><v>2</v></c></row>'
    data = book(rows, head=dimension)
    assert_same_as_calamine(data)
    assert rows_of(data) == [[1.0, "", "", "", ""], [""] * 5, ["", "", "", "", 2.0]]


def test_a_sheet_whose_elements_carry_a_prefix_streams_the_same() -> None:
    data = book(
        "",
        sheet=f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1"><x:c r="B1" t="inlineStr"><x:is><x:t>b</x:t>'
        "</x:is></x:c></x:row></x:sheetData></x:worksheet>",
    )
    assert_same_as_calamine(data)
    assert rows_of(data) == [["", "b"]]


@pytest.mark.parametrize(
    "cells",
    ['<c r="A1" t="e"><v>#SPILL!</v></c>', '<c r="A1" t="b"><v>2</v></c>', '<c r="A1" t="s"><v>9</v></c>',
     '<c r="A1" t="zz"><v>1</v></c>', '<c r="A1" t="n"><v>x</v></c>', '<c r="A1"><v>1</v><extLst/></c>'],
)  # fmt: skip
def test_a_cell_calamine_refuses_is_refused(cells: str) -> None:
    assert_same_as_calamine(book(f'<row r="1">{cells}</row>', strings="<si><t>a</t></si>"))


def test_rows_out_of_order_are_refused_rather_than_given_in_the_wrong_order() -> None:
    """calamine sorts them into its grid; a stream has handed the later row out already."""
    data = book('<row r="2"><c r="A2"><v>2</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>')
    with pytest.raises(OutOfOrder):
        rows_of(data)


class CountingPackage(Package):
    """A package that counts what the reader has taken from each part it opened."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken: list[int] = []

    def open(self, name: str) -> IO[bytes]:
        return _Counting(super().open(name), self.taken)


class _Counting(io.RawIOBase):
    def __init__(self, inner: IO[bytes], taken: list[int]) -> None:
        self.inner, self.taken = inner, taken
        taken.append(0)
        self.at = len(taken) - 1

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.taken[self.at] += len(data)
        return data

    def close(self) -> None:
        self.inner.close()
        super().close()


def test_rows_come_out_while_the_part_is_still_being_read() -> None:
    many = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 30001))
    package = CountingPackage(book(many))
    part = package.sheets()[0].part
    whole = len(package.read(part))
    stream = SheetStream(package, part)
    rows = stream.rows()
    assert next(rows) == [1.0]
    assert package.taken[0] == whole  # the walk for the width reads it all, keeping nothing
    assert package.taken[1] < whole / 4  # the walk for the rows has read a piece only
    assert sum(1 for _ in rows) == 29999
    assert [len(c) for c in stream.chunks(10000)] == [10000, 10000, 10000]
