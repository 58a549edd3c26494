"""The Sheets emulator behaves like the documented Google Sheets API v4.

Driven with the real gspread client wherever gspread has the call, and with raw HTTP
(through the same loopback session) where it does not.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import gspread
import pytest
import requests

from clinicops.connectors.emulators.sheets import (
    SheetsEmulator,
    gspread_client,
    session_for,
)

API = "https://sheets.googleapis.com/v4/spreadsheets"


class FakeClock:
    """A clock the quota reads; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[SheetsEmulator]:
    """An emulator with quotas high enough that only the quota tests meet them.

    Every answer must come from the API logic: a defect would show as a 500 with a
    traceback in ``internal_errors``.
    """
    with SheetsEmulator(
        clock=clock,
        read_quota_per_minute=10_000,
        write_quota_per_minute=10_000,
        user_quota_per_minute=10_000,
    ) as emulator:
        yield emulator
    assert emulator.internal_errors == []


@pytest.fixture
def http(emu: SheetsEmulator) -> requests.Session:
    return session_for(emu.base_url)


@pytest.fixture
def gc(emu: SheetsEmulator) -> gspread.Client:
    return gspread_client(emu.base_url)


def create(http: requests.Session, title: str = "Clinic", tabs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Create a spreadsheet the way a connector must: ``POST /v4/spreadsheets``."""
    tabs = tabs if tabs is not None else [{"title": "Patients"}, {"title": "Front desk"}]
    body = {"properties": {"title": title}, "sheets": [{"properties": t} for t in tabs]}
    response = http.post(API, json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def sheet_id(http: requests.Session) -> str:
    return create(http)["spreadsheetId"]


@pytest.fixture
def sh(gc: gspread.Client, sheet_id: str) -> gspread.Spreadsheet:
    return gc.open_by_key(sheet_id)


def error_of(excinfo: pytest.ExceptionInfo[gspread.exceptions.APIError]) -> dict[str, Any]:
    """The documented error body gspread's ``APIError`` carries."""
    body = excinfo.value.response.json()
    assert set(body) == {"error"}
    return body["error"]


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def sheet_props(sh: gspread.Spreadsheet, title: str) -> dict[str, Any]:
    meta = sh.fetch_sheet_metadata({"fields": "sheets.properties"})
    return next(s["properties"] for s in meta["sheets"] if s["properties"]["title"] == title)


def grid(http: requests.Session, sheet_id: str, range_text: str, fields: str) -> list[dict[str, Any]]:
    """``rowData`` of one range, through a field mask."""
    response = http.get(f"{API}/{sheet_id}", params={"ranges": range_text, "fields": fields})
    assert response.status_code == 200, response.text
    return response.json()["sheets"][0]["data"][0].get("rowData", [])


# --- creating and reading the spreadsheet resource ----------------------------------


def test_create_returns_the_spreadsheet_resource_with_default_grids(http: requests.Session):
    created = create(http, "Clinic", [{"title": "Patients"}, {"title": "Visits"}])

    assert len(created["spreadsheetId"]) == 44
    assert created["spreadsheetUrl"].endswith(f"/d/{created['spreadsheetId']}/edit")
    assert created["properties"]["title"] == "Clinic"
    first, second = (s["properties"] for s in created["sheets"])
    assert first == {
        "sheetId": 0,
        "title": "Patients",
        "index": 0,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 1000, "columnCount": 26},
    }
    assert second["title"] == "Visits" and second["index"] == 1 and second["sheetId"] != 0


def test_create_without_sheets_gives_one_sheet1(http: requests.Session):
    created = http.post(API, json={"properties": {"title": "Empty"}}).json()
    assert [s["properties"]["title"] for s in created["sheets"]] == ["Sheet1"]


def test_gspread_opens_by_key_and_lists_worksheets(sh: gspread.Spreadsheet):
    assert sh.title == "Clinic"
    assert [(w.title, w.row_count, w.col_count) for w in sh.worksheets()] == [
        ("Patients", 1000, 26),
        ("Front desk", 1000, 26),
    ]


def test_fields_mask_sheets_properties_returns_only_properties(http: requests.Session, sheet_id: str):
    body = http.get(f"{API}/{sheet_id}", params={"fields": "sheets.properties"}).json()
    assert set(body) == {"sheets"}
    assert [set(s) for s in body["sheets"]] == [{"properties"}, {"properties"}]


def test_fields_mask_with_sub_selections(http: requests.Session, sheet_id: str):
    body = http.get(
        f"{API}/{sheet_id}",
        params={"fields": "spreadsheetId,sheets(properties(sheetId,title))"},
    ).json()
    assert body == {
        "spreadsheetId": sheet_id,
        "sheets": [
            {"properties": {"sheetId": 0, "title": "Patients"}},
            {
                "properties": {
                    "sheetId": body["sheets"][1]["properties"]["sheetId"],
                    "title": "Front desk",
                }
            },
        ],
    }


