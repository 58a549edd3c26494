"""The workbook's cell styles (``xl/styles.xml``): the few clinicops needs, added beside the staff's own.

A cell clinicops writes keeps its style and gets only what its value needs on top: a date
format for a date, Text (``@``) for an identifier, the pink highlight of a bad cell. Each such
combination is one more entry in ``cellXfs`` (reused when it exists already); no existing
entry is ever changed, so no other cell changes its look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinicops.connectors.xlsx.xml_nodes import Node, prefix_of

ERROR_RGB = "FFFFC7CE"
HEADER_RGB = "FFDDEBF7"
PLUGIN_RGB = "FFE7E6E6"
ERRORS_HEADER_FONT_RGB = "FF9C0006"

BUILTIN_FORMATS = {0: "General", 14: "mm-dd-yy", 49: "@"}
DATE_BUILTINS = frozenset({*range(14, 23), 45, 46, 47})
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def is_date_format(code: str) -> bool:
    """True for a number format that shows a date or time (Excel's own test: d, m, y, h or s outside quotes)."""
    bare = _QUOTED.sub("", code).lower()
    return any(ch in bare for ch in "dymhs") and "general" not in bare


@dataclass(frozen=True)
class Look:
    """What a written cell needs on top of its current style; None keeps that aspect as it is."""

    number_format: str | None = None
    error_fill: bool | None = None
    quote_prefix: bool | None = None
    wrap: bool | None = None
    bold: bool | None = None
    font_rgb: str | None = None
    fill_rgb: str | None = None


class StyleBook:
    def __init__(self, root: Node) -> None:
        self.root = root
        self.changed = False
        self._p = prefix_of(root.name)
        self._xfs = self._section("cellXfs")
        self._fills = self._section("fills")
        self._fonts = self._section("fonts")
        self._cache: dict[tuple[int, Look], int] = {}
        self._formats = dict(BUILTIN_FORMATS)
        numfmts = root.find("numFmts")
        for fmt in numfmts.elements() if numfmts is not None else ():
            self._formats[int(fmt.get("numFmtId") or 0)] = fmt.get("formatCode") or ""

    def _section(self, local: str) -> Node:
        node = self.root.find(local)
        if node is None:
            node = Node(self._p + local, ["count", "0"])
            order = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs"]
            at = len(self.root.children)
            for i, child in enumerate(self.root.children):
                if isinstance(child, Node) and child.local not in order[: order.index(local) + 1]:
                    at = i
                    break
            self.root.children.insert(at, node)
        return node

    def _xf(self, index: int) -> Node | None:
        xfs = [x for x in self._xfs.elements()]
        return xfs[index] if 0 <= index < len(xfs) else None

    def number_format(self, index: int) -> str:
        xf = self._xf(index)
        return self._formats.get(int(xf.get("numFmtId") or 0), "") if xf is not None else "General"

    def is_date(self, index: int) -> bool:
        xf = self._xf(index)
        if xf is None:
            return False
        fmt_id = int(xf.get("numFmtId") or 0)
        return fmt_id in DATE_BUILTINS or is_date_format(self._formats.get(fmt_id, ""))

    def has_error_fill(self, index: int) -> bool:
        xf = self._xf(index)
        if xf is None:
            return False
        fills = list(self._fills.elements())
        fill_id = int(xf.get("fillId") or 0)
        return fill_id < len(fills) and _fill_rgb(fills[fill_id]) == ERROR_RGB

    def derive(self, base: int, look: Look) -> int:
        """The index of a style like ``base`` with ``look`` applied (added once, then reused)."""
        key = (base, look)
        if key in self._cache:
            return self._cache[key]
        source = self._xf(base) or self._xf(0)
        xf = Node(source.name, list(source.attrs), _copy_children(source.children)) if source else Node(self._p + "xf")
        if look.number_format is not None:
            xf.set("numFmtId", str(self._format_id(look.number_format)))
            xf.set("applyNumberFormat", "1")
        if look.error_fill is not None:
            if look.error_fill:
                xf.set("fillId", str(self._fill_id(ERROR_RGB)))
            elif self.has_error_fill(base):
                xf.set("fillId", "0")
            xf.set("applyFill", "1")
        if look.fill_rgb is not None:
            xf.set("fillId", str(self._fill_id(look.fill_rgb)))
            xf.set("applyFill", "1")
        if look.quote_prefix is not None:
            if look.quote_prefix:
                xf.set("quotePrefix", "1")
            else:
                xf.drop("quotePrefix")
        if look.bold is not None or look.font_rgb is not None:
            xf.set("fontId", str(self._font_id(look.bold or False, look.font_rgb)))
            xf.set("applyFont", "1")
        if look.wrap is not None:
            alignment = xf.find("alignment")
            if alignment is None:
                alignment = Node(self._p + "alignment")
                xf.children.insert(0, alignment)
            alignment.set("wrapText", "1" if look.wrap else "0")
            alignment.set("vertical", "top")
            xf.set("applyAlignment", "1")
        index = self._find_or_add(self._xfs, xf)
        self._cache[key] = index
        return index

    def _find_or_add(self, section: Node, node: Node) -> int:
        wanted = _signature(node)
        existing = list(section.elements())
        for i, candidate in enumerate(existing):
            if _signature(candidate) == wanted:
                return i
        section.children.append(node)
        section.set("count", str(len(existing) + 1))
        self.changed = True
        return len(existing)

    def _format_id(self, code: str) -> int:
        for fmt_id, known in self._formats.items():
            if known == code:
                return fmt_id
        fmt_id = max([163, *self._formats]) + 1
        self._formats[fmt_id] = code
        numfmts = self._section("numFmts")
        numfmts.children.append(Node(self._p + "numFmt", ["numFmtId", str(fmt_id), "formatCode", code]))
        numfmts.set("count", str(len(list(numfmts.elements()))))
        self.changed = True
        return fmt_id

    def _fill_id(self, rgb: str) -> int:
        for i, fill in enumerate(self._fills.elements()):
            if _fill_rgb(fill) == rgb:
                return i
        p = self._p
        fill = Node(
            p + "fill",
            [],
            [
                Node(
                    p + "patternFill",
                    ["patternType", "solid"],
                    [Node(p + "fgColor", ["rgb", rgb]), Node(p + "bgColor", ["indexed", "64"])],
                )
            ],
        )
        return self._find_or_add(self._fills, fill)

    def _font_id(self, bold: bool, rgb: str | None) -> int:
        fonts = list(self._fonts.elements())
        base = fonts[0] if fonts else Node(self._p + "font")
        font = Node(
            base.name,
            list(base.attrs),
            [c for c in _copy_children(base.children) if isinstance(c, Node) and c.local not in ("b", "color")],
        )
        if bold:
            font.children.insert(0, Node(self._p + "b"))
        if rgb:
            font.children.append(Node(self._p + "color", ["rgb", rgb]))
        return self._find_or_add(self._fonts, font)


def _fill_rgb(fill: Node) -> str | None:
    pattern = fill.find("patternFill")
    if pattern is None or pattern.get("patternType") != "solid":
        return None
    color = pattern.find("fgColor")
    rgb = color.get("rgb") if color is not None else None
    return rgb.upper() if rgb else None


def _copy_children(children: list) -> list:
    return [c if isinstance(c, str) else Node(c.name, list(c.attrs), _copy_children(c.children)) for c in children]


def _signature(node: Node) -> tuple:
    return (
        node.local,
        tuple(sorted(zip(node.attrs[::2], node.attrs[1::2], strict=True))),
        tuple(_signature(c) for c in node.elements()),
    )
