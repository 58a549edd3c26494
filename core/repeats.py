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

    def share(self, values: list[Any]) -> None:
        """Replace each text cell of ``values`` by the column's one copy of it."""
        if len(values) > self.width:
            self.shared.update((i, {}) for i in range(self.width, len(values)))
            self.width = len(values)
        varied = None
        for i, known in self.shared.items():
            if i >= len(values):
                continue
            value = values[i]
            if type(value) is not str:
                continue
            same = known.get(value)
            if same is None:
                if len(known) < self.LIMIT:
                    known[value] = value
                else:
                    varied = [*(varied or ()), i]
            elif same is not value:
                values[i] = same
        for i in varied or ():
            del self.shared[i]  # too many distinct values to be worth sharing: left as read from now on