@pytest.mark.parametrize("fields", ["properties, sheets.properties", "sheets.nope", "bogus"])
def test_invalid_field_masks_are_400(http: requests.Session, sheet_id: str, fields: str):
    response = http.get(f"{API}/{sheet_id}", params={"fields": fields})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_include_grid_data_carries_entered_effective_and_formatted_values(
    sh: gspread.Spreadsheet, http: requests.Session, sheet_id: str
):
    sh.values_update("Patients!A1", params={"valueInputOption": "USER_ENTERED"}, body={"values": [["7", "x"]]})
    body = http.get(f"{API}/{sheet_id}", params={"includeGridData": "true", "ranges": "Patients!A1:B1"}).json()
    assert len(body["sheets"]) == 1, "ranges limit the sheets returned"
    cells = body["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert cells[0]["userEnteredValue"] == {"numberValue": 7}
    assert cells[0]["effectiveValue"] == {"numberValue": 7}
    assert cells[0]["formattedValue"] == "7"
    assert cells[1]["userEnteredValue"] == {"stringValue": "x"}
    assert "effectiveFormat" in cells[1]


def test_metadata_without_grid_data_has_no_data(http: requests.Session, sheet_id: str):
    body = http.get(f"{API}/{sheet_id}").json()
    assert all("data" not in s for s in body["sheets"])


# --- A1 notation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "echoed"),
    [
        ("Patients", "Patients!A1:Z1000"),
        ("A:C", "Patients!A1:C1000"),
        ("2:5", "Patients!A2:Z5"),
        ("Patients!A2:Z", "Patients!A2:Z1000"),
        ("patients!b2", "Patients!B2"),
        ("Patients!$A$1:$B$2", "Patients!A1:B2"),
        ("Patients!C3:A1", "Patients!A1:C3"),
        ("'Front desk'!B2:C7", "'Front desk'!B2:C7"),
        ("'Front desk'", "'Front desk'!A1:Z1000"),
    ],
)
def test_ranges_echo_normalized_a1(sh: gspread.Spreadsheet, requested: str, echoed: str):
    result = sh.values_batch_get([requested])
    assert result["valueRanges"][0]["range"] == echoed


BOBS_A1 = "'Bob''s list'!A1"


def test_doubled_quotes_in_sheet_names(http: requests.Session):
    created = create(http, tabs=[{"title": "Bob's list"}])
    sid = created["spreadsheetId"]
    response = http.put(
        f"{API}/{sid}/values/{quote(BOBS_A1, safe='')}",
        params={"valueInputOption": "RAW"},
        json={"values": [["ok"]]},
    )
    assert response.json()["updatedRange"] == "'Bob''s list'!A1"


def test_url_encoded_range_in_the_path(http: requests.Session, sheet_id: str):
    raw = f"{API}/{sheet_id}/values/%27Front%20desk%27%21A1%3AB2"
    assert http.get(raw).json()["range"] == "'Front desk'!A1:B2"


def test_range_beyond_the_grid_is_400_exceeds_grid_limits(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_batch_get(["Patients!A1:B2000"])
    assert error_of(excinfo) == {
        "code": 400,
        "message": "Range (Patients!A1:B2000) exceeds grid limits. Max rows: 1000, max columns: 26",
        "status": "INVALID_ARGUMENT",
    }


def test_range_naming_an_unknown_sheet_is_400_unable_to_parse(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_batch_get(["Nowhere!A1:B2"])
    assert error_of(excinfo) == {
        "code": 400,
        "message": "Unable to parse range: Nowhere!A1:B2",
        "status": "INVALID_ARGUMENT",
    }


# --- reading values --------------------------------------------------------------------


def test_values_are_ragged_trailing_empties_dropped_middle_empties_kept(
    sh: gspread.Spreadsheet,
):
    sh.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [
                {"range": "Patients!A1", "values": [["a", "b", "c"], ["d"]]},
                {"range": "Patients!C4", "values": [["x"]]},
                {"range": "Patients!Z900", "values": [["far"]]},
            ],
        }
    )
    sh.values_clear("Patients!Z900")

    result = sh.values_batch_get(["Patients"])["valueRanges"][0]
    assert result == {
        "range": "Patients!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [["a", "b", "c"], ["d"], [], ["", "", "x"]],
    }
    columns = sh.values_batch_get(["Patients!A1:C4"], params={"majorDimension": "COLUMNS"})
    assert columns["valueRanges"][0]["values"] == [["a", "d"], ["b"], ["c", "", "", "x"]]


def test_an_empty_range_has_no_values_key(sh: gspread.Spreadsheet):
    result = sh.values_batch_get(["'Front desk'!A1:C3"])["valueRanges"][0]
    assert result == {"range": "'Front desk'!A1:C3", "majorDimension": "ROWS"}


def test_gspread_get_all_values_pads_what_the_api_returns_ragged(sh: gspread.Spreadsheet):
    ws = sh.worksheet("Patients")
    ws.update([["id", "name", "phone"], ["1", "Ada"]], "A1")
    assert ws.get_all_values() == [["id", "name", "phone"], ["1", "Ada", ""]]
    assert sh.values_get("Patients")["values"] == [["id", "name", "phone"], ["1", "Ada"]]


