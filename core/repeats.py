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
    emails, ids), and from then on left as read."""

    LIMIT = 256

    def __init__(self) -> None:
        self.seen: dict[int, dict[str, str]] = {}
        self.varied: set[int] = set()  # columns of too many distinct values to be worth sharing

    def share(self, values: list[Any]) -> None:
        """Replace each text cell of ``values`` by the column's one copy of it."""
        for i, value in enumerate(values):
            if type(value) is not str or not value or i in self.varied:
                continue
            known = self.seen.setdefault(i, {})
            same = known.get(value)
            if same is None:
                if len(known) >= self.LIMIT:
                    self.varied.add(i)
                    del self.seen[i]
                else:
                    known[value] = value
            elif same is not value:
                values[i] = same
