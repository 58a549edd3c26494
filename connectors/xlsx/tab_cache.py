"""A tab's fingerprint from the zip's own directory, and the header row last parsed under it.

A zip's central directory lists each member's CRC-32 and size, so comparing a tab with the
last sync costs no decompression and no parsing. A tab's values depend on its worksheet part,
on the shared strings its cells point into, on the styles that make a number a date, and on
the workbook's 1900/1904 date system; the fingerprint covers those and nothing else, so
clinicops's own mark (a defined name in ``workbook.xml``) or an edit in another tab leaves it
as it was, while any byte changed in what the tab's values come from changes it. A program
that saves the same values as new bytes (LibreOffice, Excel) changes it too: that tab is then
read row by row once more, and its rows, unchanged, still change nothing.

A sync needs a tab's header before it knows whether the tab can be skipped (the columns are
bound from it), so the header parsed under each fingerprint is kept in the practice's data
folder. It is keyed by the fingerprint, so it can never describe other bytes than its own;
the file only holds the headers of the tabs of the workbook as last read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from clinicops.connectors.xlsx.package import Package, SheetEntry
from clinicops.core import private_files


def fingerprint(package: Package, entry: SheetEntry) -> str:
    """The tab's fingerprint: its title and part, the date system, and CRC-32 and size of each part it reads."""
    members = [entry.part, package.shared_strings_part(), package.styles_part()]
    listed = []
    for name in members:
        info = package.zip.NameToInfo.get(name) if name else None
        listed.append((name, info.CRC, info.file_size) if info is not None else (name, None, None))
    text = repr((entry.title, package.date1904(), listed))
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class HeaderCache:
    """Header rows by fingerprint, in one small JSON file of the data folder (or nowhere)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._known: dict[str, list[str]] = {}
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                found = json.loads(path.read_text(encoding="utf-8"))
                self._known = {str(k): [str(h) for h in v] for k, v in found.items() if isinstance(v, list)}
        self._seen: dict[str, list[str]] = {}

    def get(self, key: str) -> list[str] | None:
        header = self._known.get(key)
        if header is not None:
            self._seen[key] = header
        return header

    def put(self, key: str, header: list[str]) -> None:
        self._seen[key] = header

    def save(self) -> None:
        """Keep the headers of this read's tabs only; the file is not written when they are the ones it holds."""
        if self.path is None or self._seen == self._known:
            return
        with contextlib.suppress(OSError):
            private_files.make_dir(self.path.parent)
            private_files.replace_text(self.path, json.dumps(self._seen))
            self._known = dict(self._seen)