def test_unformatted_values_are_typed(sh: gspread.Spreadsheet):
    sh.values_update(
        "Patients!A1",
        params={"valueInputOption": "RAW"},
        body={"values": [[5, 2.5, True, "0123"]]},
    )
    unformatted = sh.values_get("Patients!A1:D1", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    formatted = sh.values_get("Patients!A1:D1")
    assert unformatted["values"] == [[5, 2.5, True, "0123"]]
    assert formatted["values"] == [["5", "2.5", "TRUE", "0123"]]


# --- RAW versus USER_ENTERED --------------------------------------------------------------


def test_raw_keeps_formula_like_text_as_text(sh: gspread.Spreadsheet, http, sheet_id):
    ws = sh.worksheet("Patients")
    ws.update([['=IMPORTXML("http://x","//a")', "+1+1", "0123"]], "A1", raw=True)

    as_formula = sh.values_get("Patients!A1:C1", params={"valueRenderOption": "FORMULA"})
    assert as_formula["values"] == [['=IMPORTXML("http://x","//a")', "+1+1", "0123"]]
    cells = grid(http, sheet_id, "Patients!A1:C1", "sheets.data.rowData.values.userEnteredValue")
    assert [c["userEnteredValue"] for c in cells[0]["values"]] == [
        {"stringValue": '=IMPORTXML("http://x","//a")'},
        {"stringValue": "+1+1"},
        {"stringValue": "0123"},
    ]


def test_user_entered_parses_like_the_ui(sh: gspread.Spreadsheet, http, sheet_id):
    ws = sh.worksheet("Patients")
    ws.update([["=SUM(1,2)", "0123", "true", "'0123", "1,234", "50%"]], "A1", raw=False)

    as_formula = sh.values_get("Patients!A1:F1", params={"valueRenderOption": "FORMULA"})
    assert as_formula["values"] == [["=SUM(1,2)", 123, True, "0123", 1234, 0.5]]
    formatted = sh.values_get("Patients!A1:F1")["values"][0]
    assert formatted[1:] == ["123", "TRUE", "0123", "1,234", "50%"]
    cells = grid(http, sheet_id, "Patients!A1", "sheets.data.rowData.values.userEnteredValue")
    assert cells[0]["values"][0]["userEnteredValue"] == {"formulaValue": "=SUM(1,2)"}


@pytest.mark.parametrize(("typed", "shown"), [("2026-03-04", "2026-03-04"), ("3/4/2026", "3/4/2026")])
def test_user_entered_dates_become_serial_numbers_with_a_date_format(
    sh: gspread.Spreadsheet, http, sheet_id, typed: str, shown: str
):
    sh.values_update("Patients!A1", params={"valueInputOption": "USER_ENTERED"}, body={"values": [[typed]]})

    def read(**params: str) -> Any:
        return sh.values_get("Patients!A1", params=params)["values"][0][0]

    assert read(valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="SERIAL_NUMBER") == serial(
        dt.date(2026, 3, 4)
    )
    assert read(valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING") == shown
    assert read() == shown
    cells = grid(http, sheet_id, "Patients!A1", "sheets.data.rowData.values.userEnteredFormat.numberFormat")
    assert cells[0]["values"][0]["userEnteredFormat"]["numberFormat"]["type"] == "DATE"


def test_raw_date_text_stays_text(sh: gspread.Spreadsheet):
    sh.values_update("Patients!A1", params={"valueInputOption": "RAW"}, body={"values": [["2026-03-04"]]})
    value = sh.values_get("Patients!A1", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert value["values"] == [["2026-03-04"]]


# --- writing values ----------------------------------------------------------------------


def test_values_batch_update_reports_totals_and_each_range(sh: gspread.Spreadsheet, sheet_id):
    result = sh.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [
                {"range": "Patients!A1", "values": [["id", "name"], ["1"]]},
                {"range": "'Front desk'!B2:C3", "values": [["x", "y"]]},
            ],
        }
    )
    assert result["totalUpdatedCells"] == 5
    assert result["totalUpdatedRows"] == 3
    assert result["totalUpdatedColumns"] == 4
    assert result["totalUpdatedSheets"] == 2
    assert result["responses"] == [
        {
            "spreadsheetId": sheet_id,
            "updatedRange": "Patients!A1:B2",
            "updatedRows": 2,
            "updatedColumns": 2,
            "updatedCells": 3,
        },
        {
            "spreadsheetId": sheet_id,
            "updatedRange": "'Front desk'!B2:C2",
            "updatedRows": 1,
            "updatedColumns": 2,
            "updatedCells": 2,
        },
    ]


def test_column_major_writes_and_values_in_the_response(sh: gspread.Spreadsheet):
    result = sh.values_update(
        "Patients!B2",
        params={"valueInputOption": "RAW", "includeValuesInResponse": "true"},
        body={"majorDimension": "COLUMNS", "values": [["a", "b"], ["c"]]},
    )
    assert result["updatedRange"] == "Patients!B2:C3"
    assert result["updatedData"] == {
        "range": "Patients!B2:C3",
        "majorDimension": "ROWS",
        "values": [["a", "c"], ["b"]],
    }


def test_null_skips_a_cell_and_empty_string_clears_it(sh: gspread.Spreadsheet):
    sh.values_update("Patients!A1", params={"valueInputOption": "RAW"}, body={"values": [["a", "b", "c"]]})
    sh.values_update("Patients!A1", params={"valueInputOption": "RAW"}, body={"values": [[None, "", "C"]]})
    assert sh.values_get("Patients!A1:C1")["values"] == [["a", "", "C"]]


def test_writing_more_than_the_range_holds_is_400(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_update(
            "Patients!A1:B2",
            params={"valueInputOption": "RAW"},
            body={"values": [["a"], ["b"], ["c"]]},
        )
    assert error_of(excinfo)["message"] == (
        "Requested writing within range [Patients!A1:B2], but tried writing to row [3]"
    )


def test_writes_past_the_grid_are_rejected_and_the_batch_writes_nothing(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_batch_update(
            {
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Patients!A1", "values": [["kept?"]]},
                    {"range": "Patients!A999", "values": [["a"], ["b"], ["c"]]},
                ],
            }
        )
    error = error_of(excinfo)
    assert error["code"] == 400
    assert "exceeds grid limits. Max rows: 1000, max columns: 26" in error["message"]
    assert "values" not in sh.values_get("Patients!A1")
    assert sheet_props(sh, "Patients")["gridProperties"]["rowCount"] == 1000


def test_a_value_input_option_is_required(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_batch_update({"data": [{"range": "Patients!A1", "values": [["x"]]}]})
    assert error_of(excinfo)["message"] == "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED"


def test_a_misspelt_query_parameter_is_400_not_ignored(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_get("Patients!A1", params={"valueRenderOptions": "FORMULA"})
    assert '"valueRenderOptions"' in error_of(excinfo)["message"]


def test_an_unknown_render_option_is_400(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_get("Patients!A1", params={"valueRenderOption": "PRETTY"})
    assert error_of(excinfo)["status"] == "INVALID_ARGUMENT"


def test_a_cell_over_50000_characters_is_rejected(sh: gspread.Spreadsheet):
    sh.values_update("Patients!A1", params={"valueInputOption": "RAW"}, body={"values": [["x" * 50_000]]})
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_update("Patients!A2", params={"valueInputOption": "RAW"}, body={"values": [["x" * 50_001]]})
    assert error_of(excinfo) == {
        "code": 400,
        "message": ("Your input contains more than the maximum of 50000 characters in a single cell."),
        "status": "INVALID_ARGUMENT",
    }
    assert "values" not in sh.values_get("Patients!A2")


def test_clear_removes_values_but_keeps_notes(sh: gspread.Spreadsheet):
    ws = sh.worksheet("Patients")
    ws.update([["a", "b"], ["c", "d"]], "A1")
    ws.update_note("A1", "keep me")
    assert sh.values_clear("Patients!A1:B1")["clearedRange"] == "Patients!A1:B1"
    assert sh.values_get("Patients")["values"] == [[], ["c", "d"]]
    assert ws.get_note("A1") == "keep me"
    result = sh.values_batch_clear(body={"ranges": ["Patients!A2", "'Front desk'"]})
    assert result["clearedRanges"] == ["Patients!A2", "'Front desk'!A1:Z1000"]
    assert sh.values_get("Patients")["values"] == [[], ["", "d"]]


def test_append_writes_after_the_table_and_grows_the_grid(sh_small: gspread.Spreadsheet):
    sh = sh_small
    sh.values_update("Log!A1", params={"valueInputOption": "RAW"}, body={"values": [["h"], ["1"], ["2"]]})
    result = sh.values_append("Log!A1", params={"valueInputOption": "RAW"}, body={"values": [["3"], ["4"]]})
    assert result["tableRange"] == "Log!A1:A3"
    assert result["updates"]["updatedRange"] == "Log!A4:A5"
    assert sheet_props(sh, "Log")["gridProperties"]["rowCount"] == 5
    assert sh.values_get("Log")["values"] == [["h"], ["1"], ["2"], ["3"], ["4"]]


@pytest.fixture
def sh_small(http: requests.Session, gc: gspread.Client) -> gspread.Spreadsheet:
    """A spreadsheet whose one tab is 3 rows by 2 columns."""
    sid = create(http, tabs=[{"title": "Log", "gridProperties": {"rowCount": 3, "columnCount": 2}}])["spreadsheetId"]
    return gc.open_by_key(sid)


# --- spreadsheets.batchUpdate -----------------------------------------------------------


def test_add_sheet_replies_with_the_new_sheets_properties(sh: gspread.Spreadsheet):
    ws = sh.add_worksheet("Visits", rows=50, cols=8)
    assert (ws.title, ws.row_count, ws.col_count, ws.index) == ("Visits", 50, 8, 2)
    assert isinstance(ws.id, int) and ws.id > 0
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.add_worksheet("visits", rows=5, cols=5)
    assert error_of(excinfo)["message"] == (
        'Invalid requests[0].addSheet: A sheet with the name "visits" already exists. Please enter another name.'
    )


def test_delete_sheet_but_never_the_last_one(sh: gspread.Spreadsheet):
    front = sh.worksheet("Front desk")
    sh.del_worksheet(front)
    assert [w.title for w in sh.worksheets()] == ["Patients"]
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update({"requests": [{"deleteSheet": {"sheetId": 0}}]})
    assert "You can't remove all the sheets in a document." in error_of(excinfo)["message"]


def test_update_sheet_properties_changes_only_masked_fields(sh: gspread.Spreadsheet):
    sh.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": 0,
                            "title": "Ignored",
                            "gridProperties": {"frozenRowCount": 1, "rowCount": 5},
                        },
                        "fields": "gridProperties.frozenRowCount",
                    }
                }
            ]
        }
    )
    props = sheet_props(sh, "Patients")
    assert props["gridProperties"] == {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1}
    sh.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {
                            "sheetId": 0,
                            "title": "People",
                            "gridProperties": {"rowCount": 5},
                        },
                        "fields": "title,gridProperties.rowCount",
                    }
                }
            ]
        }
    )
    props = sheet_props(sh, "People")
    assert props["gridProperties"] == {"rowCount": 5, "columnCount": 26, "frozenRowCount": 1}


