"""The Sheets emulator's pure parts: A1 notation, typed input, dates, formats, field masks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicops.connectors.emulators.sheets import a1, dates, entry, fields, render
from clinicops.connectors.emulators.sheets.errors import ApiError

# --- A1 notation ------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=a1.MAX_COLUMNS - 1))
def test_column_letters_and_index_are_inverse(index: int):
    assert a1.column_index(a1.column_letters(index)) == index


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (18277, "ZZZ")])
def test_column_letters(index: int, letters: str):
    assert a1.column_letters(index) == letters


@given(st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t and t))
def test_any_title_survives_quoting_and_splitting(title: str):
    ref = a1.split_range(f"{a1.quote_title(title)}!B2:C3")
    assert (ref.sheet, ref.cells) == (title, "B2:C3")


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("Patients", "Patients"),
        ("all_apis", "all_apis"),
        ("Front desk", "'Front desk'"),
        ("Bob's", "'Bob''s'"),
        ("Q1", "'Q1'"),
        ("2024", "'2024'"),
    ],
)
def test_titles_are_quoted_only_when_needed(title: str, written: str):
    assert a1.quote_title(title) == written


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("A1", (0, 0, 1, 1)),
        ("B2:C10", (1, 1, 10, 3)),
        ("A:C", (None, 0, None, 3)),
        ("2:5", (1, None, 5, None)),
        ("A2:Z", (1, 0, None, 26)),
        ("$B$3", (2, 1, 3, 2)),
        ("c3:a1", (0, 0, 3, 3)),
    ],
)
def test_cell_parts_parse_to_half_open_bounds(text: str, bounds: tuple):
    span = a1.parse_cells(text)
    assert span is not None
    assert (span.start_row, span.start_col, span.end_row, span.end_col) == bounds


@pytest.mark.parametrize("text", ["A0", "A", "5", "A:5", "ZZZZ1", "A1:", "Patients", "A1B2"])
def test_things_that_are_not_cell_ranges(text: str):
    assert a1.parse_cells(text) is None


@pytest.mark.parametrize("text", ["", "'unterminated!A1", "'x'A1", "Sheet!", "!A1", "''!A1"])
def test_unparsable_ranges_are_400(text: str):
    with pytest.raises(ApiError) as excinfo:
        a1.split_range(text)
    assert excinfo.value.code == 400
    assert excinfo.value.message == f"Unable to parse range: {text}"


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "number"),
    [(dt.date(1899, 12, 30), 0), (dt.date(1900, 3, 1), 61), (dt.date(2026, 3, 4), 46085)],
)
def test_serial_numbers_count_days_since_1899_12_30(day: dt.date, number: int):
    assert dates.to_serial(day) == number


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)))
def test_serials_round_trip_to_the_millisecond(moment: dt.datetime):
    back = dates.from_serial(dates.to_serial(moment))
    assert abs(back - moment) <= dt.timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("pattern", "shown"),
    [
        ("yyyy-mm-dd", "2026-03-04"),
        ("M/d/yyyy", "3/4/2026"),
        ("dd/MM/yy", "04/03/26"),
        ("mmmm d, yyyy", "March 4, 2026"),
        ("ddd mmm d", "Wed Mar 4"),
        ("h:mm:ss am/pm", "3:05:09 PM"),
        ("H:mm", "15:05"),
        ('yyyy"年"', "2026年"),
    ],
)
def test_date_patterns(pattern: str, shown: str):
    serial = dates.to_serial(dt.datetime(2026, 3, 4, 15, 5, 9))
    assert dates.format_serial(serial, pattern) == shown


# --- typed input ----------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=200))
def test_raw_stores_every_string_as_a_string(text: str):
    assert entry.parse_value(text, "RAW", "v").value == {"stringValue": text}


@pytest.mark.parametrize(
    ("typed", "value", "number_type"),
    [
        ("=SUM(A1:A3)", {"formulaValue": "=SUM(A1:A3)"}, None),
        ("'=SUM(A1)", {"stringValue": "=SUM(A1)"}, None),
        ("0123", {"numberValue": 123.0}, None),
        ("-4.5", {"numberValue": -4.5}, None),
        ("1,234", {"numberValue": 1234.0}, "NUMBER"),
        ("TRUE", {"boolValue": True}, None),
        ("false", {"boolValue": False}, None),
        ("50%", {"numberValue": 0.5}, "PERCENT"),
        ("$1,250.00", {"numberValue": 1250.0}, "CURRENCY"),
        ("2026-03-04", {"numberValue": 46085.0}, "DATE"),
        ("3/4/2026", {"numberValue": 46085.0}, "DATE"),
        ("2026-03-04 06:00", {"numberValue": 46085.25}, "DATE_TIME"),
        ("18:00", {"numberValue": 0.75}, "TIME"),
        ("2/30/2026", {"stringValue": "2/30/2026"}, None),
        ("+1+1", {"stringValue": "+1+1"}, None),
        ("555-0101", {"stringValue": "555-0101"}, None),
    ],
)
def test_user_entered_parses_like_typing(typed: str, value: dict, number_type: str | None):
    parsed = entry.parse_user_entered(typed)
    assert parsed.value == value
    assert (parsed.number_format or {}).get("type") == number_type


def test_empty_string_clears_and_non_scalars_are_refused():
    assert entry.parse_value("", "USER_ENTERED", "v").value is None
    with pytest.raises(ApiError):
        entry.parse_value(["nested"], "RAW", "values[0][0]")


# --- rendering numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "fmt", "shown"),
    [
        (3.0, {}, "3"),
        (0.1 + 0.2, {}, "0.3"),
        (3.14159265358979, {}, "3.141592654"),
        (1e20, {}, "1E+20"),
        (1234.5, {"type": "NUMBER", "pattern": "#,##0.00"}, "1,234.50"),
        (0.125, {"type": "PERCENT", "pattern": "0.00%"}, "12.50%"),
        (-3.5, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}, "-$3.50"),
        (46085, {"type": "DATE", "pattern": "yyyy-mm-dd"}, "2026-03-04"),
        (46085, {"type": "DATE"}, "3/4/2026"),
    ],
)
def test_number_formats(number: float, fmt: dict, shown: str):
    assert render.format_number(number, fmt) == shown


def test_whole_numbers_serialise_without_a_decimal_point():
    assert render.json_number(5.0) == 5 and isinstance(render.json_number(5.0), int)
    assert render.json_number(2.5) == 2.5


# --- field masks -----------------------------------------------------------------------------


def test_masks_parse_paths_and_sub_selections():
    assert fields.parse_mask("sheets(properties(sheetId,title),data.rowData.values.note)") == {
        "sheets": {
            "properties": {"sheetId": None, "title": None},
            "data": {"rowData": {"values": {"note": None}}},
        }
    }
    assert fields.parse_mask("a/b,a.c,a") == {"a": None}


@pytest.mark.parametrize("text", ["", "a,", "a(b", "a b", "a..b", "(a)"])
def test_malformed_masks_are_400(text: str):
    with pytest.raises(ApiError) as excinfo:
        fields.parse_mask(text)
    assert excinfo.value.code == 400


def test_select_filters_lists_item_by_item():
    data = {"sheets": [{"properties": {"title": "A", "index": 0}, "data": [1]}, {"properties": {}}]}
    mask = fields.parse_mask("sheets.properties.title")
    assert fields.select(data, mask) == {"sheets": [{"properties": {"title": "A"}}, {}]}


def test_overlay_copies_masked_fields_and_clears_absent_ones():
    target = {"note": "old", "userEnteredFormat": {"backgroundColor": {"red": 1}, "wrap": "x"}}
    source = {"userEnteredFormat": {"bold": True}}
    mask = fields.parse_mask("note,userEnteredFormat.backgroundColor")
    assert fields.overlay(target, source, mask) == {"userEnteredFormat": {"wrap": "x"}}
    assert target["note"] == "old", "the target itself is never changed"
