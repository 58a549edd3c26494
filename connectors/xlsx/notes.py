"""Cell notes (comments) of one sheet: clinicops's messages beside the staff's own.

A clinicops message is recognised by its content, a line starting with :data:`MARKER`, never
by its author (LibreOffice rewrites authors on save). On a cell that already has a person's
note, the message is added below their text and later removed from it; their text stays.
Excel shows notes through a VML drawing part, kept in step here: a shape per note, placed
beside its cell.
"""

from __future__ import annotations

from collections.abc import Callable
from xml.parsers.expat import ExpatError

from clinicops.connectors.xlsx import package as pk
from clinicops.connectors.xlsx.cells import cell_ref, split_ref
from clinicops.connectors.xlsx.xml_nodes import Node, parse_tree, prefix_of, tree_bytes, write_node

MARKER = "[clinicops] "
AUTHOR = "clinicops"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def is_ours(text: str) -> bool:
    return text.startswith(MARKER) or ("\n" + MARKER) in text


def staff_part(text: str) -> str:
    """The note's text without clinicops's message."""
    if text.startswith(MARKER):
        return ""
    return text.split("\n" + MARKER, 1)[0]


class SheetNotes:
    def __init__(self, package: pk.Package, sheet_part: str) -> None:
        self.package = package
        self.sheet_part = sheet_part
        self.part = package.related(sheet_part, pk.COMMENTS)
        self.vml_part = package.related(sheet_part, pk.VML_DRAWING)
        self.root: Node | None = package.tree(self.part) if self.part else None
        self.changed = False

    def _list(self) -> Node:
        assert self.root is not None
        listing = self.root.find("commentList")
        if listing is None:
            listing = Node(prefix_of(self.root.name) + "commentList")
            self.root.children.append(listing)
        return listing

    def comments(self) -> dict[tuple[int, int], Node]:
        if self.root is None:
            return {}
        return {split_ref(c.get("ref") or "A1"): c for c in self._list().elements() if c.local == "comment"}

    @staticmethod
    def text_of(comment: Node) -> str:
        body = comment.find("text")
        if body is None:
            return ""
        return "".join(_run_text(n) for n in body.elements() if n.local in ("t", "r"))

    def ours(self) -> set[tuple[int, int]]:
        return {cell for cell, c in self.comments().items() if is_ours(self.text_of(c))}

    def needs_part(self) -> bool:
        return self.root is None

    def create(self) -> str | None:
        """Make the comments and drawing parts; returns the legacyDrawing relationship id the sheet needs, if any."""
        package = self.package
        self.part = package.unused_name("xl/comments{}.xml")
        self.root = Node(
            "comments", ["xmlns", MAIN_NS], [Node("authors", [], [Node("author", [], [AUTHOR])]), Node("commentList")]
        )
        package.put_tree(self.part, self.root)
        package.add_content_override(self.part, pk.CT_COMMENTS)
        package.add_relationship(self.sheet_part, pk.COMMENTS, self.part)
        self.changed = True
        if self.vml_part is None:
            self.vml_part = package.unused_name("xl/drawings/vmlDrawing{}.vml")
            package.put(self.vml_part, _vml_document([]))
            package.add_content_default("vml", pk.CT_VML)
            return package.add_relationship(self.sheet_part, pk.VML_DRAWING, self.vml_part)
        return None

    # changes -----------------------------------------------------------------

    def _author_id(self, name: str) -> str:
        assert self.root is not None
        authors = self.root.find("authors")
        if authors is None:
            authors = Node(prefix_of(self.root.name) + "authors")
            self.root.children.insert(0, authors)
        names = [a.text() for a in authors.elements()]
        if name not in names:
            authors.children.append(Node(prefix_of(self.root.name) + "author", [], [name]))
            names.append(name)
        return str(names.index(name))

    def set_message(self, cell: tuple[int, int], message: str) -> None:
        """Show ``message`` on the cell, below a person's note if there is one."""
        p = prefix_of(self.root.name) if self.root is not None else ""
        existing = self.comments().get(cell)
        if existing is not None and self.text_of(existing) == self._combined(existing, message):
            return
        self.changed = True
        if existing is None:
            comment = Node(p + "comment", ["ref", cell_ref(*cell), "authorId", self._author_id(AUTHOR)])
            comment.children.append(Node(p + "text", [], [_t(p, MARKER + message)]))
            self._list().children.append(comment)
            return
        self._strip(existing)
        body = existing.find("text")
        if body is None:
            body = Node(p + "text")
            existing.children.append(body)
        staff = self.text_of(existing)
        if not staff.strip():
            body.children = [_t(p, MARKER + message)]
            return
        runs = [n for n in body.elements() if n.local == "r"]
        if not runs:  # a plain note becomes one run, so that our text can follow it as another
            body.children = [
                Node(p + "r", [], [n]) if isinstance(n, Node) and n.local == "t" else n for n in body.children
            ]
        body.children.append(Node(p + "r", [], [_t(p, "\n" + MARKER + message)]))

    def _combined(self, comment: Node, message: str) -> str:
        staff = staff_part(self.text_of(comment))
        return (staff + "\n" if staff.strip() else "") + MARKER + message

    def remove_message(self, cell: tuple[int, int]) -> None:
        existing = self.comments().get(cell)
        if existing is None or not is_ours(self.text_of(existing)):
            return
        self.changed = True
        self._strip(existing)
        if not self.text_of(existing).strip():
            self._list().children.remove(existing)

    def _strip(self, comment: Node) -> None:
        """Take clinicops's message out of a note, leaving the person's text as it was."""
        body = comment.find("text")
        if body is None:
            return
        runs = [n for n in body.elements() if n.local == "r"]
        mine = [r for r in runs if _run_text(r).lstrip("\n").startswith(MARKER)]
        for run in mine:
            body.children.remove(run)
        if is_ours(self.text_of(comment)):
            p = prefix_of(comment.name)
            body.children = [_t(p, staff_part(self.text_of(comment)))]

    def set_header_note(self, col: int, text: str) -> None:
        if (1, col) in self.comments():
            return
        p = prefix_of(self.root.name) if self.root is not None else ""
        comment = Node(p + "comment", ["ref", cell_ref(1, col), "authorId", self._author_id(AUTHOR)])
        comment.children.append(Node(p + "text", [], [_t(p, MARKER + text)]))
        self._list().children.append(comment)
        self.changed = True

    def move_rows(self, moved: Callable[[int], int | None]) -> None:
        """Follow rows that moved up or went away."""
        if self.root is None:
            return
        listing = self._list()
        for comment in list(listing.elements()):
            row, col = split_ref(comment.get("ref") or "A1")
            new = moved(row) if row > 1 else row
            if new == row:
                continue
            self.changed = True
            if new is None:
                listing.children.remove(comment)
            else:
                comment.set("ref", cell_ref(new, col))

    def save(self) -> None:
        if not self.changed or self.root is None or self.part is None:
            return
        listing = self._list()
        comments = sorted(listing.elements(), key=lambda c: split_ref(c.get("ref") or "A1"))
        listing.children = list(comments)
        self.package.touch(self.part)
        if self.vml_part:
            cells = [split_ref(c.get("ref") or "A1") for c in comments]
            self.package.put(self.vml_part, _vml_for(self.package, self.vml_part, cells))