def test_notes_and_background_colour_round_trip_through_field_masks(sh: gspread.Spreadsheet, http, sheet_id):
    sh.values_update("Patients!A1", params={"valueInputOption": "RAW"}, body={"values": [["MRN", "Name"]]})
    pink = {"red": 1, "green": 0.8, "blue": 0.8}
    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 1},
                        "rows": [
                            {
                                "values": [
                                    {
                                        "note": "Name is required",
                                        "userEnteredFormat": {"backgroundColor": pink},
                                    }
                                ]
                            }
                        ],
                        "fields": "note,userEnteredFormat.backgroundColor",
                    }
                }
            ]
        }
    )
    cells = grid(
        http,
        sheet_id,
        "Patients!A1:B1",
        "sheets(data.rowData.values(note,userEnteredFormat.backgroundColor,formattedValue))",
    )
    assert cells == [
        {
            "values": [
                {"formattedValue": "MRN"},
                {
                    "formattedValue": "Name",
                    "note": "Name is required",
                    "userEnteredFormat": {"backgroundColor": pink},
                },
            ]
        }
    ]
    assert sh.worksheet("Patients").get_notes() == [["", "Name is required"]]

    sh.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 0,
                            "endRowIndex": 1,
                            "startColumnIndex": 1,
                            "endColumnIndex": 2,
                        },
                        "fields": "note,userEnteredFormat.backgroundColor",
                    }
                }
            ]
        }
    )
    cells = grid(
        http,
        sheet_id,
        "Patients!A1:B1",
        "sheets.data.rowData.values(note,userEnteredFormat,formattedValue)",
    )
    assert cells == [{"values": [{"formattedValue": "MRN"}, {"formattedValue": "Name"}]}]


