"""Cells that hold a formula but no computed value: the reader sees them as empty, and they are not.

Excel and LibreOffice store each formula's last result beside it; programs that write
workbooks without calculating them (openpyxl, many exporters) leave the result out.
python-calamine then reads the cell as empty, and a sync would take that for a cleared
cell. This finds those cells in a worksheet part, so the sync can report them instead.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import iterparse

_REF = re.compile(r"([A-Z]+)(\d+)")
_FORMULA = re.compile(rb"<(\w+:)?f[ >/]")


def uncached_formulas(path: Path, part: str) -> frozenset[tuple[int, int]]:
    """(row number, column index from 0) of each cell in the part with a formula and no value.

    The part is read as a stream, never whole: a 100,000-row sheet's XML is larger than its rows.
    """
    with zipfile.ZipFile(path) as book:
        with book.open(part) as data:
            if not _has_formula(data):
                return frozenset()
        found: set[tuple[int, int]] = set()
        with book.open(part) as data:
            for _, elem in iterparse(data):
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


def _has_formula(data: IO[bytes]) -> bool:
    """Whether the part holds a formula element, read a megabyte at a time."""
    tail = b""
    while chunk := data.read(1 << 20):
        if _FORMULA.search(tail + chunk):
            return True
        tail = chunk[-16:]  # a tag cut in two by the chunks' boundary is found in the next search
    return False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
