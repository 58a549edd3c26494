"""One cell's XML: its address, and the value clinicops writes into it.

Values go in as Excel stores them: numbers and booleans as such, dates as serial numbers
(with a date format, so every program shows a date), text as an inline string. Inline
strings keep the shared-strings table untouched; text is never a formula, whatever it starts with.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from clinicops.connectors.xlsx.xml_nodes import Node

_REF = re.compile(r"([A-Z]+)(\d+)")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
EPOCH_1900 = dt.datetime(1899, 12, 30)
EPOCH_1904 = dt.datetime(1904, 1, 1)


def column_letter(col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int]:
    """``B12`` → (12, 2)."""
    m = _REF.fullmatch(ref.replace("$", "").upper())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)), column_index(m.group(1))


def cell_ref(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def serial(value: dt.date, date1904: bool = False) -> float | int:
    """Excel's serial number of a date or a naive local date-time."""
    epoch = EPOCH_1904 if date1904 else EPOCH_1900
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - epoch
        return round(delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000, 10)
    return (value - epoch.date()).days


def escape_text(value: str) -> str:
    """Characters XML cannot hold are written as Excel writes them (``_x0001_``)."""
    return _ILLEGAL.sub(
        lambda m: f"_x{ord(m.group(0)[0]):04X}_" if len(m.group(0)) == 1 else "_x005F" + m.group(0), value
    )


def fill_cell(cell: Node, value: Any, prefix: str, date1904: bool) -> None:
    """Replace the value of ``cell`` (keeping its address and its other attributes but ``t``)."""
    cell.children = []
    cell.drop("t")
    for stale in ("cm", "vm"):
        cell.drop(stale)
    if value is None or value == "":
        return
    if isinstance(value, bool):
        cell.set("t", "b")
        cell.children.append(Node(prefix + "v", [], ["1" if value else "0"]))
    elif isinstance(value, dt.date):
        cell.children.append(Node(prefix + "v", [], [_number(serial(value, date1904))]))
    elif isinstance(value, int | float) and not (isinstance(value, float) and not math.isfinite(value)):
        cell.children.append(Node(prefix + "v", [], [_number(value)]))
    else:
        text = escape_text(str(value))
        t = Node(prefix + "t", [], [text])
        if text != text.strip() or "\n" in text:
            t.set("xml:space", "preserve")
        cell.set("t", "inlineStr")
        cell.children.append(Node(prefix + "is", [], [t]))


def _number(value: float | int) -> str:
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return repr(value)


def has_value(cell: Node) -> bool:
    """True when the cell holds something (a value, text, a formula), not only a style."""
    return any(
        isinstance(c, Node) and c.local in ("v", "is", "f") and (c.local != "v" or c.text() != "")
        for c in cell.children
    )