def test_background_colour_is_mirrored_into_its_style_and_zeros_dropped(sh: gspread.Spreadsheet, http, sheet_id):
    sh.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 0,
                            "endRowIndex": 2,
                            "startColumnIndex": 0,
                            "endColumnIndex": 2,
                        },
                        "cell": {"userEnteredFormat": {"backgroundColor": {"red": 1, "green": 0, "blue": 0}}},
                        "fields": "userEnteredFormat.backgroundColor",
                    }
                }
            ]
        }
    )
    cells = grid(http, sheet_id, "Patients!A1:B2", "sheets.data.rowData.values.userEnteredFormat")
    red = {"backgroundColor": {"red": 1}, "backgroundColorStyle": {"rgbColor": {"red": 1}}}
    assert cells == [{"values": [{"userEnteredFormat": red}] * 2}] * 2


def test_data_validation_lives_on_cell_data_and_can_be_cleared(sh: gspread.Spreadsheet, http, sheet_id):
    rule = {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": "email"}, {"userEnteredValue": "SMS"}],
        },
        "strict": True,
        "showCustomUi": True,
    }
    rng = {
        "sheetId": 0,
        "startRowIndex": 1,
        "endRowIndex": 3,
        "startColumnIndex": 2,
        "endColumnIndex": 3,
    }
    sh.batch_update({"requests": [{"setDataValidation": {"range": rng, "rule": rule}}]})
    cells = grid(http, sheet_id, "Patients!C1:C3", "sheets.data.rowData.values.dataValidation")
    assert cells == [
        {},
        {"values": [{"dataValidation": rule}]},
        {"values": [{"dataValidation": rule}]},
    ]

    sh.batch_update({"requests": [{"setDataValidation": {"range": rng}}]})
    assert grid(http, sheet_id, "Patients!C1:C3", "sheets.data.rowData.values.dataValidation") == []


