"""One row to one record: coercion, the compiled check, references, clear problems."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicops.core.coercion import CoerceContext
from clinicops.core.inbound import _field_values
from clinicops.core.row_parser import RowParser, is_blank
from clinicops.core.schema_registry import SchemaRegistry, builtin_schemas
from clinicops.examples.demo_clinic import generate_demo

REGISTRY = SchemaRegistry(builtin_schemas())
CTX = CoerceContext(timezone=ZoneInfo("America/New_York"), reference_year=2026)


def parser(entity: str, known: set[str] | None = None) -> RowParser:
    return RowParser(REGISTRY[entity], REGISTRY[entity].title, CTX, lambda _t, v: known is None or v in known)


def cells(entity: str, **values: object) -> list[object]:
    return [values.get(f.name, "") for f in REGISTRY[entity].fields]


def test_pattern_range_and_required_are_reported_per_cell() -> None:
    _, problems = parser("patient").parse(
        4, "P1", cells("patient", first_name="Ada", date_of_birth="1/2/1990", zip="2134", state="Mass")
    )
    by_column = {p.column: p for p in problems}
    assert set(by_column) == {"Last name", "ZIP", "State"}
    assert by_column["Last name"].kind == "missing-value"
    assert by_column["ZIP"].value == "<phi: 4 chars>"
    assert by_column["State"].value == "Mass"
    assert "MA" in by_column["State"].expected
    assert all(p.row == 4 and p.sheet == "Patients" for p in problems)


def test_range_violation_names_the_limits() -> None:
    _, problems = parser("appointment").parse(
        2,
        "A1",
        cells(
            "appointment",
            patient_id="P1",
            provider_id="PR1",
            start="2026-03-04 10:00",
            status="scheduled",
            duration_min="600",
        ),
    )
    [problem] = problems
    assert problem.column == "Minutes"
    assert "480" in problem.problem and "from 5 to 480" in problem.expected


def test_reference_to_a_missing_record_is_reported_with_its_column() -> None:
    _, problems = parser("appointment", known={"P1"}).parse(
        2,
        "A1",
        cells("appointment", patient_id="P1", provider_id="PR404", start="2026-03-04 10:00", status="scheduled"),
    )
    [problem] = problems
    assert (problem.column, problem.kind) == ("Provider", "unknown-reference")


@pytest.mark.parametrize("entity", ["patient", "appointment", "claim", "credential", "inventory_item", "staff"])
def test_every_record_the_fast_check_accepts_is_valid_under_the_full_schema(entity: str) -> None:
    rows = generate_demo(dt.date(2026, 11, 23))[entity]
    p = parser(entity)
    validator = REGISTRY[entity].full_validator
    accepted = 0
    for i, row in enumerate(rows):
        raw = [row.get(f.name) for f in REGISTRY[entity].fields]
        record, problems = p.parse(i + 2, str(row.get("id") or "X1"), raw)
        if not problems:
            accepted += 1
            assert list(validator.iter_errors(record)) == []
    assert accepted >= len(rows) - 2


def test_every_bad_cell_of_a_row_is_reported_at_once() -> None:
    _, problems = parser("patient", known={"PR1"}).parse(
        7,
        "P1",
        cells(
            "patient",
            first_name="Ada",
            date_of_birth="31/31/1990",
            email="ada-at-example.org",
            zip="2134",
            primary_provider_id="PR404",
        ),
    )
    kinds = {p.column: p.kind for p in problems}
    assert kinds == {
        "Date of birth": "invalid-value",
        "Email": "invalid-value",
        "Last name": "missing-value",
        "ZIP": "invalid-value",
        "Primary provider": "unknown-reference",
    }


@pytest.mark.parametrize(
    ("entity", "record"),
    [
        ("patient", {"id": "P1", "first_name": "Ada", "last_name": "Lee"}),  # no date of birth
        ("patient", {"id": "P1", "first_name": "A" * 101, "last_name": "Lee", "date_of_birth": "1990-01-02"}),
        (
            "patient",
            {"id": "P1", "first_name": "Ada", "last_name": "Lee", "date_of_birth": "1990-01-02", "zip": "2134"},
        ),
        (
            "patient",
            {"id": "P1", "first_name": "Ada", "last_name": "Lee", "date_of_birth": "1990-01-02", "state": "ma"},
        ),
        ("inventory_item", {"id": "I1", "name": "Gloves", "category": "supplies", "on_hand": -1}),
        ("inventory_item", {"id": "I1", "name": "Gloves", "category": "supplies", "on_hand": 3, "pack_size": 0}),
        ("inventory_item", {"id": "I1", "name": "Gloves", "category": "supplies", "on_hand": 3, "unit_cost": "1.5"}),
        ("appointment", {"id": "A1", "patient_id": "P1", "provider_id": "PR1", "start": "x", "duration_min": 481}),
    ],
)
def test_the_fast_check_refuses_what_the_full_schema_refuses(entity: str, record: dict) -> None:
    from fastjsonschema import JsonSchemaValueException

    assert list(REGISTRY[entity].full_validator.iter_errors(record)) != []
    with pytest.raises(JsonSchemaValueException):
        REGISTRY[entity].fast_validate(record)


def test_a_valid_row_has_no_problems_and_a_bad_cell_beside_a_reference_is_still_named() -> None:
    record, problems = parser("patient").parse(
        3, "P1", cells("patient", first_name=" Ada ", last_name="Lee", date_of_birth=dt.date(1990, 1, 2), zip="02134")
    )
    assert (record, list(problems)) == (
        {"id": "P1", "first_name": "Ada", "last_name": "Lee", "date_of_birth": "1990-01-02", "zip": "02134"},
        [],
    )
    _, problems = parser("patient", known={"PR1"}).parse(
        3,
        "P1",
        cells("patient", first_name="Ada\x07", last_name="Lee", date_of_birth="1990-01-02", primary_provider_id="PR1"),
    )
    [problem] = problems
    assert problem.column == "First name" and "control character" in problem.problem


def test_a_bad_value_is_reported_on_every_row_that_holds_it_after_good_rows_and_bad() -> None:
    p = parser("patient")
    good = {"first_name": "Ada", "last_name": "Lee", "date_of_birth": "1/2/1990"}
    rows = [
        {**good, "zip": "02134", "state": "MA"},
        {**good, "zip": "2134", "state": "MA"},  # a ZIP code that reads as text but fails the pattern
        {**good, "zip": "2134", "date_of_birth": "31/31/1990"},  # the same ZIP code, and a date no one can read
        {**good, "zip": "02134", "date_of_birth": "31/31/1990"},
        {**good, "zip": "2134", "state": "MA"},
    ]
    found = {number: p.parse(number, f"P{number}", cells("patient", **row))[1] for number, row in enumerate(rows, 2)}
    columns = {number: sorted(problem.column for problem in problems) for number, problems in found.items()}
    assert columns == {2: [], 3: ["ZIP"], 4: ["Date of birth", "ZIP"], 5: ["Date of birth"], 6: ["ZIP"]}
    for number, problems in found.items():
        for problem in problems:
            assert (problem.sheet, problem.row) == ("Patients", number)
            assert problem.value == ("<phi: 4 chars>" if problem.column == "ZIP" else "<phi: 10 chars>")
            assert problem.expected


def test_the_same_text_in_two_columns_reads_by_each_columns_own_rule() -> None:
    p = parser("patient")
    first = cells("patient", first_name="f", last_name="3/4/2026", date_of_birth="3/4/2026", sex="f")
    second = cells("patient", first_name="3/4/2026", last_name="f", date_of_birth="3/4/2026", sex="F")
    assert p.parse(2, "P1", first) == (
        {"id": "P1", "first_name": "f", "last_name": "3/4/2026", "date_of_birth": "2026-03-04", "sex": "female"},
        (),
    )
    assert p.parse(3, "P2", second) == (
        {"id": "P2", "first_name": "3/4/2026", "last_name": "f", "date_of_birth": "2026-03-04", "sex": "female"},
        (),
    )
    _, problems = p.parse(4, "P3", cells("patient", first_name="Ada", last_name="Lee", date_of_birth="f"))
    assert [(problem.column, problem.kind) for problem in problems] == [("Date of birth", "invalid-value")]


def test_each_practice_reads_a_remembered_text_in_its_own_date_order() -> None:
    patient = REGISTRY["patient"]
    us = RowParser(patient, "Patients", CTX, lambda *_: True)
    uk = RowParser(patient, "Patients", CoerceContext(date_order="DMY", reference_year=2026), lambda *_: True)
    for number in (2, 3):  # the second time round, each parser has read both texts before
        row = cells("patient", first_name="Ada", last_name="Lee", date_of_birth="3/4/1990")
        assert us.parse(number, "P1", row)[0]["date_of_birth"] == "1990-03-04"
        assert uk.parse(number, "P1", row)[0]["date_of_birth"] == "1990-04-03"
        day_first = cells("patient", first_name="Ada", last_name="Lee", date_of_birth="13/4/1990")
        assert uk.parse(number, "P2", day_first) == (
            {"id": "P2", "first_name": "Ada", "last_name": "Lee", "date_of_birth": "1990-04-13"},
            (),
        )
        [problem] = us.parse(number, "P2", day_first)[1]
        assert (problem.column, problem.row) == ("Date of birth", number)
        assert "month" in problem.problem


@pytest.mark.parametrize("entity", ["patient", "appointment", "claim", "credential", "inventory_item", "staff"])
def test_a_remembered_value_reads_as_a_fresh_one(entity: str) -> None:
    rows = generate_demo(dt.date(2026, 11, 23))[entity]
    raw_rows = [[row.get(f.name) for f in REGISTRY[entity].fields] for row in rows]
    p = parser(entity)
    first = [p.parse(i, str(raw[0] or ""), raw) for i, raw in enumerate(raw_rows, 2)]
    again = [p.parse(i, str(raw[0] or ""), raw) for i, raw in enumerate(raw_rows, 2)]
    fresh = [parser(entity).parse(i, str(raw[0] or ""), raw) for i, raw in enumerate(raw_rows, 2)]
    assert again == first == fresh


def test_rows_never_share_a_list_and_a_list_cell_is_read_as_items() -> None:
    p = parser("claim")
    row = cells(
        "claim",
        patient_id="P1",
        provider_id="PR1",
        date_of_service="2026-03-04",
        cpt_codes="99213, 85025",
        status="draft",
    )
    first, problems = p.parse(2, "C1", row)
    second, more = p.parse(3, "C2", row)
    assert first["cpt_codes"] == second["cpt_codes"] == ["99213", "85025"]
    assert problems == more == []
    first["cpt_codes"].append("36415")
    assert second["cpt_codes"] == ["99213", "85025"]
    listed, problems = p.parse(4, "C3", [*row[:4], ["99214"], *row[5:]])
    assert (listed["cpt_codes"], problems) == (["99214"], [])


def test_a_column_of_values_that_never_repeat_keeps_a_bounded_memo() -> None:
    from clinicops.core.row_parser import MEMO_LIMIT

    p = parser("patient")
    for n in range(MEMO_LIMIT + 50):
        email = f"ada.{n}@example.org"
        row = cells("patient", first_name="Ada", last_name="Lee", date_of_birth="1/2/1990", email=email)
        record, problems = p.parse(n + 2, "P1", row)
        assert (record["email"], problems) == (email, ())
    memos = [memo for _, _, _, (_, memo, _, _) in p.columns]
    assert max(len(memo) for memo in memos) == MEMO_LIMIT


def test_a_remembered_date_is_not_taken_for_a_date_and_time_of_that_day() -> None:
    p = parser("patient")
    name = {"first_name": "Ada", "last_name": "Lee"}
    day = dt.date(1990, 1, 2)
    assert p.parse(2, "P1", cells("patient", **name, date_of_birth=day)) == (
        {"id": "P1", **name, "date_of_birth": "1990-01-02"},
        (),
    )
    [problem] = p.parse(3, "P1", cells("patient", **name, date_of_birth=dt.datetime(1990, 1, 2, 10, 30)))[1]
    assert (problem.column, problem.row, problem.problem) == (
        "Date of birth",
        3,
        "this column holds a date only, without a time of day",
    )
    again = p.parse(4, "P1", cells("patient", **name, date_of_birth=dt.datetime(1990, 1, 2)))
    assert again == ({"id": "P1", **name, "date_of_birth": "1990-01-02"}, ())


class _FourColumns:
    """A tab whose entity's four fields sit in its first four columns, in order."""

    field_cols = (0, 1, 2, 3)
    field_picker = None


