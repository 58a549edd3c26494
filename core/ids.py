"""New record ids: the entity's prefix and a zero-padded number, e.g. ``P000201``.

Readable on a phone call ("patient P-two-oh-one"), sortable, and never reused: the next
number is above every id the store or the sheet has ever held, tombstones included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class IdMinter:
    def __init__(self, prefix: str, taken: Iterable[str], width: int = 6) -> None:
        self.prefix = prefix
        self.width = width
        pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
        self.taken = set(taken)
        numbers = (int(m.group(1)) for m in map(pattern.match, self.taken) if m)
        self.last = max(numbers, default=0)

    def next(self) -> str:
        while True:
            self.last += 1
            candidate = f"{self.prefix}{self.last:0{self.width}d}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
