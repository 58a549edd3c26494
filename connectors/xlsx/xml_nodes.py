"""A streaming, faithful reader and writer of one worksheet's XML, built on the standard library's expat.

Why not a DOM: a 100,000-row sheet is millions of elements, too many to hold at once. Why not
lxml's incremental writer: it repeats every namespace declaration on each element it writes.
Here the document is walked once; each element the caller asks for (a ``row``, or a child of the
root) arrives as a small :class:`Node` tree with its names exactly as written (prefixes kept,
namespace declarations kept as attributes, attribute order kept), and is written back the same way.
An element nobody changes comes out as it went in, up to the XML spelling of the same content
(``<v/>`` for ``<v></v>``, ``&#39;`` for ``'``); a row's cells nobody changes come out byte
for byte, as the text they were read as (:class:`RawElement`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat


class Node:
    """One element: its qualified name as written, attributes in order, children (nodes and text)."""

    __slots__ = ("attrs", "children", "name")

    def __init__(self, name: str, attrs: list[str] | None = None, children: list[Any] | None = None) -> None:
        self.name = name
        self.attrs = attrs if attrs is not None else []  # flat: [name, value, name, value, ...]
        self.children: list[Node | str] = children if children is not None else []

    @property
    def local(self) -> str:
        return local_name(self.name)

    def get(self, name: str, default: str | None = None) -> str | None:
        attrs = self.attrs
        for i in range(0, len(attrs), 2):
            if attrs[i] == name:
                return attrs[i + 1]
        return default

    def set(self, name: str, value: str) -> None:
        attrs = self.attrs
        for i in range(0, len(attrs), 2):
            if attrs[i] == name:
                attrs[i + 1] = value
                return
        attrs.extend((name, value))

    def drop(self, name: str) -> None:
        attrs = self.attrs
        for i in range(0, len(attrs), 2):
            if attrs[i] == name:
                del attrs[i : i + 2]
                return

    def elements(self) -> Iterator[Node]:
        return (c for c in self.children if isinstance(c, Node))

    def find(self, local: str) -> Node | None:
        return next((c for c in self.elements() if c.local == local), None)

    def text(self) -> str:
        """All text below this element, in order."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def has_content(self) -> bool:
        return any(isinstance(c, Node) or c.strip() for c in self.children)


class RawElement(Node):
    """An element passed through as the XML it was read as, until something looks inside it.

    A rewritten sheet changes a cell or two of a row and leaves the others exactly as they
    were: each of the others is kept as its own text, with no tree made of it nor written
    back from one, which is most of what rewriting every row of a sheet costs. Its name and
    attributes are read as any element's. Its children are made from its text the first time
    they are asked for (a look, or a change), and from then on it is written back as any
    element is; changing an attribute looks inside it first.
    """

    __slots__ = ("_kids", "raw")

    def __init__(self, name: str, attrs: list[str], raw: str) -> None:
        self.name = name
        self.attrs = attrs
        self.raw: str | None = raw  # its XML as read; None once its children were made
        self._kids: list[Node | str] = []

    @property  # type: ignore[override]
    def children(self) -> list[Node | str]:
        if self.raw is not None:
            self._kids, self.raw = parse_tree(self.raw.encode("utf-8")).children, None
        return self._kids

    @children.setter
    def children(self, value: list[Node | str]) -> None:
        self._kids, self.raw = value, None

    def set(self, name: str, value: str) -> None:
        self.children  # noqa: B018 -- written back from its tree from now on
        super().set(name, value)

    def drop(self, name: str) -> None:
        self.children  # noqa: B018 -- written back from its tree from now on
        super().drop(name)


def local_name(name: str) -> str:
    return name.rpartition(":")[2]


def prefix_of(name: str) -> str:
    """``x:`` for a name written ``x:row``, ``""`` for ``row``: new elements use the document's own prefix."""
    head, sep, _ = name.rpartition(":")
    return head + sep


_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


def add_text(children: list[Node | str], data: str) -> None:
    """Text inside an element, joined to the text just before it: expat may hand one run in pieces."""
    if children and isinstance(children[-1], str):
        children[-1] += data
    else:
        children.append(data)


def write_node(node: Node, out: list[str]) -> None:
    if node.__class__ is RawElement and node.raw is not None:  # type: ignore[attr-defined]
        out.append(node.raw)  # type: ignore[attr-defined]
        return
    attrs = node.attrs
    parts = ["<", node.name]
    for i in range(0, len(attrs), 2):
        parts.append(f' {attrs[i]}="{attrs[i + 1].translate(_ATTR)}"')
    if not node.children:
        parts.append("/>")
        out.append("".join(parts))
        return
    parts.append(">")
    out.append("".join(parts))
    for child in node.children:
        if isinstance(child, str):
            out.append(child.translate(_TEXT))
        else:
            write_node(child, out)
    out.append(f"</{node.name}>")


def start_tag(name: str, attrs: list[str]) -> str:
    return "<" + name + "".join(f' {attrs[i]}="{attrs[i + 1].translate(_ATTR)}"' for i in range(0, len(attrs), 2)) + ">"


def text(value: str) -> str:
    return value.translate(_TEXT)


