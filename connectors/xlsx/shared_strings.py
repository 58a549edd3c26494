"""The workbook's shared-strings table, read only as far as needed (a header row's few texts)."""

from __future__ import annotations

from collections.abc import Callable
from xml.parsers import expat


class _Enough(Exception):
    pass


class SharedStrings:
    """``load`` gives the part's bytes; it is called only when a text is looked up."""

    def __init__(self, load: Callable[[], bytes] | None) -> None:
        self._load = load
        self._texts: list[str] = []
        self._complete = load is None

    def __call__(self, index: int) -> str:
        if index >= len(self._texts) and not self._complete:
            # the first look-up reads only as far as it needs; a later one beyond that reads it all
            self._read_up_to(index if not self._texts else 1 << 62)
        return self._texts[index] if 0 <= index < len(self._texts) else ""

    def _read_up_to(self, index: int) -> None:
        texts: list[str] = []
        current: list[str] = []
        depth_in_ignored = 0
        in_t = False

        def start(name: str, attrs: list[str]) -> None:
            nonlocal in_t, depth_in_ignored
            local = name.rpartition(":")[2]
            if local == "si":
                current.clear()
            elif local == "rPh":
                depth_in_ignored += 1
            elif local == "t" and not depth_in_ignored:
                in_t = True

        def end(name: str) -> None:
            nonlocal in_t, depth_in_ignored
            local = name.rpartition(":")[2]
            if local == "t":
                in_t = False
            elif local == "rPh":
                depth_in_ignored -= 1
            elif local == "si":
                texts.append("".join(current))
                if len(texts) > index:
                    raise _Enough

        def chars(data: str) -> None:
            if in_t:
                current.append(data)

        parser = expat.ParserCreate("UTF-8")
        parser.ordered_attributes = True
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        try:
            parser.Parse(self._load() if self._load else b"", True)
            self._complete = True
        except _Enough:
            pass
        self._texts = texts
