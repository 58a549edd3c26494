"""The workbook's large parts are read and written as streams: a rewritten sheet is compressed as
it is written and goes into the file as a valid zip member; the reader's fingerprint, repeated
values and formula scan give what reading the whole part at once gave."""

from __future__ import annotations

import io
import os
import zipfile
import zlib

from hypothesis import given
from hypothesis import strategies as st

from clinicops.connectors.xlsx.backend import _rows
from clinicops.connectors.xlsx.deflated import DeflatedPart, Deflater, crc32_combine
from clinicops.connectors.xlsx.package import Package
from clinicops.connectors.xlsx.uncached import _has_formula
from clinicops.core.repeats import Repeats


@given(st.binary(max_size=3000), st.binary(max_size=3000))
def test_crc32_combine_is_the_crc_of_the_two_pieces_together(a: bytes, b: bytes) -> None:
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@given(st.lists(st.text(max_size=200), max_size=40), st.lists(st.text(max_size=200), max_size=40))
def test_pieces_compressed_apart_inflate_to_the_text_they_were_given(head: list[str], rows: list[str]) -> None:
    first, second, last = Deflater(), Deflater(), Deflater()
    for text in head:
        first.write(text)
    for text in rows:
        second.write(text)
    last.write("</end>")
    part = DeflatedPart.join([first.finish(last=False), second.finish(last=False), last.finish(last=True)])
    whole = ("".join(head) + "".join(rows) + "</end>").encode("utf-8")
    assert part.content() == whole
    assert (part.crc, part.size) == (zlib.crc32(whole), len(whole))


def test_a_part_larger_than_the_flush_size_goes_into_the_zip_as_a_valid_member() -> None:
    source = io.BytesIO()
    with zipfile.ZipFile(source, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<old/>")
        z.writestr("xl/media/image1.png", os.urandom(500))
    package = Package(source.getvalue())
    body = Deflater()
    text = "".join(f'<row r="{i}"><c><v>{i * 7}</v></c></row>' for i in range(60_000))
    body.write(text[: len(text) // 2])
    body.write(text[len(text) // 2 :])
    head, tail = Deflater(), Deflater()
    head.write("<sheetData>")
    tail.write("</sheetData>")
    part = DeflatedPart.join([head.finish(last=False), body.finish(last=False), tail.finish(last=True)])
    package.put("xl/worksheets/sheet1.xml", part)
    package.put("xl/new.xml", DeflatedPart.join([Deflater().finish(last=True)]))
    out = io.BytesIO()
    package.save(out)
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None  # every member's CRC checks
        assert z.read("xl/worksheets/sheet1.xml") == f"<sheetData>{text}</sheetData>".encode()
        assert z.read("xl/new.xml") == b""
        assert z.read("xl/media/image1.png") == zipfile.ZipFile(source).read("xl/media/image1.png")
    assert package.read("xl/worksheets/sheet1.xml") == f"<sheetData>{text}</sheetData>".encode()


def test_rows_are_numbered_as_excel_shows_them_and_padded_to_the_header() -> None:
    grid: list[list[object]] = [["MRN", "State", "Email"]]
    grid += [[f"P{i}", "MA", f"p{i}@example.org"] for i in range(600)]
    rows = _rows([list(r) for r in grid], 4)
    assert [r.values for r in rows] == [[*r, ""] for r in grid[1:]]
    assert [r.number for r in rows[:2]] == [2, 3]
    assert [r.ref for r in rows[:2]] == [2, 3]


def test_a_column_of_few_values_shares_one_text_per_value_and_reads_the_same() -> None:
    grid = [[f"P{i}", "".join(["M", "A"]), f"p{i}@example.org"] for i in range(600)]
    repeats = Repeats()
    rows = [list(r) for r in grid]
    for values in rows:
        repeats.share(values)
    assert rows == grid
    assert len({id(r[1]) for r in rows}) == 1
    assert len({id(r[2]) for r in rows}) == 600  # a column of too many values is left as read


def test_rows_of_other_widths_share_the_columns_they_have_and_keep_every_value() -> None:
    grid = [["P1", "".join("MA")], ["P2", "".join("MA"), "".join("x")], ["P3"], ["P4", "".join("MA"), "".join("x")]]
    rows = [list(r) for r in grid]
    repeats = Repeats()
    for values in rows:
        repeats.share(values)
    assert rows == grid
    assert rows[0][1] is rows[1][1] is rows[3][1] and rows[1][2] is rows[3][2]


def test_a_formula_tag_cut_by_the_read_boundary_is_found() -> None:
    head = b" " * ((1 << 20) - 2)
    assert _has_formula(io.BytesIO(head + b"<f>A1+1</f>"))
    root = b"<x:worksheet xmlns:x='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>"
    assert _has_formula(io.BytesIO(root + head + b"<x:f t='shared'/>"))
    assert not _has_formula(io.BytesIO(head + b"<c r='A1'><v>1</v></c>"))
