"""A loopback emulator of the Google Sheets API v4.

It follows the documented API — response shapes, ragged value arrays, A1 notation,
RAW versus USER_ENTERED, field masks, atomic batches, error bodies, per-minute quotas —
so a connector that passes against it also works against Google. Spreadsheets are
created through the API (``POST /v4/spreadsheets``), as with the real service.

    with SheetsEmulator() as emu:
        gc = gspread_client(emu.base_url)
        ...
"""

from __future__ import annotations

from .client import gspread_client, session_for
from .emulator import SheetsEmulator
from .errors import ApiError
from .log import LoggedRequest
from .runner import serve

__all__ = [
    "ApiError",
    "LoggedRequest",
    "SheetsEmulator",
    "gspread_client",
    "serve",
    "session_for",
]
