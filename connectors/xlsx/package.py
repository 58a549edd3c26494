"""The workbook as the zip package it is: parts, their relationships, content types.

Only parts given a new body with :meth:`Package.put` are written anew; every other member
is copied into the new file with its bytes, name, date and order unchanged. A rewritten sheet
arrives compressed already (:mod:`.deflated`) and goes into the file as it is.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
from dataclasses import dataclass
from typing import IO

from clinicops.connectors.xlsx.deflated import DeflatedPart
from clinicops.connectors.xlsx.xml_nodes import Node, parse_tree, prefix_of, tree_bytes

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = REL_NS + "/officeDocument"
WORKSHEET = REL_NS + "/worksheet"
STYLES = REL_NS + "/styles"
SHARED_STRINGS = REL_NS + "/sharedStrings"
COMMENTS = REL_NS + "/comments"
VML_DRAWING = REL_NS + "/vmlDrawing"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"


@dataclass(frozen=True)
class SheetEntry:
    title: str
    part: str  # zip member name, e.g. xl/worksheets/sheet1.xml


class Package:
    def __init__(self, data: bytes | str) -> None:
        source = io.BytesIO(data) if isinstance(data, bytes) else data
        self.zip = zipfile.ZipFile(source)
        self.names = [i.filename for i in self.zip.infolist()]
        self._new: dict[str, bytes | DeflatedPart] = {}
        self._trees: dict[str, Node] = {}
        self._removed: set[str] = set()
        self.workbook_part = self._workbook_part()

    # members -----------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self._new or (name in self.names and name not in self._removed)

    def read(self, name: str) -> bytes:
        if name in self._new:
            data = self._new[name]
            return data.content() if isinstance(data, DeflatedPart) else data
        return self.zip.read(name)

    def open(self, name: str) -> IO[bytes]:
        """A part as a stream: a large sheet is parsed as it is inflated, never read whole."""
        if name in self._new:
            return io.BytesIO(self.read(name))
        return self.zip.open(name)

    def put(self, name: str, data: bytes | DeflatedPart) -> None:
        self._new[name] = data
        self._trees.pop(name, None)
        self._removed.discard(name)

    def remove(self, name: str) -> None:
        """Leave a part, its relationships part and its content type out of the saved file."""
        for member in (name, self.rels_name(name)):
            self._new.pop(member, None)
            self._trees.pop(member, None)
            self._removed.add(member)
        types = self.tree("[Content_Types].xml")
        kept = [e for e in types.children if not (isinstance(e, Node) and e.get("PartName") == "/" + name)]
        if len(kept) != len(types.children):
            types.children = kept
            self.touch("[Content_Types].xml")

    def remove_relationship(self, part: str, rel_id: str) -> None:
        name = self.rels_name(part)
        if self.has(name):
            root = self.tree(name)
            root.children = [e for e in root.children if not (isinstance(e, Node) and e.get("Id") == rel_id)]
            self.touch(name)

    def tree(self, name: str) -> Node:
        """A small XML part as a tree; edits to it are written by :meth:`save`."""
        if name not in self._trees:
            self._trees[name] = parse_tree(self.read(name))
        return self._trees[name]

    def put_tree(self, name: str, root: Node) -> None:
        """A new XML part, given as a tree; written by :meth:`save`."""
        self._new[name] = b""
        self._trees[name] = root
        self._removed.discard(name)

    def touch(self, name: str) -> None:
        """Mark a part got through :meth:`tree` as changed."""
        self._new[name] = b""

    def changed(self) -> set[str]:
        return set(self._new)

    def unused_name(self, pattern: str) -> str:
        """The first free name like ``xl/comments{}.xml``."""
        n = 1
        while self.has(pattern.format(n)):
            n += 1
        return pattern.format(n)

    def save(self, target: io.BufferedIOBase | str) -> None:
        for name in list(self._new):
            if name in self._trees:
                self._new[name] = tree_bytes(self._trees[name])
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in self.zip.infolist():
                if info.filename in self._removed:
                    continue
                if info.filename in self._new:
                    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    fresh.compress_type = zipfile.ZIP_DEFLATED
                    fresh.external_attr = info.external_attr
                    _write_member(out, fresh, self._new[info.filename])
                else:
                    _copy_member(self.zip, info, out)
            for name, data in self._new.items():
                if name not in self.names:
                    fresh = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    fresh.compress_type = zipfile.ZIP_DEFLATED
                    _write_member(out, fresh, data)

    # relationships and content types -----------------------------------------

    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part) for every internal relationship of ``part``."""
        name = self.rels_name(part)
        if not self.has(name):
            return []
        folder = posixpath.dirname(part)
        out = []
        for rel in self.tree(name).elements():
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target") or ""
            full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out.append((rel.get("Id") or "", rel.get("Type") or "", full))
        return out

    def related(self, part: str, rel_type: str) -> str | None:
        return next((t for _, kind, t in self.relationships(part) if kind == rel_type), None)

    def add_relationship(self, part: str, rel_type: str, target: str) -> str:
        name = self.rels_name(part)
        if not self.has(name):
            self.put_tree(name, Node("Relationships", ["xmlns", PACKAGE_REL_NS]))
            self.add_content_default("rels", CT_RELS)
        root = self.tree(name)
        taken = {rel.get("Id") for rel in root.elements()}
        n = 1
        while f"rId{n}" in taken:
            n += 1
        rel_id = f"rId{n}"
        relative = posixpath.relpath(target, posixpath.dirname(part))
        root.children.append(
            Node(prefix_of(root.name) + "Relationship", ["Id", rel_id, "Type", rel_type, "Target", relative])
        )
        self.touch(name)
        return rel_id

    def add_content_override(self, part: str, content_type: str) -> None:
        root = self.tree("[Content_Types].xml")
        if any(e.local == "Override" and e.get("PartName") == "/" + part for e in root.elements()):
            return
        root.children.append(
            Node(prefix_of(root.name) + "Override", ["PartName", "/" + part, "ContentType", content_type])
        )
        self.touch("[Content_Types].xml")

    def add_content_default(self, extension: str, content_type: str) -> None:
        root = self.tree("[Content_Types].xml")
        if any(e.local == "Default" and (e.get("Extension") or "").lower() == extension for e in root.elements()):
            return
        root.children.insert(
            0, Node(prefix_of(root.name) + "Default", ["Extension", extension, "ContentType", content_type])
        )
        self.touch("[Content_Types].xml")

    # the workbook ------------------------------------------------------------

    def _workbook_part(self) -> str:
        for _, kind, target in self.relationships(""):
            if kind == OFFICE_DOCUMENT:
                return target
        return "xl/workbook.xml"

    def sheets(self) -> list[SheetEntry]:
        targets = {rid: target for rid, kind, target in self.relationships(self.workbook_part) if kind == WORKSHEET}
        book = self.tree(self.workbook_part)
        listing = book.find("sheets")
        out = []
        for sheet in listing.elements() if listing is not None else ():
            rid = next(
                (sheet.attrs[i + 1] for i in range(0, len(sheet.attrs), 2) if sheet.attrs[i].endswith(":id")), ""
            )
            if rid in targets:
                out.append(SheetEntry(sheet.get("name") or "", targets[rid]))
        return out

    def date1904(self) -> bool:
        props = self.tree(self.workbook_part).find("workbookPr")
        return props is not None and (props.get("date1904") or "").lower() in ("1", "true")

    def styles_part(self) -> str | None:
        return self.related(self.workbook_part, STYLES)

    def shared_strings_part(self) -> str | None:
        return self.related(self.workbook_part, SHARED_STRINGS)


