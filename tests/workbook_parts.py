"""Looking inside a workbook file as the zip of XML parts it is, with the standard library only."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def members(book: Path) -> dict[str, bytes]:
    """Every zip member's uncompressed bytes, by name."""
    with zipfile.ZipFile(book) as z:
        return {name: z.read(name) for name in z.namelist()}


def sheet_part(book: Path, title: str) -> str:
    with zipfile.ZipFile(book) as z:
        workbook = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.iter(f"{PKG}Relationship")}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        if sheet.get("name") == title:
            target = targets[sheet.get(f"{REL}id")]
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise KeyError(title)


def cells(book: Path, title: str) -> dict[str, bytes]:
    """Each cell's XML in canonical form (C14N), by reference."""
    with zipfile.ZipFile(book) as z:
        root = ElementTree.fromstring(z.read(sheet_part(book, title)))
    out = {}
    for c in root.iter(f"{MAIN}c"):
        out[c.get("r")] = _canonical(c)
    return out


def cell_xml(book: Path, title: str, ref: str) -> bytes:
    return cells(book, title)[ref]


def _canonical(element: ElementTree.Element) -> bytes:
    element.tail = None
    text = ElementTree.tostring(element, encoding="unicode")
    return ElementTree.canonicalize(text, strip_text=False).encode()


def row_of(ref: str) -> int:
    return int(re.sub(r"[A-Z$]", "", ref))
