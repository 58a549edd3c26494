"""The shared sync suite on Google Sheets: an emulator on a free port, a spreadsheet made through the API.

``GSheetsDriver`` is a staff member with the sheet open: it types, deletes, clears and
sorts through real gspread calls. Text is typed as text (RAW, what Sheets keeps when a
cell is formatted as plain text, as clinicops formats text columns) and dates as the
serial numbers Sheets stores for a typed date.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import gspread

from clinicops.connectors.base import normalize_header
from clinicops.connectors.emulators.sheets import SheetsEmulator, gspread_client
from clinicops.connectors.gsheets.layout import ERROR_FILL, NOTE_PREFIX, same_color
from clinicops.connectors.gsheets.values import column_letters, quote_title, to_cell

from .sheet_drivers import SheetDriver

NAME = "gsheets"
API = "https://sheets.googleapis.com/v4/spreadsheets"


def create_spreadsheet(gc: gspread.Client, title: str = "Test Clinic") -> str:
    """A new spreadsheet through ``POST /v4/spreadsheets``, as with the real service."""
    response = gc.http_client.request("post", API, json={"properties": {"title": title}})
    return str(response.json()["spreadsheetId"])


def roomy_emulator() -> SheetsEmulator:
    """An emulator whose quotas only the quota tests reach."""
    return SheetsEmulator(read_quota_per_minute=100_000, write_quota_per_minute=100_000, user_quota_per_minute=100_000)


class GSheetsDriver:
    """Edits the spreadsheet the way a person in the Sheets UI would, through gspread."""

    def __init__(self, emulator: SheetsEmulator, spreadsheet_id: str) -> None:
        self.emulator = emulator
        self.gc = gspread_client(emulator.base_url)
        self.sh = self.gc.open_by_key(spreadsheet_id)

    def _ws(self, tab: str) -> gspread.Worksheet:
        for ws in self.sh.worksheets():
            if normalize_header(ws.title) == normalize_header(tab):
                return ws
        raise KeyError(tab)

    def _grid(self, ws: gspread.Worksheet) -> list[list[Any]]:
        return ws.get_all_values(value_render_option="UNFORMATTED_VALUE", date_time_render_option="SERIAL_NUMBER")

    def _cols(self, ws: gspread.Worksheet) -> dict[str, int]:
        header = ws.row_values(1)
        return {normalize_header(h): i for i, h in enumerate(header) if h}

    def rows(self, tab: str) -> list[dict[str, Any]]:
        grid = self._grid(self._ws(tab))
        if not grid:
            return []
        header = grid[0]
        out = []
        for number, values in enumerate(grid[1:], start=2):
            row = {h: (values[i] if i < len(values) and values[i] != "" else None) for i, h in enumerate(header) if h}
            if any(v is not None for v in row.values()):
                out.append({"_row": number, **row})
        return out

    def _write(self, ws: gspread.Worksheet, cells: dict[tuple[int, int], Any]) -> None:
        last = max(r for r, _ in cells)
        if last > ws.row_count:
            ws.add_rows(last - ws.row_count)
        data = [
            {"range": f"{quote_title(ws.title)}!{column_letters(c)}{r}", "values": [[to_cell(v)]]}
            for (r, c), v in cells.items()
        ]
        self.sh.values_batch_update({"valueInputOption": "RAW", "data": data})

    def append(self, tab: str, rows: list[dict[str, Any]]) -> None:
        ws = self._ws(tab)
        cols = self._cols(ws)
        r = max([1] + [x["_row"] for x in self.rows(tab)]) + 1
        cells = {}
        for row in rows:
            for header, value in row.items():
                cells[(r, cols[normalize_header(header)])] = value
            r += 1
        self._write(ws, cells)

    def edit(self, tab: str, row: int, header: str, value: Any) -> None:
        ws = self._ws(tab)
        self._write(ws, {(row, self._cols(ws)[normalize_header(header)]): value})

    def type_formula(self, tab: str, row: int, header: str, formula: str) -> None:
        """Type into a cell as the UI does (USER_ENTERED), so ``=...`` becomes a live formula."""
        ws = self._ws(tab)
        col = self._cols(ws)[normalize_header(header)]
        ws.update([[formula]], f"{column_letters(col)}{row}", value_input_option="USER_ENTERED")

    def delete_row(self, tab: str, row: int) -> None:
        self._ws(tab).delete_rows(row)

    def clear(self, tab: str) -> None:
        ws = self._ws(tab)
        ws.batch_clear([f"A2:{column_letters(ws.col_count - 1)}{ws.row_count}"])

    def sort(self, tab: str, header: str, reverse: bool = False) -> None:
        ws = self._ws(tab)
        col = self._cols(ws)[normalize_header(header)]
        last = max([1] + [x["_row"] for x in self.rows(tab)])
        ws.sort((col + 1, "des" if reverse else "asc"), range=f"A2:{column_letters(ws.col_count - 1)}{last}")

    def rename_header(self, tab: str, old: str, new: str) -> None:
        self.edit(tab, 1, old, new)

    def delete_column(self, tab: str, header: str) -> None:
        ws = self._ws(tab)
        ws.delete_columns(self._cols(ws)[normalize_header(header)] + 1)

    def move_column_first(self, tab: str, header: str) -> None:
        """Insert a column before A holding the column's values, then delete the original."""
        ws = self._ws(tab)
        col = self._cols(ws)[normalize_header(header)]
        values = [row[col] if col < len(row) else "" for row in self._grid(ws)]
        ws.insert_cols([values], col=1, value_input_option="RAW")
        ws.delete_columns(col + 2)

    def add_column(self, tab: str, header: str, values: dict[int, Any]) -> None:
        ws = self._ws(tab)
        col = len(ws.row_values(1))
        if col >= ws.col_count:
            ws.add_cols(1)
        self._write(ws, {(1, col): header, **{(r, col): v for r, v in values.items()}})

    def _cell(self, tab: str, row: int, header: str) -> dict[str, Any]:
        ws = self._ws(tab)
        a1 = f"{quote_title(ws.title)}!{column_letters(self._cols(ws)[normalize_header(header)])}{row}"
        fields = "sheets.data.rowData.values(note,userEnteredFormat.backgroundColor)"
        meta = self.sh.fetch_sheet_metadata({"ranges": a1, "fields": fields})
        try:
            return meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]
        except (KeyError, IndexError):
            return {}

    def note(self, tab: str, row: int, header: str) -> str | None:
        """The note clinicops put on a cell, without its prefix; None for none (or a person's own)."""
        text = self._cell(tab, row, header).get("note", "")
        return text[len(NOTE_PREFIX) :] if text.startswith(NOTE_PREFIX) else None

    def staff_note(self, tab: str, row: int, header: str) -> str | None:
        return self._cell(tab, row, header).get("note")

    def highlighted(self, tab: str, row: int, header: str) -> bool:
        fill = (self._cell(tab, row, header).get("userEnteredFormat") or {}).get("backgroundColor")
        return same_color(fill, ERROR_FILL)

    def fingerprint(self) -> Any:
        """How many writes the spreadsheet has taken: it changes exactly when something wrote to it."""
        return sum(1 for r in self.emulator.requests if r.kind == "write" and r.status == 200)


@contextmanager
def backend(folder: Path) -> Iterator[tuple[str, SheetDriver]]:
    """An emulator, a spreadsheet created through the API, and the [backend] table pointing at both."""
    with roomy_emulator() as emulator:
        spreadsheet_id = create_spreadsheet(gspread_client(emulator.base_url))
        body = f'type = "gsheets"\nspreadsheet_id = "{spreadsheet_id}"\nendpoint_url = "{emulator.base_url}"'
        yield body, GSheetsDriver(emulator, spreadsheet_id)
        assert emulator.internal_errors == []