def _t(prefix: str, value: str) -> Node:
    node = Node(prefix + "t", [], [value])
    if value != value.strip() or "\n" in value:
        node.set("xml:space", "preserve")
    return node


def _run_text(node: Node) -> str:
    if node.local == "t":
        return node.text()
    return "".join(t.text() for t in node.elements() if t.local == "t")


# The drawing part: VML, as Excel expects it for notes ------------------------------------

VML_NS = [
    "xmlns:v",
    "urn:schemas-microsoft-com:vml",
    "xmlns:o",
    "urn:schemas-microsoft-com:office:office",
    "xmlns:x",
    "urn:schemas-microsoft-com:office:excel",
]
SHAPETYPE_ID = "_x0000_t202"


def _vml_for(package: pk.Package, part: str, cells: list[tuple[int, int]]) -> bytes:
    """The drawing with a note shape for exactly ``cells``; other shapes (form controls) are kept."""
    data = package.read(part)
    try:
        root = parse_tree(data) if data else None
    except ExpatError:  # Excel's own VML is not always well-formed XML; then it is written afresh
        root = None
    if root is None:
        return _vml_document(cells)
    shapes: dict[tuple[int, int], Node] = {}
    keep: list = []
    for child in root.children:
        cell = _note_cell(child) if isinstance(child, Node) else None
        if cell is None:
            keep.append(child)
        elif cell in cells and cell not in shapes:
            shapes[cell] = child
    if not any(isinstance(c, Node) and c.local == "shapetype" and c.get("id") == SHAPETYPE_ID for c in keep):
        keep.append(_shapetype())
    used = {c.get("id") for c in root.elements()}
    next_id = 1025
    for cell in cells:
        if cell not in shapes:
            while f"_x0000_s{next_id}" in used:
                next_id += 1
            used.add(f"_x0000_s{next_id}")
            shapes[cell] = _shape(cell, next_id)
    root.children = keep + [shapes[c] for c in cells]
    return tree_bytes(root)


