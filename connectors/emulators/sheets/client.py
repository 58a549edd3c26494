"""Real clients (requests, gspread) pointed at the emulator: the Sheets connector's own endpoint helper."""

from __future__ import annotations

from clinicops.connectors.gsheets.endpoint import gspread_client, session_for

__all__ = ["gspread_client", "session_for"]