def test_one_of_list_needs_values(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update(
            {
                "requests": [
                    {
                        "setDataValidation": {
                            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                            "rule": {"condition": {"type": "ONE_OF_LIST"}},
                        }
                    }
                ]
            }
        )
    assert error_of(excinfo)["message"].startswith("Invalid requests[0].setDataValidation: ")


def test_protected_ranges_are_added_with_an_id_and_deleted(sh: gspread.Spreadsheet, http, sheet_id):
    result = sh.batch_update(
        {
            "requests": [
                {
                    "addProtectedRange": {
                        "protectedRange": {
                            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                            "description": "Header row",
                            "warningOnly": True,
                        }
                    }
                }
            ]
        }
    )
    protected = result["replies"][0]["addProtectedRange"]["protectedRange"]
    assert isinstance(protected["protectedRangeId"], int)
    assert protected["range"] == {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}
    assert protected["warningOnly"] is True and protected["description"] == "Header row"
    listed = http.get(f"{API}/{sheet_id}", params={"fields": "sheets(properties.title,protectedRanges)"}).json()
    assert listed["sheets"][0]["protectedRanges"] == [protected]
    assert "protectedRanges" not in listed["sheets"][1]

    sh.batch_update({"requests": [{"deleteProtectedRange": {"protectedRangeId": protected["protectedRangeId"]}}]})
    listed = http.get(f"{API}/{sheet_id}", params={"fields": "sheets.protectedRanges"}).json()
    assert listed == {"sheets": [{}, {}]}


def test_insert_dimension_shifts_values_notes_and_validation(sh: gspread.Spreadsheet, http, sheet_id):
    ws = sh.worksheet("Patients")
    ws.update([["h"], ["a"], ["b"]], "A1")
    ws.update_note("A3", "note on b")
    ws.insert_rows([["new"]], row=2)
    assert sh.values_get("Patients!A1:A4")["values"] == [["h"], ["new"], ["a"], ["b"]]
    assert ws.get_note("A4") == "note on b"
    assert sheet_props(sh, "Patients")["gridProperties"]["rowCount"] == 1001


def test_delete_dimension_shifts_cells_up_and_cannot_delete_every_row(sh: gspread.Spreadsheet):
    ws = sh.worksheet("Patients")
    ws.update([["h"], ["a"], ["b"]], "A1")
    ws.update_note("A3", "note on b")
    ws.delete_rows(2)
    assert sh.values_get("Patients!A1:A3")["values"] == [["h"], ["b"]]
    assert ws.get_note("A2") == "note on b"
    assert sheet_props(sh, "Patients")["gridProperties"]["rowCount"] == 999
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update(
            {
                "requests": [
                    {
                        "deleteDimension": {
                            "range": {
                                "sheetId": 0,
                                "dimension": "ROWS",
                                "startIndex": 0,
                                "endIndex": 999,
                            }
                        }
                    }
                ]
            }
        )
    assert "You can't delete all the rows on the sheet." in error_of(excinfo)["message"]


def test_delete_columns_moves_data_left(sh: gspread.Spreadsheet):
    sh.values_update("Patients!A1", params={"valueInputOption": "RAW"}, body={"values": [["a", "b", "c"]]})
    sh.batch_update(
        {
            "requests": [
                {
                    "deleteDimension": {
                        "range": {
                            "sheetId": 0,
                            "dimension": "COLUMNS",
                            "startIndex": 1,
                            "endIndex": 2,
                        }
                    }
                }
            ]
        }
    )
    assert sh.values_get("Patients!A1:C1")["values"] == [["a", "c"]]
    assert sheet_props(sh, "Patients")["gridProperties"]["columnCount"] == 25


def test_append_dimension_grows_the_grid(sh: gspread.Spreadsheet):
    sh.batch_update({"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 500}}]})
    assert sheet_props(sh, "Patients")["gridProperties"]["rowCount"] == 1500
    sh.values_update("Patients!A1500", params={"valueInputOption": "RAW"}, body={"values": [["last"]]})


def test_sort_range_moves_whole_rows_and_puts_empties_last(sh: gspread.Spreadsheet):
    ws = sh.worksheet("Patients")
    ws.update([["name", "age"], ["cy", 40], ["", 7], ["Ada", 9], ["bob", 40]], "A1")
    ws.update_note("A4", "Ada's note")
    sh.batch_update(
        {
            "requests": [
                {
                    "sortRange": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "endRowIndex": 5,
                            "startColumnIndex": 0,
                            "endColumnIndex": 2,
                        },
                        "sortSpecs": [
                            {"dimensionIndex": 1, "sortOrder": "DESCENDING"},
                            {"dimensionIndex": 0, "sortOrder": "ASCENDING"},
                        ],
                    }
                }
            ]
        }
    )
    assert sh.values_get("Patients!A1:B5", params={"valueRenderOption": "UNFORMATTED_VALUE"})["values"] == [
        ["name", "age"],
        ["bob", 40],
        ["cy", 40],
        ["Ada", 9],
        ["", 7],
    ]
    assert ws.get_note("A4") == "Ada's note"


def test_gspread_freeze_format_and_resize(sh: gspread.Spreadsheet, http, sheet_id):
    ws = sh.worksheet("Patients")
    ws.freeze(rows=1)
    ws.format("A1:B1", {"textFormat": {"bold": True}})
    ws.resize(rows=20, cols=5)
    assert sheet_props(sh, "Patients")["gridProperties"] == {"rowCount": 20, "columnCount": 5, "frozenRowCount": 1}
    cells = grid(http, sheet_id, "Patients!A1:B1", "sheets.data.rowData.values.userEnteredFormat.textFormat")
    assert cells == [{"values": [{"userEnteredFormat": {"textFormat": {"bold": True}}}] * 2}]
    ws.freeze(rows=0)
    assert "frozenRowCount" not in sheet_props(sh, "Patients")["gridProperties"]


def test_shrinking_the_grid_drops_cells_outside_it(sh: gspread.Spreadsheet):
    sh.values_update("Patients!A1", params={"valueInputOption": "RAW"}, body={"values": [["keep"], [""], ["drop"]]})
    sh.worksheet("Patients").resize(rows=2)
    sh.worksheet("Patients").resize(rows=3)
    assert sh.values_get("Patients")["values"] == [["keep"]]


def test_batch_update_is_atomic(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "Visits"}}},
                    {
                        "updateCells": {
                            "start": {"sheetId": 0},
                            "rows": [{"values": [{"note": "x"}]}],
                            "fields": "note",
                        }
                    },
                    {"deleteSheet": {"sheetId": 424242}},
                ]
            }
        )
    assert error_of(excinfo)["message"] == "Invalid requests[2].deleteSheet: No grid with id: 424242"
    assert [w.title for w in sh.worksheets()] == ["Patients", "Front desk"]
    assert sh.worksheet("Patients").get_notes() == [[]]


def test_replies_come_in_request_order(sh: gspread.Spreadsheet):
    result = sh.batch_update(
        {
            "requests": [
                {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 1}},
                {"addSheet": {"properties": {"title": "Visits"}}},
            ]
        }
    )
    assert result["replies"][0] == {}
    assert result["replies"][1]["addSheet"]["properties"]["title"] == "Visits"