def _note_cell(node: Node) -> tuple[int, int] | None:
    if node.local != "shape":
        return None
    data = next((c for c in node.elements() if c.local == "ClientData" and c.get("ObjectType") == "Note"), None)
    if data is None:
        return None
    row = next((c.text() for c in data.elements() if c.local == "Row"), None)
    col = next((c.text() for c in data.elements() if c.local == "Column"), None)
    if row is None or col is None:
        return None
    return int(row) + 1, int(col) + 1


def _vml_document(cells: list[tuple[int, int]]) -> bytes:
    root = Node(
        "xml",
        list(VML_NS),
        [
            Node("o:shapelayout", ["v:ext", "edit"], [Node("o:idmap", ["v:ext", "edit", "data", "1"])]),
            _shapetype(),
        ],
    )
    root.children.extend(_shape(cell, 1025 + i) for i, cell in enumerate(cells))
    out: list[str] = []
    write_node(root, out)
    return "".join(out).encode("utf-8")


def _shapetype() -> Node:
    return Node(
        "v:shapetype",
        ["id", SHAPETYPE_ID, "coordsize", "21600,21600", "o:spt", "202", "path", "m,l,21600r21600,l21600,xe"],
        [
            Node("v:stroke", ["joinstyle", "miter"]),
            Node("v:path", ["gradientshapeok", "t", "o:connecttype", "rect"]),
        ],
    )


def _shape(cell: tuple[int, int], number: int) -> Node:
    """A hidden note shape anchored just right of its cell (so a note shown permanently sits beside it)."""
    row, col = cell[0] - 1, cell[1] - 1
    top = max(row - 1, 0)
    anchor = f"{col + 1}, 15, {top}, 10, {col + 4}, 15, {top + 5}, 4"
    return Node(
        "v:shape",
        [
            "id",
            f"_x0000_s{number}",
            "type",
            "#" + SHAPETYPE_ID,
            "style",
            "position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:240pt;height:80pt;"
            "z-index:1;visibility:hidden",
            "fillcolor",
            "#ffffe1",
            "o:insetmode",
            "auto",
        ],
        [
            Node("v:fill", ["color2", "#ffffe1"]),
            Node("v:shadow", ["on", "t", "color", "black", "obscured", "t"]),
            Node("v:path", ["o:connecttype", "none"]),
            Node("v:textbox", ["style", "mso-direction-alt:auto"], [Node("div", ["style", "text-align:left"])]),
            Node(
                "x:ClientData",
                ["ObjectType", "Note"],
                [
                    Node("x:MoveWithCells"),
                    Node("x:SizeWithCells"),
                    Node("x:Anchor", [], [anchor]),
                    Node("x:AutoFill", [], ["False"]),
                    Node("x:Row", [], [str(row)]),
                    Node("x:Column", [], [str(col)]),
                ],
            ),
        ],
    )
