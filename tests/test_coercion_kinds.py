"""The rules of each kind of column, beyond the field cases in messy-cells.json."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinicops.core.coercion import (
    CellError,
    CoerceContext,
    cell_value_for,
    cell_writer_for,
    coercer_for,
    kind_of,
)

from .coercion_fields import BOOLEAN, CODE, DATE, DATETIME, EMAIL, INTEGER, MONEY, NPI, NUMBER, PHONE, TEXT

ZONE = ZoneInfo("America/New_York")
CTX = CoerceContext(timezone=ZONE, phone_region="US", date_order="MDY", reference_year=2026)
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"

CODES = {"type": "array", "items": CODE}
STATUS = {
    "type": "string",
    "enum": ["scheduled", "confirmed", "checked-in", "completed", "no-show", "cancelled"],
    "x-aliases": {"canceled": "cancelled", "done": "completed"},
}
EVERY_KIND = [TEXT, DATE, DATETIME, PHONE, EMAIL, MONEY, INTEGER, NUMBER, BOOLEAN, NPI, CODE]
EVERY_KIND += [CODES, STATUS]


def coerce(schema: dict[str, Any], raw: Any, ctx: CoerceContext = CTX) -> Any:
    return coercer_for(schema, ctx)(raw)


def problem(schema: dict[str, Any], raw: Any, ctx: CoerceContext = CTX) -> str:
    with pytest.raises(CellError) as caught:
        coercer_for(schema, ctx)(raw)
    return caught.value.problem


def utc(text: str) -> str:
    """A local New York time as the canonical UTC text, computed independently."""
    local = datetime.fromisoformat(text).replace(tzinfo=ZONE)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TestBlankCells:
    @pytest.mark.parametrize("schema", EVERY_KIND, ids=kind_of)
    @pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0", "\u200b\ufeff", "\t\n"])
    def test_blank_cell_is_none_in_every_kind(self, schema: dict[str, Any], raw: Any) -> None:
        assert coerce(schema, raw) is None

    def test_blank_boolean_is_unknown_not_false(self) -> None:
        assert coerce(BOOLEAN, "") is None
        assert coerce(BOOLEAN, False) is False

    @pytest.mark.parametrize("schema", EVERY_KIND, ids=kind_of)
    def test_none_is_written_as_an_empty_cell(self, schema: dict[str, Any]) -> None:
        assert cell_value_for(schema, None, CTX) is None


class TestText:
    def test_text_is_trimmed_and_kept_as_typed(self) -> None:
        assert coerce(TEXT, "  Ada  Lovelace \u200b") == "Ada  Lovelace"

    @pytest.mark.parametrize("raw", ["=1+1", "+1+1", "-5 mg", "@home", '=HYPERLINK("x")'])
    def test_text_that_looks_like_a_formula_is_literal(self, raw: str) -> None:
        assert coerce(TEXT, raw) == raw
        assert cell_value_for(TEXT, raw, CTX) == raw

    def test_leading_zeros_typed_as_text_are_kept(self) -> None:
        assert coerce(TEXT, "02134") == "02134"
        assert coerce(TEXT, "000123") == "000123"

    def test_number_from_a_reader_reads_as_its_digits(self) -> None:
        assert coerce(TEXT, 12345.0) == "12345"
        assert coerce(TEXT, 120000.0) == "120000"
        assert coerce(TEXT, 1e20) == "100000000000000000000"
        assert coerce(TEXT, 0.00001) == "0.00001"
        assert coerce(TEXT, 2.5) == "2.5"

    def test_zip_typed_into_a_number_cell_has_lost_its_zero_before_we_see_it(self) -> None:
        # 02134 in a number-formatted cell reaches us as 2134.0; the zip pattern then
        # reports "2134", which is why zip columns are text-formatted.
        assert coerce(TEXT, 2134.0) == "2134"

    def test_other_reader_values_read_as_the_sheet_shows_them(self) -> None:
        assert coerce(TEXT, True) == "TRUE"
        assert coerce(TEXT, date(2026, 3, 4)) == "2026-03-04"
        assert coerce(TEXT, datetime(2026, 3, 4)) == "2026-03-04"
        assert coerce(TEXT, datetime(2026, 3, 4, 14, 30)) == "2026-03-04 14:30:00"
        assert coerce(TEXT, time(14, 30)) == "14:30:00"

    def test_spreadsheet_error_value_is_reported(self) -> None:
        assert "error" in problem(TEXT, float("nan"))

    def test_unsupported_reader_value_is_a_cell_error(self) -> None:
        assert "duration" in problem(TEXT, timedelta(hours=2))


class TestDates:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2026-03-04", "2026-03-04"),
            ("2026/3/4", "2026-03-04"),
            ("3-4-2026", "2026-03-04"),
            ("Wed, March 4th, 2026", "2026-03-04"),
            ("Mar. 4, 2026", "2026-03-04"),
            ("4-Mar-26", "2026-03-04"),
            ("4 of March 2026", "2026-03-04"),
            ("sept 9 2026", "2026-09-09"),
            ("20260304", "2026-03-04"),
            ("2/29/2024", "2024-02-29"),
            ("3/4/2026 12:00:00 AM", "2026-03-04"),
            ("2026-03-04T00:00:00", "2026-03-04"),
        ],
    )
    def test_date_forms(self, raw: str, expected: str) -> None:
        assert coerce(DATE, raw) == expected

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("2/29/2026", "February 2026 has no day 29"),
            ("4/31/2026", "April 2026 has no day 31"),
            ("31/12/2026", "month must be between 1 and 12"),
            ("3/32/2026", "day must be between 1 and 31"),
            ("3/4/026", "four digits"),
            ("Thu March 4 2026", "a Wednesday"),
            ("3/4/2026 2:30 PM", "without a time of day"),
            ("Smarch 4, 2026", "not a date"),
            ("tbd", "placeholder"),
            ("2026", "a number alone"),
            ("030426", "a number alone"),
        ],
    )
    def test_bad_dates_say_why(self, raw: str, reason: str) -> None:
        assert reason in problem(DATE, raw)

    def test_reader_objects(self) -> None:
        assert coerce(DATE, date(2026, 3, 4)) == "2026-03-04"
        assert coerce(DATE, datetime(2026, 3, 4)) == "2026-03-04"
        assert "time of day" in problem(DATE, datetime(2026, 3, 4, 9, 15))
        assert "no date" in problem(DATE, time(9, 15))
        assert "yes/no" in problem(DATE, True)

    def test_aware_datetime_is_the_date_it_is_in_the_practice(self) -> None:
        moment = datetime(2026, 3, 5, 5, 0, tzinfo=UTC)
        assert coerce(DATE, moment) == "2026-03-05"
        assert coerce(DATE, datetime(2026, 3, 5, 0, 0, tzinfo=ZONE)) == "2026-03-05"

    @pytest.mark.parametrize("raw", [46085, 46085.0, "46085"])
    def test_serial_numbers_count_days_from_1899_12_30(self, raw: Any) -> None:
        assert coerce(DATE, raw) == "2026-03-04"

    def test_serial_number_rules(self) -> None:
        assert coerce(DATE, 1) == "1899-12-31"
        assert coerce(DATE, 9500.0) == "1926-01-03"  # a centenarian's birth date in Sheets
        assert "time of day" in problem(DATE, 46085.5)
        assert "no date" in problem(DATE, 0.5)
        assert "serial" in problem(DATE, 0)
        assert "serial" in problem(DATE, -3)
        assert "serial" in problem(DATE, 3_000_000)
        assert "error" in problem(DATE, float("inf"))

    def test_day_first_practice(self) -> None:
        ctx = CoerceContext(timezone=ZONE, date_order="DMY", reference_year=2026)
        assert coerce(DATE, "31/12/2026", ctx) == "2026-12-31"
        assert coerce(DATE, "3/4/2026", ctx) == "2026-04-03"
        assert coerce(DATE, "4 Mar 2026", ctx) == "2026-03-04"
        assert coerce(DATE, "2026-03-04", ctx) == "2026-03-04"
        assert "day first" in problem(DATE, "12/31/2026", ctx)

    def test_year_first_practice(self) -> None:
        ctx = CoerceContext(timezone=ZONE, date_order="YMD", reference_year=2026)
        assert coerce(DATE, "26/3/4", ctx) == "2026-03-04"
        assert coerce(DATE, "2026.03.04", ctx) == "2026-03-04"
        assert "year first" in problem(DATE, "3/4/2026", ctx)

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("3/4/26", "2026-03-04"), ("3/4/45", "2045-03-04"), ("3/4/46", "1946-03-04")],
    )
    def test_two_digit_years_fall_80_years_back_to_19_ahead(self, raw: str, expected: str) -> None:
        assert coerce(DATE, raw) == expected

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("3/4/26", "2026-03-04"), ("3/4/27", "1927-03-04"), ("3/4/30", "1930-03-04")],
    )
    def test_birth_dates_read_two_digit_years_in_the_past(self, raw: str, expected: str) -> None:
        birth_date = {**DATE, "x-two-digit-year": "past"}
        assert coerce(birth_date, raw) == expected

    def test_the_window_follows_the_reference_year(self) -> None:
        later = CoerceContext(timezone=ZONE, reference_year=2050)
        assert coerce(DATE, "3/4/69", later) == "2069-03-04"
        assert coerce(DATE, "3/4/70", later) == "1970-03-04"
        assert coerce(DATE, "3/4/69", CTX) == "1969-03-04"

    def test_written_as_a_date_object(self) -> None:
        assert cell_value_for(DATE, "2026-03-04", CTX) == date(2026, 3, 4)


class TestDateTimes:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("2026-03-04 14:30", utc("2026-03-04 14:30")),
            ("2026-03-04T14:30:15", utc("2026-03-04 14:30:15")),
            ("3/4/2026 2:30 PM", utc("2026-03-04 14:30")),
            ("3/4/2026 2:30 p.m.", utc("2026-03-04 14:30")),
            ("3/4/2026 2 PM", utc("2026-03-04 14:00")),
            ("3/4/2026 12:15 AM", utc("2026-03-04 00:15")),
            ("3/30/2026 09:05", utc("2026-03-30 09:05")),
            ("March 4, 2026 at 2:30 pm", utc("2026-03-04 14:30")),
            ("2026-07-04 14:30", utc("2026-07-04 14:30")),
            ("2026-03-04T14:30:00-05:00", "2026-03-04T19:30:00Z"),
            ("2026-03-04 14:30 +0100", "2026-03-04T13:30:00Z"),
            ("2026-03-04T19:30:00Z", "2026-03-04T19:30:00Z"),
            ("2026-03-04T19:30:00.000Z", "2026-03-04T19:30:00Z"),
            ("2026-03-04 14:30:59.6", utc("2026-03-04 14:31")),
        ],
    )
    def test_datetime_forms(self, raw: str, expected: str) -> None:
        assert coerce(DATETIME, raw) == expected

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("2026-03-04 25:00", "hour must be between 0 and 23"),
            ("3/4/2026 13:30 PM", "with AM or PM"),
            ("2026-03-04 14:75", "minutes"),
            ("2:30 PM", "a time but no date"),
            ("2026-03-04", "a date but no time"),
            ("2026-02-30 10:00", "February 2026 has no day 30"),
            ("2026-03-04 14:30 +25:00", "offset"),
            ("2026-03-08 02:30", "does not exist"),
            ("N/A", "placeholder"),
        ],
    )
    def test_bad_datetimes_say_why(self, raw: str, reason: str) -> None:
        assert reason in problem(DATETIME, raw)

    def test_the_hour_skipped_in_spring_is_an_error_in_every_form(self) -> None:
        for raw in ("2026-03-08 02:30", "3/8/2026 2:30 AM", datetime(2026, 3, 8, 2, 30)):
            assert "does not exist" in problem(DATETIME, raw)
        assert coerce(DATETIME, "2026-03-08 03:00") == "2026-03-08T07:00:00Z"

    def test_the_hour_repeated_in_autumn_is_its_first_occurrence(self) -> None:
        assert coerce(DATETIME, "2026-11-01 01:30") == "2026-11-01T05:30:00Z"
        assert coerce(DATETIME, datetime(2026, 11, 1, 1, 30)) == "2026-11-01T05:30:00Z"

    def test_a_datetime_marked_as_the_second_occurrence_keeps_it(self) -> None:
        second = datetime(2026, 11, 1, 1, 30, fold=1)
        assert coerce(DATETIME, second) == "2026-11-01T06:30:00Z"
        assert cell_value_for(DATETIME, "2026-11-01T06:30:00Z", CTX).fold == 1

    def test_reader_objects(self) -> None:
        assert coerce(DATETIME, datetime(2026, 3, 4, 14, 30)) == "2026-03-04T19:30:00Z"
        aware = datetime(2026, 3, 4, 14, 30, tzinfo=timezone(timedelta(hours=1)))
        assert coerce(DATETIME, aware) == "2026-03-04T13:30:00Z"
        assert coerce(DATETIME, datetime(2026, 3, 4, 14, 30, 0, 600_000)) == utc("2026-03-04 14:30:01")
        assert "no date" in problem(DATETIME, time(14, 30))

    def test_midnight_comes_back_from_a_workbook_as_a_date(self) -> None:
        assert coerce(DATETIME, date(2026, 3, 4)) == "2026-03-04T05:00:00Z"

    def test_serial_with_a_fraction_is_local_time(self) -> None:
        assert coerce(DATETIME, 46085.604166666664) == "2026-03-04T19:30:00Z"
        assert coerce(DATETIME, 46085) == "2026-03-04T05:00:00Z"
        assert "no date" in problem(DATETIME, 0.25)

    def test_a_utc_practice_needs_no_daylight_saving_rules(self) -> None:
        ctx = CoerceContext(timezone=UTC, reference_year=2026)
        assert coerce(DATETIME, "2026-03-08 02:30", ctx) == "2026-03-08T02:30:00Z"

    def test_day_first_practice(self) -> None:
        ctx = CoerceContext(timezone=ZONE, date_order="DMY", reference_year=2026)
        assert coerce(DATETIME, "4/3/2026 14:30", ctx) == utc("2026-03-04 14:30")

    def test_written_as_naive_local_time(self) -> None:
        written = cell_value_for(DATETIME, "2026-07-04T18:30:00Z", CTX)
        assert written == datetime(2026, 7, 4, 14, 30)
        assert written.tzinfo is None


class TestPhones:
    @pytest.mark.parametrize("raw", ["(617) 555-0101", "617-555-0101", "6175550101", "+16175550101", "1 617 555 0101"])
    def test_us_forms(self, raw: str) -> None:
        assert coerce(PHONE, raw) == "+16175550101"

    def test_numbers_from_a_reader(self) -> None:
        assert coerce(PHONE, 6175550101.0) == "+16175550101"
        assert coerce(PHONE, 16175550101) == "+16175550101"

    @pytest.mark.parametrize("area", ["212", "312", "415", "617", "808", "907"])
    def test_fictional_555_01xx_numbers_are_accepted(self, area: str) -> None:
        assert coerce(PHONE, f"{area}-555-0199") == f"+1{area}5550199"

    def test_other_countries(self) -> None:
        assert coerce(PHONE, "+44 20 7946 0958") == "+442079460958"
        assert coerce(PHONE, "011 44 20 7946 0958") == "+442079460958"
        assert coerce(PHONE, "(416) 555-0199") == "+14165550199"  # Canada shares +1

    def test_a_practice_elsewhere_reads_local_numbers_in_its_region(self) -> None:
        ctx = CoerceContext(timezone=ZoneInfo("Europe/London"), phone_region="GB", reference_year=2026)
        assert coerce(PHONE, "020 7946 0958", ctx) == "+442079460958"
        assert coerce(PHONE, "+1 617 555 0101", ctx) == "+16175550101"

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("555-0101", "area code is missing"),
            ("617-555-0101 x23", "extension"),
            ("cell 617-555-0101", "not a phone number"),
            ("617-555-0101 (mom)", "words and labels"),
            ("617 555 010", "too few digits"),
            ("(123) 555-0101", "no phone number in use"),
        ],
    )
    def test_bad_numbers_say_why(self, raw: str, reason: str) -> None:
        assert reason in problem(PHONE, raw)

    def test_a_checkbox_is_not_a_number(self) -> None:
        assert "yes/no" in problem(PHONE, True)


class TestEmails:
    def test_domain_lowered_local_part_kept(self) -> None:
        assert coerce(EMAIL, " Ada.Lovelace@Example.ORG ") == "Ada.Lovelace@example.org"

    def test_international_domain(self) -> None:
        assert coerce(EMAIL, "ada@xn--bcher-kva.example") == "ada@bücher.example"

    @pytest.mark.parametrize("raw", ["Ada <ada@example.org>", "ada@localhost", "ada@[10.0.0.1]", "a..b@example.org"])
    def test_rejected(self, raw: str) -> None:
        problem(EMAIL, raw)

    def test_library_detail_that_quotes_the_address_is_cut(self) -> None:
        reason = problem(EMAIL, "pat<secret>@example.org")
        assert "secret" not in reason and "<" not in reason


class TestNumbers:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("12", 12), ("-3", -3), ("+7", 7), ("1,200", 1200), ("1,234,567", 1234567), ("12.", 12)],
    )
    def test_integers(self, raw: str, expected: int) -> None:
        assert coerce(INTEGER, raw) == expected

    def test_integers_from_a_reader(self) -> None:
        assert coerce(INTEGER, 12.0) == 12
        assert coerce(INTEGER, 12) == 12
        assert "whole number" in problem(INTEGER, 12.5)
        assert "yes/no" in problem(INTEGER, True)
        assert "date" in problem(INTEGER, date(2026, 3, 4))

    @pytest.mark.parametrize("raw", ["1,20", "12,00", "1 200", "1e3", "١٢", "12 mg", "1_000"])
    def test_integer_forms_that_are_not_guessed(self, raw: str) -> None:
        problem(INTEGER, raw)

    def test_a_formula_is_not_calculated(self) -> None:
        assert "formula" in problem(INTEGER, "=2*6")

    @pytest.mark.parametrize(("raw", "expected"), [("4.75", 4.75), ("1,200.5", 1200.5), ("12.0", 12), (".5", 0.5)])
    def test_numbers(self, raw: str, expected: float) -> None:
        value = coerce(NUMBER, raw)
        assert value == expected and type(value) is type(expected)

    def test_numbers_from_a_reader(self) -> None:
        assert coerce(NUMBER, 4.5) == 4.5
        assert type(coerce(NUMBER, 4.0)) is int

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("$1,200.00", "1200.00"),
            ("-$50", "-50.00"),
            ("$-50", "-50.00"),
            ("($50.5)", "-50.50"),
            (".5", "0.50"),
            ("-0.00", "0.00"),
            ("007.10", "7.10"),
            (1200.5, "1200.50"),
            (75, "75.00"),
            (0.1 + 0.2, "0.30"),
            (1000.3 - 1000, "0.30"),
            (-0.0, "0.00"),
            ("9999999999999.99", "9999999999999.99"),
            (-12.34, "-12.34"),
        ],
    )
    def test_money(self, raw: Any, expected: str) -> None:
        assert coerce(MONEY, raw) == expected

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            (12.345, "two decimal places"),
            (1e-5, "two decimal places"),
            ("10000000000000.00", "too large"),
            (1e20, "too large"),
            (10**13, "too large"),
            ("(-50)", "not both"),
            ("(50", "not an amount"),
            ("€50", "not an amount"),
            ("=A1*2", "formula"),
        ],
    )
    def test_bad_money_says_why(self, raw: Any, reason: str) -> None:
        assert reason in problem(MONEY, raw)

    def test_money_is_written_as_a_number_to_the_cent(self) -> None:
        assert cell_value_for(MONEY, "1200.50", CTX) == 1200.5
        assert cell_value_for(MONEY, "-0.10", CTX) == -0.1


class TestBooleans:
    @pytest.mark.parametrize("raw", [True, 1, 1.0, "yes", "YES", " y ", "True", "x", "✓", "✔"])
    def test_yes(self, raw: Any) -> None:
        assert coerce(BOOLEAN, raw) is True

    @pytest.mark.parametrize("raw", [False, 0, 0.0, "no", "No", "N", "FALSE", "0"])
    def test_no(self, raw: Any) -> None:
        assert coerce(BOOLEAN, raw) is False

    @pytest.mark.parametrize("raw", [2, 0.5, "maybe", "n/a", "✗"])
    def test_anything_else_is_an_error(self, raw: Any) -> None:
        problem(BOOLEAN, raw)


class TestEnums:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("NO_SHOW", "no-show"),
            ("no–show", "no-show"),
            ("checkedin", "checked-in"),
            ("Done", "completed"),
            ("  CANCELED ", "cancelled"),
        ],
    )
    def test_loose_spellings_and_aliases(self, raw: str, expected: str) -> None:
        assert coerce(STATUS, raw) == expected

    def test_error_lists_the_allowed_values(self) -> None:
        with pytest.raises(CellError) as caught:
            coerce(STATUS, "gone fishing")
        assert caught.value.expected == ("one of: scheduled, confirmed, checked-in, completed, no-show, cancelled")

    def test_members_that_read_alike_are_refused_when_the_column_is_built(self) -> None:
        with pytest.raises(ValueError, match="cannot be told apart"):
            coercer_for({"type": "string", "enum": ["no-show", "noshow"]}, CTX)

    def test_an_alias_to_a_missing_member_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not an enum value"):
            coercer_for({"type": "string", "enum": ["a"], "x-aliases": {"b": "c"}}, CTX)

    def test_an_alias_that_reads_as_another_member_is_refused(self) -> None:
        schema = {"type": "string", "enum": ["sms", "email"], "x-aliases": {"E-mail": "sms"}}
        with pytest.raises(ValueError, match="would also read as"):
            coercer_for(schema, CTX)


class TestIdentifiers:
    def test_npi_from_a_reader_number(self) -> None:
        assert coerce(NPI, 1234567893.0) == "1234567893"
        assert coerce(NPI, 1234567893) == "1234567893"

    def test_npi_with_a_mistyped_digit(self) -> None:
        assert "check digit" in problem(NPI, "1234567883")
        assert "check digit" in problem(NPI, "1234567839")

    def test_npi_starts_with_1_or_2(self) -> None:
        # The check digits pass; the NPI Final Rule (69 FR 3434) issues only 1 (people) and 2 (organizations).
        assert "starts with 1 (a person) or 2 (an organization)" in problem(NPI, "3234567899")
        assert "starts with 1" in problem(NPI, "9234567896")

    def test_codes_are_upper_case_without_spaces(self) -> None:
        assert coerce(CODE, " e11 .9 ") == "E11.9"
        assert coerce(CODE, 99213.0) == "99213"
        assert coerce(CODE, "g0008") == "G0008"


class TestLists:
    def test_split_on_commas_semicolons_and_line_breaks(self) -> None:
        assert coerce(CODES, "99213, 99214;e11.9\nZ00.00") == ["99213", "99214", "E11.9", "Z00.00"]

    def test_empty_items_are_dropped(self) -> None:
        assert coerce(CODES, "99213, , ;") == ["99213"]
        assert coerce(CODES, " , ;") is None

    def test_real_lists_are_read_item_by_item(self) -> None:
        assert coerce(CODES, ["99213", " g0008 ", ""]) == ["99213", "G0008"]
        assert coerce(CODES, 99213.0) == ["99213"]

    def test_a_bad_item_is_named_by_position(self) -> None:
        dates = {"type": "array", "items": DATE}
        with pytest.raises(CellError) as caught:
            coerce(dates, "3/4/2026, 2/30/2026")
        assert caught.value.problem.startswith("item 2: ")
        assert "for each item" in caught.value.expected

    def test_written_as_one_text(self) -> None:
        assert cell_value_for(CODES, ["99213", "G0008"], CTX) == "99213, G0008"
        booleans = {"type": "array", "items": BOOLEAN}
        assert coerce(booleans, cell_value_for(booleans, [True, False], CTX)) == [True, False]

    def test_a_list_of_lists_is_refused(self) -> None:
        with pytest.raises(ValueError, match="list of lists"):
            coercer_for({"type": "array", "items": CODES}, CTX)


class TestSchemas:
    @pytest.mark.parametrize(
        ("schema", "kind"),
        [
            ({"type": ["string", "null"], "format": "date"}, "date"),
            ({"type": ["integer", "number"]}, "number"),
            ({"format": "uri"}, "text"),
            ({"type": "string", "format": "uuid", "pattern": "x"}, "text"),
            ({"enum": ["a", "b"]}, "enum"),
        ],
    )
    def test_kind_follows_the_schema(self, schema: dict[str, Any], kind: str) -> None:
        assert kind_of(schema) == kind

    @pytest.mark.parametrize(
        "schema",
        [
            {"type": "object"},
            {"type": "string", "x-format": "phnoe"},
            {"type": ["string", "integer"]},
            {"type": "string", "enum": [1, 2]},
            {"type": "string", "format": "date", "x-two-digit-year": "future"},
        ],
    )
    def test_a_schema_mistake_is_refused_when_the_column_is_built(self, schema: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            coercer_for(schema, CTX)

    def test_every_field_of_every_shipped_schema_has_a_coercer_and_a_writer(self) -> None:
        fields = 0
        for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
            entity = json.loads(path.read_text(encoding="utf-8"))
            for schema in entity["properties"].values():
                assert coercer_for(schema, CTX)("") is None
                assert cell_writer_for(schema, CTX)(None) is None
                fields += 1
        assert fields > 50

    def test_context_refuses_what_it_cannot_use(self) -> None:
        with pytest.raises(ValueError):
            CoerceContext(date_order="DDMMYY", reference_year=2026)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            CoerceContext(phone_region="XX", reference_year=2026)

    def test_cell_error_says_both_parts(self) -> None:
        error = CellError("February 2026 has no day 30", "a date such as 2026-03-14")
        assert str(error) == "February 2026 has no day 30; expected a date such as 2026-03-14"