def _write_member(out: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes | DeflatedPart) -> None:
    if not isinstance(data, DeflatedPart):
        out.writestr(info, data)
        return
    if out.fp is None:
        raise ValueError("the zip file is closed")
    info.flag_bits &= ~0x08  # sizes go in the header, no data descriptor after the data
    info.CRC = data.crc
    info.compress_size = data.compress_size
    info.file_size = data.size
    _write_raw(out, info, data.chunks)


def _write_raw(out: zipfile.ZipFile, info: zipfile.ZipInfo, chunks: tuple[bytes, ...]) -> None:
    """Write a member whose compressed bytes, CRC and sizes are known: the header, then the bytes."""
    assert out.fp is not None
    info.header_offset = out.fp.tell()
    out.fp.write(info.FileHeader())
    for chunk in chunks:
        out.fp.write(chunk)
    out.filelist.append(info)
    out.NameToInfo[info.filename] = info
    out.start_dir = out.fp.tell()
    out._didModify = True


def _copy_member(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """Copy a member as it is: same name, date, attributes and bytes.

    Its compressed bytes are copied as they are (no inflating and deflating a 100,000-row sheet
    that did not change); the standard library has no public call for that, so a member it
    would not write the same way (encrypted, or a layout this does not recognise) is
    decompressed and compressed again instead, which keeps its content byte for byte all the same.
    """
    if not _copy_compressed(source, info, out):
        _copy_inflated(source, info, out)


def _copy_compressed(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> bool:
    if info.flag_bits & 0x1 or source.fp is None or out.fp is None:
        return False
    source.fp.seek(info.header_offset)
    header = source.fp.read(zipfile.sizeFileHeader)
    if len(header) != zipfile.sizeFileHeader:
        return False
    fields = struct.unpack(zipfile.structFileHeader, header)
    if fields[0] != zipfile.stringFileHeader:
        return False
    source.fp.seek(fields[10] + fields[11], 1)  # the name and the extra field
    data = source.fp.read(info.compress_size)
    if len(data) != info.compress_size:
        return False
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    copy.flag_bits = info.flag_bits & ~0x08  # sizes go in the header, no data descriptor after the data
    copy.CRC = info.CRC
    copy.compress_size = info.compress_size
    copy.file_size = info.file_size
    _write_raw(out, copy, (data,))
    return True


def _copy_inflated(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.comment = info.comment
    with source.open(info) as src, out.open(copy, "w") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