class Streamer:
    """Walks a document once. Elements at ``depth`` 2 (children of the root) go to ``on_top``,
    except the one named ``stream_in`` whose own children (depth 3) go one by one to ``on_item``.

    ``on_root_start`` / ``on_stream_start`` / ``on_stream_end`` / ``on_root_end`` see the tags
    that wrap them. Text between elements at the outer levels is passed on as it is.

    With ``raw_within_items``, each element inside an item (a row's cells) arrives as a
    :class:`RawElement` holding the very text it was read as: an element's end is where the
    next event starts, so text is handed over unbuffered, each piece with its own place.
    """

    def __init__(
        self,
        *,
        stream_in: str,
        on_root_start: Callable[[str, list[str]], None],
        on_top: Callable[[Node], None],
        on_stream_start: Callable[[Node], None],
        on_item: Callable[[Node], None],
        on_stream_end: Callable[[Node], None],
        on_root_end: Callable[[str], None],
        on_outer_text: Callable[[str], None],
        raw_within_items: bool = False,
    ) -> None:
        self.stream_in = stream_in
        self.raw_within_items = raw_within_items
        self._root_start = on_root_start
        self._top = on_top
        self._stream_start = on_stream_start
        self._item = on_item
        self._stream_end = on_stream_end
        self._root_end = on_root_end
        self._outer_text = on_outer_text

    @classmethod
    def each_item(
        cls, data: bytes | IO[bytes], stream_in: str, on_item: Callable[[Node], None], raw_within_items: bool = False
    ) -> None:
        """Walk ``data`` for the children of ``stream_in`` alone, each handed to ``on_item``; the rest is ignored."""

        def ignore(*_: Any) -> None:
            return None

        cls(
            stream_in=stream_in,
            on_root_start=ignore,
            on_top=ignore,
            on_stream_start=ignore,
            on_item=on_item,
            on_stream_end=ignore,
            on_root_end=ignore,
            on_outer_text=ignore,
            raw_within_items=raw_within_items,
        ).feed_file(data)

    def feed_file(self, data: bytes | IO[bytes]) -> None:
        """Walk ``data``: the document's bytes, or a stream of them (read a piece at a time).

        The handlers are closures over local state: a rewritten 100,000-row sheet calls them
        millions of times, and attribute look-ups on the streamer would cost more.
        """
        parser = expat.ParserCreate("UTF-8")
        parser.ordered_attributes = True
        raw_within = self.raw_within_items
        parser.buffer_text = not raw_within
        parser.buffer_size = 1 << 16
        stack: list[Node] = []  # the element being built and its open ancestors below the stream's
        depth = 0
        streaming: Node | None = None  # the element whose children arrive one by one, while inside it
        stream_in = self.stream_in
        root_start, top, stream_start, item = self._root_start, self._top, self._stream_start, self._item
        stream_end, root_end, outer_text = self._stream_end, self._root_end, self._outer_text
        # raw mode: the document from byte ``kept_from`` on, where the open item starts, and the
        # element inside it being read as text (its start, name, attributes), open or just closed
        kept = bytearray()
        kept_from = 0
        item_at = -1
        raw: list[Any] | None = None  # [start, name, attrs, closed]

        def finish_raw() -> None:
            nonlocal raw
            assert raw is not None
            at, name, attrs, _ = raw
            end = parser.CurrentByteIndex
            stack[-1].children.append(RawElement(name, attrs, kept[at - kept_from : end - kept_from].decode("utf-8")))
            raw = None

        def start(name: str, attrs: list[str]) -> None:
            nonlocal depth, streaming, raw, item_at
            depth += 1
            if raw is not None:
                if not raw[3]:
                    return  # inside an element kept as text
                finish_raw()
            if stack:
                if raw_within and depth == 4 and streaming is not None:
                    raw = [parser.CurrentByteIndex, name, attrs, False]
                    return
                node = Node(name, attrs)
                stack[-1].children.append(node)
                stack.append(node)
            elif depth == 1:
                root_start(name, attrs)
            elif depth == 2 and local_name(name) == stream_in:
                streaming = Node(name, attrs)
                stream_start(streaming)
            else:
                if streaming is not None:
                    item_at = parser.CurrentByteIndex
                stack.append(Node(name, attrs))

        def end(name: str) -> None:
            nonlocal depth, streaming, item_at
            depth -= 1
            if raw is not None:
                if depth > 3:
                    return  # inside an element kept as text
                if not raw[3]:
                    raw[3] = True  # it ends where the next event starts
                    return
                finish_raw()
            if stack:
                node = stack.pop()
                if not stack:
                    item_at = -1
                    (item if streaming is not None else top)(node)
            elif depth == 0:
                root_end(name)
            elif streaming is not None:
                done, streaming = streaming, None
                stream_end(done)

        def chars(data: str) -> None:
            if raw is not None:
                if not raw[3]:
                    return  # inside an element kept as text
                finish_raw()
            if stack:
                add_text(stack[-1].children, data)
            elif streaming is None or depth == 1:
                outer_text(data)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        if isinstance(data, bytes):
            kept += data
            parser.Parse(data, True)
            return
        if not raw_within:
            parser.ParseFile(data)
            return
        while piece := data.read(1 << 16):
            kept += piece
            parser.Parse(piece, False)
            # What an element still to be cut out can start in: nothing before the open item. Between
            # items nothing is dropped, as expat may hold the start of the next one unparsed.
            if item_at - kept_from > 1 << 16:
                del kept[: item_at - kept_from]
                kept_from = item_at
        parser.Parse(b"", True)


def parse_tree(data: bytes) -> Node:
    """A small part (styles, comments, a rels file) as one tree."""
    root_holder: list[Node] = []
    stack: list[Node] = []
    parser = expat.ParserCreate("UTF-8")
    parser.ordered_attributes = True
    parser.buffer_text = True

    def start(name: str, attrs: list[str]) -> None:
        node = Node(name, attrs)
        if stack:
            stack[-1].children.append(node)
        else:
            root_holder.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            add_text(stack[-1].children, data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.Parse(data, True)
    return root_holder[0]


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def tree_bytes(root: Node) -> bytes:
    out = [XML_DECLARATION]
    write_node(root, out)
    return "".join(out).encode("utf-8")
