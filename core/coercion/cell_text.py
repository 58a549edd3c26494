"""What a spreadsheet cell can hold at all, whatever its column: checked before any coercion.

A cell holds at most 32,767 characters (Excel's limit; LibreOffice and Google Sheets
refuse or cut longer text, and readers cut it there), so text that long is refused: it
was most likely cut. Control characters (U+0000–U+001F but tab, line feed and
carriage return; and DEL) cannot be stored in a workbook: Excel keeps them as escapes
such as ``_x0007_``, which readers turn back into the character. A value holding one
would be stored and then fail every write back, so the cell is refused instead, and
values written to a sheet are cleaned of them.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ._base import CellError

MAX_CELL_CHARS: Final = 32_767

_ALLOWED = {0x09, 0x0A, 0x0D}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|_x(00[01][0-9A-Fa-f]|007[Ff])_")


def control_character(text: str) -> int | None:
    """The code of the first control character in ``text`` (itself or as an ``_xHHHH_`` escape)."""
    if CONTROL.search(text) is None:  # nearly every cell: one scan in C, no match object
        return None
    for m in CONTROL.finditer(text):
        code = int(m.group(1), 16) if m.group(1) else ord(m.group(0))
        if code not in _ALLOWED:
            return code
    return None


def check_cell_text(raw: str) -> None:
    """Raise CellError for text no spreadsheet cell can hold."""
    if len(raw) >= MAX_CELL_CHARS:
        raise CellError(
            f"fills a cell to its limit of {MAX_CELL_CHARS:,} characters, so longer text was cut",
            f"fewer than {MAX_CELL_CHARS:,} characters",
        )
    code = control_character(raw)
    if code is not None:
        raise CellError(
            f"contains a control character (U+{code:04X}) that a spreadsheet cannot store",
            "text without control characters (retype the cell)",
        )


def writable(value: Any) -> Any:
    """A value as a cell can store it: text without control characters and within the cell limit."""
    if not isinstance(value, str) or (len(value) < MAX_CELL_CHARS and control_character(value) is None):
        return value
    cleaned = CONTROL.sub(lambda m: m.group(0) if _keep(m) else "", value)
    return cleaned[: MAX_CELL_CHARS - 1]


def _keep(m: re.Match[str]) -> bool:
    code = int(m.group(1), 16) if m.group(1) else ord(m.group(0))
    return code in _ALLOWED
