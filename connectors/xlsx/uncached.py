"""Cells that hold a formula but no computed value: the reader sees them as empty, and they are not.

Excel and LibreOffice store each formula's last result beside it; programs that write
workbooks without calculating them (openpyxl, many exporters) leave the result out.
python-calamine then reads the cell as empty, and a sync would take that for a cleared
cell. This finds those cells in a worksheet part, so the sync can report them instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO
from xml.etree.ElementTree import iterparse

_REF = re.compile(r"([A-Z]+)(\d+)")
_FORMULA = re.compile(rb"<(\w+:)?f[ >/]")
_ROOT = re.compile(rb"<(\w+:)?worksheet[ >]")
_CHUNK = 1 << 20
_OVERLAP = 64  # longer than any formula element's start, ``<prefix:f `` included
_TRIES = 32  # ``f`` found this often in a chunk without a formula: the needle itself is searched for


def uncached_formulas(open_part: Callable[[], IO[bytes]]) -> frozenset[tuple[int, int]]:
    """(row number, column index from 0) of each cell of a worksheet part with a formula and no value.

    ``open_part`` opens the part as a stream each time it is called: a large part is read a
    chunk at a time, never held whole beside the sheet already parsed from it.
    """
    with open_part() as stream:
        if not _has_formula(stream):
            return frozenset()
    found: set[tuple[int, int]] = set()
    with open_part() as stream:
        for _, elem in iterparse(stream):
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


def _has_formula(stream: IO[bytes]) -> bool:
    """Whether the part has a formula element at all: ``<f`` (``<x:f`` in a part whose elements carry a
    prefix), trying the pattern only where it is found. Each chunk keeps the previous one's last bytes,
    so an element split between two chunks is still found."""
    buffer = stream.read(max(_CHUNK, 4096))  # the root element, whose prefix the needle takes, is in it
    root = _ROOT.search(buffer, 0, 4096)
    needle = b"<" + root.group(1) + b"f" if root is not None and root.group(1) else b"<f"
    while buffer:
        if _formula_in(buffer, needle):
            return True
        more = stream.read(_CHUNK)
        if not more:
            return False
        buffer = buffer[-_OVERLAP:] + more
    return False


def _formula_in(buffer: bytes, needle: bytes) -> bool:
    """Whether a formula element starts in ``buffer``.

    Its ``f`` is looked for first, by ``memchr``: a worksheet's cells hold numbers and indexes into
    the shared strings, so ``f`` is rare and this is many times faster than a search for ``<f``,
    which stops at every ``<``. Where ``f`` is common (text typed into the cells themselves), the
    search for the needle takes over after a few tries.
    """
    back = len(needle) - 1
    at = buffer.find(b"f", back)
    for _ in range(_TRIES):
        if at < 0:
            return False
        if buffer.startswith(needle, at - back) and _FORMULA.match(buffer, at - back):
            return True
        at = buffer.find(b"f", at + 1)
    at = buffer.find(needle, max(at - back, 0)) if at >= 0 else -1
    while at >= 0:
        if _FORMULA.match(buffer, at):
            return True
        at = buffer.find(needle, at + len(needle))
    return False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
