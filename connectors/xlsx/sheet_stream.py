"""One worksheet's rows, read a piece at a time, with the values python-calamine would give.

python-calamine has no streaming read: it builds the whole tab (about 1 GB for a million
rows) before giving a row. This reads the worksheet part as it is inflated, with the
standard library's expat, and hands rows out as they are complete; it holds the
shared-strings table, one number kind per cell style and the rows of the piece being parsed.

Every row equals the row ``to_python(skip_empty_area=False)`` gives, value for value and
type for type (see :mod:`.calamine_values`): the grid starts at A1, ends at the last row and
column holding a cell calamine keeps (not one with no value, a formula without its result
among them), and every row is as wide as the widest. That width is only known once every
cell was seen, so the part is walked twice: once for the width (cells are looked at, values
are not made), then for the rows.

Rows must come in order, as every spreadsheet program writes them: a cell for a row already
handed out raises :class:`OutOfOrder` (calamine sorts such a sheet; a stream cannot).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any
from xml.parsers import expat

from clinicops.connectors.xlsx import calamine_values as cv
from clinicops.connectors.xlsx.package import Package

_PIECE = 1 << 16


class OutOfOrder(ValueError):
    """A cell belongs to a row before one already read."""


class SheetStream:
    """The rows of the worksheet part ``part`` of ``package``."""

    def __init__(self, package: Package, part: str) -> None:
        self._package = package
        self._part = part
        self.strings = cv.shared_strings(package)
        self.kinds = cv.number_kinds(package)
        self.date1904 = cv.date1904(package)

    def width(self) -> int:
        """How many columns every row has: one past the last column holding a kept cell."""
        walk = _Walk(self, width=None)
        for _ in walk.run(self._package.open(self._part)):
            pass
        return walk.widest

    def rows(self, width: int | None = None) -> Iterator[list[Any]]:
        """Each row, from row 1 to the last row holding a kept cell. A ``width`` already known
        for these bytes (the header row kept under their fingerprint is as wide as every row)
        saves the first walk."""
        if width is None:
            width = self.width()
        if width:
            yield from _Walk(self, width=width).run(self._package.open(self._part))

    def chunks(self, size: int) -> Iterator[list[list[Any]]]:
        """The rows, ``size`` at a time (the last chunk may be shorter)."""
        chunk: list[list[Any]] = []
        for row in self.rows():
            chunk.append(row)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


class _Walk:
    """One walk of the part: with ``width`` None it only finds the widest kept cell, otherwise it
    makes the rows. Positions follow calamine: a ``row`` without ``r`` is the one after the last,
    a cell without ``r`` is next to the previous one, and the last of a cell's ``v``, ``f`` or
    ``is`` decides its value (a formula after its value leaves the cell empty).

    The handlers are closures over local state: a million-row tab calls them some
    seventy million times, and attribute look-ups on an object would double the time.
    """

    def __init__(self, stream: SheetStream, width: int | None) -> None:
        self.s = stream
        self.width = width
        self.widest = 0

    def run(self, source: IO[bytes]) -> Iterator[list[Any]]:
        s = self.s
        kinds, strings, d1904 = s.kinds, s.strings, s.date1904
        measuring = self.width is None
        width = self.width or 0
        value_of = cv.cell_value
        empty, error = cv.EMPTY, cv.ERROR
        codes: dict[str, int] = {}
        columns: dict[str, int] = {}
        done: list[list[Any]] = []
        pending: dict[int, list[Any]] = {}
        inline = cv.TextBuilder()
        # row index, column index, next row to hand out, depth in a cell, child code, widest
        row_index = col_index = next_row = depth = child = 0
        widest = 0
        in_v = False
        row = col = 0
        kind: str | None = None
        style: str | None = None
        value: Any = empty
        text = ""
        count = len(strings)
        filling = -1  # the row ``cells`` belongs to
        cells: list[Any] = []
        plain = cv.PLAIN_NUMBER.fullmatch
        # the ``s`` of cells showing plain numbers, as written; any other ``s`` takes the long way
        plain_styles = {None, *(str(i) for i, k in enumerate(kinds) if k == cv.OTHER)}

        def code(name: str) -> int:
            found = codes[name] = _CODES.get(name.rpartition(":")[2], 0)
            return found

        def column(letters: str) -> int:
            found = columns[letters] = _position(letters + "1")[1]
            return found

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth, child, in_v, text, row_index, col_index, row, col, kind, style, value
            c = codes.get(name)
            if c is None:
                c = code(name)
            if depth:
                depth += 1
                if depth == 2:
                    child = c
                    if c == _V:
                        in_v = True
                        text = ""
                    elif c == _IS:
                        inline.begin()
                    elif c != _F:
                        raise ValueError(f"a cell holds a {name!r} element, not v, f or is")
                elif child == _IS:
                    inline.start(name.rpartition(":")[2], attrs)
                return
            if c == _C:
                depth = 1
                ref = attrs.get("r")
                if ref is None:
                    row, col = row_index, col_index
                else:
                    letters = ref.rstrip(_DIGITS)
                    col = columns.get(letters)
                    if col is None:
                        col = column(letters)
                    row = int(ref[len(letters) :]) - 1
                    if row < 0:
                        raise ValueError(f"not a cell reference: {ref!r}")
                    col_index = col
                kind = attrs.get("t")
                style = attrs.get("s")
                value = empty
            elif c == _ROW:
                ref = attrs.get("r")
                if ref is not None:
                    row_index = int(ref) - 1 if ref.isdigit() and ref.isascii() else _position(ref, row_only=True)[0]

        def chars(data: str) -> None:
            nonlocal text
            if in_v:
                text += data
            elif child == _IS:
                inline.chars(data)

        def end(name: str) -> None:
            nonlocal depth, child, in_v, value, col_index, row_index, widest, filling, cells
            if depth > 2:
                depth -= 1
                if child == _IS:
                    inline.end(name.rpartition(":")[2])
            elif depth == 2:
                depth = 1
                if child == _V:
                    in_v = False
                    # the two kinds nearly every cell is, without a call; the rest as calamine_values says
                    if kind == "s" and text.isdigit() and text.isascii() and (at := int(text)) < count:
                        value = strings[at]
                    elif kind is None and style in plain_styles and plain(text):
                        value = float(text)
                    else:
                        value = value_of(text, kind, style, kinds, strings, d1904)
                        if value is error:
                            value = ""  # calamine gives an error cell as "" (and counts it in the sheet's width)
                elif child == _IS:
                    value = inline.text()
                else:
                    value = empty  # calamine: a formula element sets no value, whatever came before it
                child = 0
            elif depth == 1:
                depth = 0
                col_index += 1
                if measuring:
                    if value is not empty:
                        widest = max(widest, col + 1)
                    glance()
                    return
                if value is empty:
                    return
                if row != filling:
                    if row < next_row:
                        raise OutOfOrder(f"row {row + 1} comes after row {next_row}")
                    filling = row
                    cells = pending.get(row)
                    if cells is None:
                        cells = pending[row] = [""] * width
                cells[col] = value
            elif (codes.get(name) or code(name)) == _ROW:
                if pending:
                    hand_out(row_index)
                row_index += 1
                col_index = 0

        def hand_out(up_to: int) -> None:
            nonlocal next_row, filling
            filling = -1
            for index in sorted(i for i in pending if i <= up_to):
                while next_row < index:  # rows with no kept cell between kept ones
                    done.append([""] * width)
                    next_row += 1
                done.append(pending.pop(index))
                next_row = index + 1

        def glance_start(name: str, attrs: dict[str, str]) -> None:
            """Measuring: a cell left of the widest kept one cannot widen the sheet, so only a
            cell at or right of it is looked into (with every handler); the rest cost one call."""
            nonlocal col_index, depth, col, kind, style, value
            c = codes.get(name)
            if c is None:
                c = code(name)
            if c == _C:
                ref = attrs.get("r")
                if ref is None:
                    col = col_index
                else:
                    letters = ref.rstrip(_DIGITS)
                    col = columns.get(letters)
                    if col is None:
                        col = column(letters)
                if col < widest:
                    col_index = col + 1
                    return
                col_index = col
                depth, kind, style, value = 1, attrs.get("t"), attrs.get("s"), empty
                parser.StartElementHandler = start
                parser.EndElementHandler = end
                parser.CharacterDataHandler = chars
            elif c == _ROW:
                col_index = 0

        def glance() -> None:
            parser.StartElementHandler = glance_start
            parser.EndElementHandler = None
            parser.CharacterDataHandler = None

        parser = expat.ParserCreate("UTF-8")
        parser.buffer_text = True
        parser.buffer_size = _PIECE
        if measuring:
            glance()
        else:
            parser.StartElementHandler = start
            parser.EndElementHandler = end
            parser.CharacterDataHandler = chars
        with source:
            while piece := source.read(_PIECE):
                parser.Parse(piece, False)
                if done:
                    yield from done
                    done.clear()
            parser.Parse(b"", True)
        if pending:
            hand_out(max(pending))
        yield from done
        self.widest = widest


_C, _V, _F, _IS, _ROW = 1, 2, 3, 4, 5
_CODES = {"c": _C, "v": _V, "f": _F, "is": _IS, "row": _ROW}
_DIGITS = "0123456789"


def _position(ref: str, row_only: bool = False) -> tuple[int, int]:
    """``B12`` → (11, 1): calamine's reading of a reference (letters, then digits; from 0)."""
    col = 0
    i = 0
    for i, ch in enumerate(ref):  # noqa: B007 - i is where the digits start
        if "A" <= ch <= "Z":
            col = col * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            col = col * 26 + ord(ch) - 96
        else:
            break
    else:
        i = len(ref)
    digits = ref[i:]
    if not digits.isdigit() or not digits.isascii() or int(digits) == 0 or (col == 0 and not row_only):
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(digits) - 1, col - 1
