"""Properties that hold for every value, checked with hypothesis.

* Write then read gives back the same canonical value, for every kind.
* Coercion is idempotent: a canonical value read as a cell is itself.
* The quick paths for phones and emails give the library's answers.
* An error never repeats what was typed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from clinicops.core.coercion import CellError, CoerceContext, cell_writer_for, coercer_for
from clinicops.core.coercion.cell_text import control_character
from clinicops.core.coercion.identifiers import npi_check_digit
from clinicops.core.coercion.phones import region_check

from .coercion_fields import BOOLEAN, CODE, DATE, DATETIME, EMAIL, INTEGER, MONEY, NPI, NUMBER, PHONE, TEXT

ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "UTC"]

STATUS = {
    "type": "string",
    "enum": ["scheduled", "confirmed", "checked-in", "completed", "no-show", "cancelled"],
    "x-aliases": {"canceled": "cancelled"},
}

CTX = CoerceContext(timezone=ZoneInfo("America/New_York"), reference_year=2026)

contexts = st.builds(
    CoerceContext,
    timezone=st.sampled_from(ZONES).map(ZoneInfo),
    phone_region=st.sampled_from(["US", "GB", "CA"]),
    date_order=st.sampled_from(["MDY", "DMY", "YMD"]),
    reference_year=st.integers(1990, 2100),
)

utc_seconds = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
example_phones = st.sampled_from(
    sorted(
        {
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            for region in ("US", "CA", "GB", "DE", "FR", "IN", "MX", "AU", "JP", "BR")
            for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE)
            if (number := phonenumbers.example_number_for_type(region, kind)) is not None
        }
    )
)
nanp_nationals = st.integers(2_000_000_000, 9_999_999_999).map(str)
cents = st.integers(-(10**15) + 1, 10**15 - 1)
# NPPES issues NPIs starting with 1 (people) or 2 (organizations) only.
npis = st.integers(100_000_000, 299_999_999).map(str).map(lambda base: base + str(npi_check_digit(base)))

CANONICAL: list[tuple[dict[str, Any], st.SearchStrategy[Any]]] = [
    (TEXT, st.text(min_size=1).filter(lambda t: control_character(t) is None)),  # what a cell can hold
    (DATE, st.dates().map(lambda day: day.isoformat())),
    (DATETIME, utc_seconds.map(lambda moment: moment.isoformat() + "Z")),
    (PHONE, example_phones),
    (MONEY, cents.map(lambda c: f"{'-' if c < 0 else ''}{abs(c) // 100}.{abs(c) % 100:02d}")),
    (INTEGER, st.integers()),
    (NUMBER, st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer())),
    (NUMBER, st.integers()),
    (BOOLEAN, st.booleans()),
    (STATUS, st.sampled_from(STATUS["enum"])),
    (NPI, npis),
    (CODE, st.from_regex(r"[A-Z0-9.]{1,8}", fullmatch=True)),
    ({"type": "array", "items": CODE}, st.lists(st.from_regex(r"[A-Z0-9]{1,7}", fullmatch=True))),
    ({"type": "array", "items": DATE}, st.lists(st.dates().map(lambda d: d.isoformat()))),
    ({"type": "array", "items": NUMBER}, st.lists(st.integers() | st.floats(-1e9, 1e9))),
]


def _canonical_id(case: tuple[dict[str, Any], Any]) -> str:
    schema = case[0]
    return schema.get("x-format") or schema.get("format") or str(schema.get("type"))


@pytest.mark.parametrize(("schema", "values"), CANONICAL, ids=map(_canonical_id, CANONICAL))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), ctx=contexts)
def test_written_value_reads_back_as_the_same_canonical_value(
    schema: dict[str, Any], values: st.SearchStrategy[Any], data: st.DataObject, ctx: CoerceContext
) -> None:
    coerce = coercer_for(schema, ctx)
    canonical = coerce(data.draw(values))
    assume(canonical is not None)
    assert coerce(cell_writer_for(schema, ctx)(canonical)) == canonical


@pytest.mark.parametrize(("schema", "values"), CANONICAL, ids=map(_canonical_id, CANONICAL))
@settings(max_examples=40)
@given(data=st.data())
def test_a_canonical_value_reads_as_itself(
    schema: dict[str, Any], values: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    value = data.draw(values)
    coerce = coercer_for(schema, CTX)
    once = coerce(value)
    assume(once is not None)
    assert coerce(once) == once


@given(moment=utc_seconds, zone=st.sampled_from(ZONES))
def test_datetime_round_trip_holds_through_daylight_saving(moment: datetime, zone: str) -> None:
    ctx = CoerceContext(timezone=ZoneInfo(zone), reference_year=2026)
    canonical = moment.isoformat() + "Z"
    local = cell_writer_for(DATETIME, ctx)(canonical)
    assert local == moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert coercer_for(DATETIME, ctx)(local) == canonical


@given(local=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)))
def test_local_time_text_agrees_with_zoneinfo(local: datetime) -> None:
    local = local.replace(microsecond=0, fold=0)  # text carries no fold: the first occurrence
    zone = CTX.timezone
    first = local.replace(tzinfo=zone)
    exists = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local
    coerce = coercer_for(DATETIME, CTX)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    if exists:
        expected = first.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert coerce(text) == expected
        assert coerce(local.strftime("%m/%d/%Y %I:%M:%S %p")) == expected
    else:
        with pytest.raises(CellError):
            coerce(text)


@given(day=st.dates(), order=st.sampled_from(["MDY", "DMY", "YMD"]))
def test_numeric_dates_in_the_practice_order(day: Any, order: str) -> None:
    ctx = CoerceContext(date_order=order, reference_year=2026)  # type: ignore[arg-type]
    assume(day.year >= 1000)
    parts = {
        "MDY": (day.month, day.day, day.year),
        "DMY": (day.day, day.month, day.year),
        "YMD": (day.year, day.month, day.day),
    }
    text = "/".join(str(part) for part in parts[order])
    assert coercer_for(DATE, ctx)(text) == day.isoformat()


@given(serial=st.integers(1, 2_958_465))
def test_serial_numbers_match_the_spreadsheet_epoch(serial: int) -> None:
    expected = (datetime(1899, 12, 30) + timedelta(days=serial)).date().isoformat()
    assert coercer_for(DATE, CTX)(serial) == expected


@given(national=nanp_nationals, region=st.sampled_from(["US", "CA", "PR"]))
def test_quick_phone_check_is_the_library_check(national: str, region: str) -> None:
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
    assert region_check(region)(national) == phonenumbers.is_valid_number_for_region(number, region)


def test_quick_phone_check_agrees_on_every_area_code() -> None:
    for area in range(200, 1000):
        for rest in ("5550101", "2345678", "9112345", "5551234"):
            national = f"{area}{rest}"
            number = phonenumbers.PhoneNumber(country_code=1, national_number=int(national))
            assert region_check("US")(national) == phonenumbers.is_valid_number_for_region(number, "US"), national


def _library_phone(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@given(
    national=nanp_nationals,
    style=st.sampled_from(
        ["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "{a}{b}{c}", "+1 {a} {b} {c}", "1-{a}-{b}-{c}"]
    ),
    region=st.sampled_from(["US", "CA", "GB"]),
)
def test_phone_answers_are_the_library_answers(national: str, style: str, region: str) -> None:
    text = style.format(a=national[:3], b=national[3:6], c=national[6:])
    expected = _library_phone(text, region)
    coerce = coercer_for(PHONE, CoerceContext(phone_region=region, reference_year=2026))
    if expected is None:
        with pytest.raises(CellError):
            coerce(text)
    else:
        assert coerce(text) == expected


def _library_email(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


plain_addresses = st.from_regex(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,70}@[A-Za-z0-9.-]{1,20}\.(com|org|COM|test|local|x1|)",
    fullmatch=True,
)


@given(text=st.emails() | plain_addresses)
def test_email_answers_are_the_library_answers(text: str) -> None:
    expected = _library_email(text)
    coerce = coercer_for(EMAIL, CTX)
    if expected is None:
        with pytest.raises(CellError):
            coerce(text)
    else:
        assert coerce(text) == expected


def test_email_quick_path_keeps_the_library_rule_for_role_names() -> None:
    assert coercer_for(EMAIL, CTX)("PostMaster@Example.org") == _library_email("PostMaster@Example.org")


@given(base=st.integers(0, 999_999_999).map(lambda n: f"{n:09d}"))
def test_npi_check_digit_is_luhn_over_the_80840_prefix(base: str) -> None:
    digits = [int(c) for c in "80840" + base]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    assert npi_check_digit(base) == (10 - total % 10) % 10


CANARY = "Zq8wKv"
"""A token no message template contains: if it shows up in an error, the value leaked."""


@pytest.mark.parametrize(
    "schema",
    [TEXT, DATE, DATETIME, PHONE, EMAIL, MONEY, INTEGER, NUMBER, BOOLEAN, NPI, CODE, STATUS],
    ids=lambda s: s.get("x-format") or s.get("format") or s.get("type"),
)
@given(before=st.text(max_size=12), after=st.text(max_size=12))
def test_an_error_never_repeats_what_was_typed(schema: dict[str, Any], before: str, after: str) -> None:
    for raw in (before + CANARY + after, f"{before}{CANARY}@{after}.org", f"{before}@{CANARY}.org"):
        try:
            coercer_for(schema, CTX)(raw)
        except CellError as error:
            assert CANARY.casefold() not in error.problem.casefold()
            assert CANARY.casefold() not in error.expected.casefold()
