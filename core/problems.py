"""Problems with what staff typed, in a form people can act on.

A problem names the sheet, the row as the user sees it, the column header, what is
wrong and what would be valid. The typed value is shown only for fields that hold no
protected health information; for PHI the report says ``<phi: N chars>`` and the sheet
itself (where the person already sees the value) carries the note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """What a plugin's ``validate_record`` returns: a field and what is wrong with it."""

    field: str
    problem: str
    expected: str = ""


@dataclass(frozen=True)
class CellProblem:
    entity: str
    sheet: str
    row: int
    column: str
    problem: str
    expected: str
    value: str | None  # display-safe: already masked for PHI fields
    kind: str = "invalid-value"

    @property
    def message(self) -> str:
        """The sentence written into the sheet's note and Errors column."""
        text = f"{self.column}: {self.problem}"
        return f"{text}; expected {self.expected}" if self.expected else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "type": self.kind,
            "value": self.value,
            "message": self.message,
        }

    def line(self) -> str:
        """One line for a terminal or a log: where, the value (or its mask), what to do."""
        shown = f" {self.value!r}" if self.value is not None and not self.value.startswith("<phi") else ""
        masked = f" {self.value}" if self.value and self.value.startswith("<phi") else ""
        return f"{self.sheet} row {self.row}, {self.column}{shown}{masked}: {self.problem}" + (
            f" (expected {self.expected})" if self.expected else ""
        )


def display_value(raw: Any, phi: bool) -> str | None:
    """A cell's value as it may appear in reports and logs."""
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else str(raw)
    if phi:
        return f"<phi: {len(text)} chars>"
    return text if len(text) <= 80 else text[:77] + "..."
