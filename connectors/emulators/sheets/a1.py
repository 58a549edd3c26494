"""A1 notation: parsing what clients send and writing what the API echoes back.

The API accepts ``Sheet1!A1:C10``, whole columns ``A:C``, whole rows ``2:5``,
open-ended ``A2:Z``, a bare sheet name (the whole sheet) and quoted names with doubled
quotes (``'Front desk'!A1``, ``'Bob''s'!A1``). It echoes ranges back normalized, quoting a
title only when it has to, e.g. ``Patients!A1:Z1000`` or ``'Front desk'!A2:C7``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ApiError, invalid

#: Google Sheets allows columns up to ZZZ.
MAX_COLUMNS = 18278

_CELL_SIDE = re.compile(r"^\$?([A-Za-z]{1,3})?\$?([0-9]+)?$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE_TITLE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[Rr][0-9]*[Cc][0-9]*$")


def column_letters(index: int) -> str:
    """Letters of a 0-based column index: 0 -> ``A``, 26 -> ``AA``."""
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """0-based index of column letters (case-insensitive): ``A`` -> 0, ``AA`` -> 26."""
    n = 0
    for char in letters.upper():
        n = n * 26 + (ord(char) - ord("A") + 1)
    return n - 1


def cell_name(row: int, col: int) -> str:
    """``A1`` name of a 0-based (row, column)."""
    return f"{column_letters(col)}{row + 1}"


def quote_title(title: str) -> str:
    """A sheet title as the API writes it in a range: bare when unambiguous, else quoted."""
    if _PLAIN_TITLE.match(title) and not _CELL_LIKE_TITLE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_cells(start_row: int, start_col: int, end_row: int, end_col: int) -> str:
    """A1 of a half-open box of cells without a sheet: ``B2``, ``A1:Z1000``."""
    first = cell_name(start_row, start_col)
    if end_row - start_row == 1 and end_col - start_col == 1:
        return first
    return f"{first}:{cell_name(end_row - 1, end_col - 1)}"


def format_range(title: str, start_row: int, start_col: int, end_row: int, end_col: int) -> str:
    """Normalized A1 of a half-open box of cells, e.g. ``Patients!A1:Z1000`` or ``Patients!B2``."""
    return f"{quote_title(title)}!{format_cells(start_row, start_col, end_row, end_col)}"


@dataclass(frozen=True)
class CellSpan:
    """The cell part of a range, 0-based and half-open; ``None`` means "to the grid edge"."""

    start_row: int | None
    start_col: int | None
    end_row: int | None
    end_col: int | None
    text: str
    single_cell: bool = False


@dataclass(frozen=True)
class RangeRef:
    """A range split into sheet title and cell part, before it meets a spreadsheet.

    ``sheet`` is the unquoted title; ``cells`` is ``None`` for a whole sheet. Without a
    ``!`` the text is ambiguous (``Patients`` or ``A1:B2``), so ``sheet`` is ``None`` and
    ``cells`` holds the text: the spreadsheet decides whether it names a sheet.
    """

    sheet: str | None
    cells: str | None


def unparsable(text: str) -> ApiError:
    """The 400 the API answers for a range it cannot read or whose sheet does not exist."""
    return invalid(f"Unable to parse range: {text}")


def split_range(text: str) -> RangeRef:
    """Separate the (possibly quoted) sheet title from the cell part."""
    if not text:
        raise unparsable(text)
    if text.startswith("'"):
        title_chars: list[str] = []
        i = 1
        while i < len(text):
            char = text[i]
            if char == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title_chars.append("'")
                    i += 2
                    continue
                break
            title_chars.append(char)
            i += 1
        else:
            raise unparsable(text)
        title = "".join(title_chars)
        rest = text[i + 1 :]
        if not title:
            raise unparsable(text)
        if rest == "":
            return RangeRef(title, None)
        if not rest.startswith("!") or len(rest) == 1:
            raise unparsable(text)
        return RangeRef(title, rest[1:])
    if "!" in text:
        title, cells = text.split("!", 1)
        if not title or not cells:
            raise unparsable(text)
        return RangeRef(title, cells)
    return RangeRef(None, text)


def _side(part: str) -> tuple[int | None, int | None] | None:
    """(column, row) of one side of ``A1:B2``, 0-based; ``None`` if it is not a cell side."""
    match = _CELL_SIDE.match(part)
    if not match or not (match.group(1) or match.group(2)):
        return None
    col = column_index(match.group(1)) if match.group(1) else None
    row = int(match.group(2)) - 1 if match.group(2) else None
    if row is not None and row < 0:
        return None
    if col is not None and col >= MAX_COLUMNS:
        return None
    return col, row


def parse_cells(text: str) -> CellSpan | None:
    """Parse ``A1``, ``A1:B2``, ``A:C``, ``2:5``, ``A2:Z``; ``None`` when it is not a range."""
    if ":" not in text:
        side = _side(text)
        if side is None or side[0] is None or side[1] is None:
            return None
        col, row = side
        return CellSpan(row, col, row + 1, col + 1, text, single_cell=True)
    left_text, right_text = text.split(":", 1)
    left, right = _side(left_text), _side(right_text)
    if left is None or right is None:
        return None
    (c0, r0), (c1, r1) = left, right
    full_left = c0 is not None and r0 is not None
    columns = r0 is None and r1 is None and c0 is not None and c1 is not None
    rows = c0 is None and c1 is None and r0 is not None and r1 is not None
    if not (full_left or columns or rows):
        return None
    if c0 is not None and c1 is not None and c0 > c1:
        c0, c1 = c1, c0
    if r0 is not None and r1 is not None and r0 > r1:
        r0, r1 = r1, r0
    return CellSpan(
        start_row=r0,
        start_col=c0,
        end_row=None if r1 is None else r1 + 1,
        end_col=None if c1 is None else c1 + 1,
        text=text,
    )
