"""The sheet rewriter's walk hands a row's cells over as the very text they were read as,
whatever pieces the file arrives in, and a cell looked into or changed is written from its tree."""

from __future__ import annotations

import io

import pytest

from clinicops.connectors.xlsx.xml_nodes import Node, RawElement, Streamer, write_node

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# one row's cells, as spreadsheet programs spell them: empty, prefixed, inline text with an
# entity and a multi-byte letter, a formula with its result, a namespace declared on the cell
CELLS = (
    '<c r="A{n}" s="1"/>',
    '<x:c r="B{n}" t="s"><x:v>{n}</x:v></x:c>',
    '<c r="C{n}" t="inlineStr"><is><t xml:space="preserve"> a &amp; b \u00e9\u20ac {n} </t></is></c>',
    '<c r="D{n}"><f>SUM(A1:A{n})</f><v>3</v></c>',
    '<c xmlns:y="urn:y" r="E{n}" y:k="&quot;q&quot;"><v>-1.5E-3</v></c>',
)


def row_text(n: int) -> str:
    return f'<row r="{n}" spans="1:5">' + "".join(c.format(n=n) for c in CELLS) + "</row>"


def sheet(rows: int) -> bytes:
    body = "".join(row_text(n) + ("\n" if n % 3 else "") for n in range(1, rows + 1))
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:x="{MAIN}">'
        f'<dimension ref="A1:E{rows}"/><sheetData>{body}</sheetData><pageMargins left="0.7"/></worksheet>'
    ).encode()


class Trickle(io.RawIOBase):
    """A file that gives at most ``size`` bytes a read, as a pipe or a slow disk may."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.at = data, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        piece = self.data[self.at : self.at + min(self.size, n if n >= 0 else self.size)]
        self.at += len(piece)
        return piece


def rows_of(data: bytes | io.RawIOBase, raw: bool) -> list[Node]:
    rows: list[Node] = []
    Streamer.each_item(data, "sheetData", rows.append, raw_within_items=raw)
    return rows


def written(node: Node) -> str:
    out: list[str] = []
    write_node(node, out)
    return "".join(out)


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 16, None])
def test_each_cell_arrives_as_the_text_it_was_read_as_whatever_the_pieces(size: int | None) -> None:
    data = sheet(700)  # some 250 KB: what is kept of the file is cut back as the rows go by
    rows = rows_of(data if size is None else Trickle(data, size), raw=True)
    assert len(rows) == 700
    for n, row in enumerate(rows, start=1):
        cells = [c for c in row.children if isinstance(c, Node)]
        assert all(isinstance(c, RawElement) for c in cells)
        assert [c.raw for c in cells] == [c.format(n=n) for c in CELLS]  # type: ignore[attr-defined]
        assert written(row) == row_text(n)


def test_a_cell_looked_into_or_changed_is_the_tree_the_plain_walk_makes() -> None:
    data = sheet(3)
    raw_rows, plain_rows = rows_of(data, raw=True), rows_of(data, raw=False)
    for raw_row, plain_row in zip(raw_rows, plain_rows, strict=True):
        assert written(raw_row) == written(plain_row)
        raw_cells = [c for c in raw_row.children if isinstance(c, Node)]
        plain_cells = [c for c in plain_row.children if isinstance(c, Node)]
        for raw_cell, plain_cell in zip(raw_cells, plain_cells, strict=True):
            assert (raw_cell.name, raw_cell.get("r")) == (plain_cell.name, plain_cell.get("r"))
            assert written(Node("x", [], raw_cell.children)) == written(Node("x", [], plain_cell.children))
            raw_cell.set("s", "9")
            plain_cell.set("s", "9")
            assert written(raw_cell) == written(plain_cell)
    first = next(c for c in raw_rows[0].children if isinstance(c, Node))
    first.children = [Node("v", [], ["42"])]
    assert written(first) == '<c r="A1" s="9"><v>42</v></c>'
