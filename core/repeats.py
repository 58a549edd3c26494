"""One text object for each value a column repeats, in the rows a sync keeps while it works.

A reader makes a new string for every cell it returns, so a column of a few distinct values (a
state, a payer, a status) holds as many copies as it has rows. The rows a sync parses stay in
memory with their records until the sync has written, so the inbound pass shares their text
before parsing them (the records then point at the shared copies too); a row exactly as last
synced is only hashed, and never paid for.
"""

from __future__ import annotations

from typing import Any


class Repeats:
    """Each column's text shared until it has seen more than ``LIMIT`` distinct values (names,
    emails, ids), and from then on left as read.

    Only the columns still shared are visited: after a few hundred rows a patient tab's names,
    emails, phones and ids have dropped out, and a row costs a look at its handful of
    repeating columns, not one at every cell.
    """

    LIMIT = 256

    def __init__(self) -> None:
        self.width = 0  # the columns known so far: 0 .. width - 1
        self.shared: dict[int, dict[str, str]] = {}  # column -> its one copy of each text, while shared
        self._visit: list[tuple[int, dict[str, str]]] = []  # ``shared``'s items, as a list to loop over

    def share(self, values: list[Any]) -> None:
        """Replace each text cell of ``values`` by the column's one copy of it.

        ``setdefault`` finds the copy or makes the cell the copy in one look-up; a column that
        went past ``LIMIT`` distinct texts with it is dropped after the row.
        """
        if len(values) != self.width:
            self._widen(len(values))
            if len(values) < self.width:
                self._share_short(values)
                return
        varied = False
        for i, known in self._visit:
            value = values[i]
            if value.__class__ is str:
                same = known.setdefault(value, value)
                if same is not value:
                    values[i] = same
                elif len(known) > self.LIMIT:
                    varied = True
        if varied:
            self._drop_varied()

    def _share_short(self, values: list[Any]) -> None:
        """:meth:`share` for a row narrower than others seen (some backends leave trailing cells off)."""
        width = len(values)
        for i, known in self._visit:
            if i < width and (value := values[i]).__class__ is str:
                same = known.setdefault(value, value)
                if same is not value:
                    values[i] = same
        self._drop_varied()

    def _widen(self, width: int) -> None:
        if width > self.width:
            self.shared.update((i, {}) for i in range(self.width, width))
            self.width = width
            self._visit = list(self.shared.items())

    def _drop_varied(self) -> None:
        """Columns with too many distinct texts to be worth sharing are left as read from now on."""
        for i in [i for i, known in self.shared.items() if len(known) > self.LIMIT]:
            del self.shared[i]
        self._visit = list(self.shared.items())