@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet=" \t\nab", max_size=3), st.integers(-1, 1), st.booleans(), st.floats()),
        min_size=4,
        max_size=4,
    )
)
def test_a_row_is_blank_when_no_cell_holds_more_than_spaces_or_every_cell_is_empty_or_zero(cells: list) -> None:
    blank = not any(cells) or all(is_blank(v) for v in cells)
    assert (_field_values(_FourColumns, cells) is None) == blank  # type: ignore[arg-type]


def test_a_date_column_remembers_a_century_of_days_and_no_more() -> None:
    from clinicops.core.row_parser import DATE_MEMO_LIMIT, MEMO_LIMIT

    p = parser("patient")
    first = dt.date(1900, 1, 1)
    for n in range(MEMO_LIMIT + 50):
        day = first + dt.timedelta(days=n)
        row = cells("patient", first_name="Ada", last_name="Lee", date_of_birth=day)
        record, problems = p.parse(n + 2, "P1", row)
        assert (record["date_of_birth"], problems) == (day.isoformat(), ())
    [dates] = [memo for _, name, _, (_, memo, _, _) in p.columns if name == "date_of_birth"]
    assert len(dates) == MEMO_LIMIT + 50 + 1  # every day read, and the blank cell
    assert [limit for _, name, _, (_, _, limit, _) in p.columns if name == "date_of_birth"] == [DATE_MEMO_LIMIT]
    assert DATE_MEMO_LIMIT >= 36_525
