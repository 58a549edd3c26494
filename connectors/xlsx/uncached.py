"""Cells that hold a formula but no computed value: the reader sees them as empty, and they are not.

Excel and LibreOffice store each formula's last result beside it; programs that write
workbooks without calculating them (openpyxl, many exporters) leave the result out.
python-calamine then reads the cell as empty, and a sync would take that for a cleared
cell. This finds those cells in a worksheet part, so the sync can report them instead.
"""

from __future__ import annotations

import io
import re
from xml.etree.ElementTree import iterparse

_REF = re.compile(r"([A-Z]+)(\d+)")
_FORMULA = re.compile(rb"<(\w+:)?f[ >/]")
_ROOT = re.compile(rb"<(\w+:)?worksheet[ >]")


def uncached_formulas(data: bytes) -> frozenset[tuple[int, int]]:
    """(row number, column index from 0) of each cell of a worksheet part with a formula and no value."""
    if not _has_formula(data):
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


def _has_formula(data: bytes) -> bool:
    """Whether the part has a formula element at all: a search for the rare ``<f`` (``<x:f`` in a part
    whose elements carry a prefix), trying the pattern only where it is found; the pattern alone
    stops at every ``<`` of a large part."""
    root = _ROOT.search(data, 0, 4096)
    needle = b"<" + root.group(1) + b"f" if root is not None and root.group(1) else b"<f"
    at = data.find(needle)
    while at >= 0:
        if _FORMULA.match(data, at):
            return True
        at = data.find(needle, at + len(needle))
    return False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