def test_unknown_and_unsupported_requests_are_refused(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update({"requests": [{"addSheeet": {}}]})
    assert error_of(excinfo)["message"] == (
        "Invalid JSON payload received. Unknown name \"addSheeet\" at 'requests[0]': Cannot find field."
    )
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update({"requests": [{"mergeCells": {}}]})
    assert excinfo.value.response.status_code == 501


def test_ten_million_cells_is_the_limit(sh: gspread.Spreadsheet):
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update({"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 400_000}}]})
    assert "above the limit of 10000000 cells" in error_of(excinfo)["message"]


# --- errors, access and authentication ---------------------------------------------------


def test_unknown_spreadsheet_is_404(gc: gspread.Client, http: requests.Session):
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        gc.open_by_key("no-such-spreadsheet")
    response = http.get(f"{API}/no-such-spreadsheet/values/A1")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
    }


def test_a_denied_spreadsheet_is_403(emu: SheetsEmulator, gc: gspread.Client, sheet_id: str):
    emu.deny(sheet_id)
    with pytest.raises(PermissionError) as excinfo:
        gc.open_by_key(sheet_id)
    cause = excinfo.value.__cause__
    assert isinstance(cause, gspread.exceptions.APIError)
    assert cause.response.json()["error"] == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    emu.allow(sheet_id)
    assert gc.open_by_key(sheet_id).title == "Clinic"


def test_require_auth_answers_401_without_a_bearer_token(clock: FakeClock):
    with SheetsEmulator(clock=clock, require_auth=True) as emulator:
        anonymous = session_for(emulator.base_url)
        response = anonymous.post(API, json={})
        assert response.status_code == 401
        assert response.json()["error"]["status"] == "UNAUTHENTICATED"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        signed_in = gspread_client(emulator.base_url, token="ya29.test")
        sid = session_for(emulator.base_url, token="ya29.test").post(API, json={}).json()["spreadsheetId"]
        assert signed_in.open_by_key(sid).sheet1.title == "Sheet1"


# --- quotas --------------------------------------------------------------------------------


def test_per_user_read_quota_answers_429_until_the_minute_passes(clock: FakeClock):
    with SheetsEmulator(clock=clock, user_quota_per_minute=3) as emulator:
        http = session_for(emulator.base_url)
        sid = http.post(API, json={}).json()["spreadsheetId"]
        url = f"{API}/{sid}/values/A1"
        assert [http.get(url).status_code for _ in range(3)] == [200, 200, 200]
        refused = http.get(url)
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED"
        assert error["message"] == (
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
            "minute per user' of service 'sheets.googleapis.com' for consumer "
            "'project_number:000000000000'."
        )
        assert http.post(f"{API}/{sid}/values/A1:clear").status_code == 200, "writes count apart"
        clock.advance(59)
        assert http.get(url).status_code == 429
        clock.advance(1.5)
        assert http.get(url).status_code == 200


def test_project_quota_is_shared_by_all_users(clock: FakeClock):
    with SheetsEmulator(clock=clock, read_quota_per_minute=4, user_quota_per_minute=3) as emulator:
        alice = session_for(emulator.base_url, token="alice")
        bob = session_for(emulator.base_url, token="bob")
        sid = alice.post(API, json={}).json()["spreadsheetId"]
        url = f"{API}/{sid}"
        assert [alice.get(url).status_code for _ in range(3)] == [200, 200, 200]
        assert alice.get(url).status_code == 429
        assert bob.get(url).status_code == 200
        refused = bob.get(url)
        assert refused.status_code == 429
        assert "limit 'Read requests per minute' of service" in refused.json()["error"]["message"]


def test_write_quota_429_with_gspread_api_error(clock: FakeClock):
    with SheetsEmulator(clock=clock, write_quota_per_minute=2) as emulator:
        sid = session_for(emulator.base_url).post(API, json={}).json()["spreadsheetId"]
        sh = gspread_client(emulator.base_url).open_by_key(sid)
        sh.values_update("A1", params={"valueInputOption": "RAW"}, body={"values": [["a"]]})
        with pytest.raises(gspread.exceptions.APIError) as excinfo:
            sh.values_update("A1", params={"valueInputOption": "RAW"}, body={"values": [["b"]]})
        assert excinfo.value.code == 429
        assert "'Write requests per minute'" in error_of(excinfo)["message"]
        clock.advance(61)
        sh.values_update("A1", params={"valueInputOption": "RAW"}, body={"values": [["b"]]})
        assert sh.values_get("A1")["values"] == [["b"]]


# --- fault injection and the request log ------------------------------------------------------


def test_fail_next_answers_documented_errors_then_recovers(emu: SheetsEmulator, http: requests.Session, sheet_id: str):
    url = f"{API}/{sheet_id}"
    emu.fail_next(status=429, times=2)
    first, second, third = (http.get(url) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"

    emu.fail_next(status=503)
    assert http.get(url).json() == {
        "error": {
            "code": 503,
            "message": "The service is currently unavailable.",
            "status": "UNAVAILABLE",
        }
    }
    emu.fail_next(status=500, kind="write")
    assert http.get(url).status_code == 200
    failed = http.post(f"{API}/{sheet_id}/values/A1:clear")
    assert failed.json()["error"] == {
        "code": 500,
        "message": "Internal error encountered.",
        "status": "INTERNAL",
    }


def test_gspread_sees_injected_failures_as_api_errors(emu: SheetsEmulator, sh: gspread.Spreadsheet):
    emu.fail_next(status=503)
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.values_batch_get(["Patients"])
    assert excinfo.value.code == 503
    assert sh.values_batch_get(["Patients"])["valueRanges"][0]["range"] == "Patients!A1:Z1000"


def test_request_log_records_each_call(emu: SheetsEmulator, sh: gspread.Spreadsheet, sheet_id: str):
    emu.requests.clear()
    sh.values_batch_get(["Patients", "'Front desk'!A1:B2"], params={"valueRenderOption": "FORMULA"})
    sh.values_batch_update({"valueInputOption": "RAW", "data": [{"range": "Patients!A1", "values": [["x"]]}]})
    with pytest.raises(gspread.exceptions.APIError):
        sh.values_get("Nowhere!A1")

    read, write, failed = emu.requests
    assert (read.method, read.kind, read.status) == ("GET", "read", 200)
    assert read.path == f"/v4/spreadsheets/{sheet_id}/values:batchGet"
    assert read.query["ranges"] == ["Patients", "'Front desk'!A1:B2"]
    assert read.query["valueRenderOption"] == ["FORMULA"]
    assert read.request_bytes == 0 and read.response_bytes > 0
    assert (write.method, write.kind, write.status) == ("POST", "write", 200)
    assert write.json()["valueInputOption"] == "RAW"
    assert write.request_bytes == len(write.body) > 0
    assert failed.status == 400 and failed.decoded_path.endswith("/values/Nowhere!A1")
    assert failed.response_json()["error"]["message"] == "Unable to parse range: Nowhere!A1"


# --- Drive calls gspread makes -----------------------------------------------------------


def test_gspread_create_open_by_title_and_delete_go_through_drive(gc: gspread.Client):
    created = gc.create("Inventory")
    assert gc.open("Inventory").id == created.id
    assert [f["name"] for f in gc.list_spreadsheet_files()] == ["Inventory"]
    gc.del_spreadsheet(created.id)
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        gc.open("Inventory")


# --- the foreground server -------------------------------------------------------------------


def test_serve_prints_its_base_url_first_then_logs_requests():
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from clinicops.connectors.emulators.sheets import serve; serve('127.0.0.1', 0)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        created = requests.post(f"{base_url}/v4/spreadsheets", json={"properties": {"title": "CLI"}}, timeout=5)
        assert created.json()["properties"]["title"] == "CLI"
        assert process.stdout.readline().startswith("POST /v4/spreadsheets -> 200")
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


def bar_chart(sheet: int, rows: list[tuple[int, int]], title: str = "Rates") -> dict[str, Any]:
    """A ``ChartSpec``: bars named by column A and long as column B, over (first, end) row runs."""

    def data(col: int) -> dict[str, Any]:
        sources = [
            {"sheetId": sheet, "startRowIndex": a, "endRowIndex": b, "startColumnIndex": col, "endColumnIndex": col + 1}
            for a, b in rows
        ]
        return {"sourceRange": {"sources": sources}}

    return {
        "title": title,
        "basicChart": {
            "chartType": "BAR",
            "domains": [{"domain": data(0)}],
            "series": [{"series": data(1), "targetAxis": "BOTTOM_AXIS"}],
        },
    }


def test_charts_are_added_listed_updated_and_deleted(sh: gspread.Spreadsheet, http, sheet_id):
    where = {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 0, "columnIndex": 4}, "widthPixels": 600}}
    added = sh.batch_update(
        {"requests": [{"addChart": {"chart": {"spec": bar_chart(0, [(1, 3)]), "position": where}}}]}
    )
    chart = added["replies"][0]["addChart"]["chart"]
    assert isinstance(chart["chartId"], int) and chart["spec"]["title"] == "Rates" and chart["position"] == where
    fields = {"fields": "sheets(properties.title,charts(chartId,spec(title)))"}
    listed = http.get(f"{API}/{sheet_id}", params=fields).json()["sheets"]
    assert listed[0]["charts"] == [{"chartId": chart["chartId"], "spec": {"title": "Rates"}}]
    assert "charts" not in listed[1]

    with pytest.raises(gspread.exceptions.APIError) as excinfo:  # an id in use is refused: no second copy
        sh.batch_update({"requests": [{"addChart": {"chart": {**chart, "position": where}}}]})
    assert error_of(excinfo)["status"] == "INVALID_ARGUMENT"

    moved = bar_chart(0, [(1, 2), (5, 7)], "Money")
    replies = sh.batch_update({"requests": [{"updateChartSpec": {"chartId": chart["chartId"], "spec": moved}}]})
    assert replies["replies"] == [{}]
    [stored] = http.get(f"{API}/{sheet_id}").json()["sheets"][0]["charts"]
    assert stored["spec"] == moved

    sh.batch_update({"requests": [{"deleteEmbeddedObject": {"objectId": chart["chartId"]}}]})
    assert "charts" not in http.get(f"{API}/{sheet_id}").json()["sheets"][0]
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update({"requests": [{"deleteEmbeddedObject": {"objectId": chart["chartId"]}}]})
    assert f"No object with id: {chart['chartId']}" in error_of(excinfo)["message"]


def test_a_chart_whose_domain_and_series_do_not_pair_up_is_refused(sh: gspread.Spreadsheet):
    spec = bar_chart(0, [(1, 3)])
    spec["basicChart"]["series"][0]["series"]["sourceRange"]["sources"][0]["endRowIndex"] = 4
    where = {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 0, "columnIndex": 4}}}
    with pytest.raises(gspread.exceptions.APIError) as excinfo:
        sh.batch_update({"requests": [{"addChart": {"chart": {"spec": spec, "position": where}}}]})
    assert "same number of source ranges" in error_of(excinfo)["message"]


def test_a_charts_ranges_move_with_rows_deleted_and_inserted(sh: gspread.Spreadsheet, http, sheet_id):
    where = {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 0, "columnIndex": 4}}}
    sh.batch_update(
        {"requests": [{"addChart": {"chart": {"spec": bar_chart(0, [(2, 3), (5, 7)]), "position": where}}}]}
    )
    ws = sh.get_worksheet(0)
    ws.delete_rows(3)  # row index 2: the first run's only row
    ws.insert_rows([["x"]], row=1)  # a row above everything

    [chart] = http.get(f"{API}/{sheet_id}").json()["sheets"][0]["charts"]
    domain = chart["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"]
    assert [(g["startRowIndex"], g["endRowIndex"]) for g in domain] == [(5, 7)]  # (5,7) -1 +1; (2,3) gone
