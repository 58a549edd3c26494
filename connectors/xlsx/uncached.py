"""Cells that hold a formula but no computed value: the reader sees them as empty, and they are not.

Excel and LibreOffice store each formula's last result beside it; programs that write
workbooks without calculating them (openpyxl, many exporters) leave the result out.
python-calamine then reads the cell as empty, and a sync would take that for a cleared
cell. This finds those cells in a worksheet part, so the sync can report them instead.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import iterparse

_REF = re.compile(r"([A-Z]+)(\d+)")
_FORMULA = re.compile(rb"<(\w+:)?f[ >/]")


def uncached_formulas(path: Path, part: str) -> frozenset[tuple[int, int]]:
    """(row number, column index from 0) of each cell in the part with a formula and no value."""
    with zipfile.ZipFile(path) as book:
        data = book.read(part)
    if not _FORMULA.search(data):
        return frozenset()
    found: set[tuple[int, int]] = set()
    for _, elem in iterparse(io.BytesIO(data)):
        if _local(elem.tag) != "c":
            continue
        children = {_local(child.tag): child for child in elem}
        value = children.get("v")
        empty = value is None or not (value.text or "")
        if "f" in children and empty and elem.get("t") != "str":  # "str": the formula computed ""
            match = _REF.fullmatch(elem.get("r") or "")
            if match:
                found.add((int(match.group(2)), _column(match.group(1))))
        elem.clear()
    return frozenset(found)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
