"""Cells as staff really type them (messy-cells.json) and what each must become.

The cases come from the repository's copy, ``tests/data/messy-cells.json``, plus the
shared file the team adds to (``../shared/data/messy-cells.json``) when it is there: the
suite runs on its own and still picks up every new case. A section this file does not
map to a column schema fails the suite, so a new kind of cell is never silently skipped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinicops.core.coercion import CellError, CoerceContext, cell_value_for, coercer_for

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = (
    REPO_ROOT / "tests" / "data" / "messy-cells.json",
    REPO_ROOT.parent / "shared" / "data" / "messy-cells.json",
)

ZONE = ZoneInfo("America/New_York")
CTX = CoerceContext(timezone=ZONE, phone_region="US", date_order="MDY", reference_year=2026)

STATUS = {
    "type": "string",
    "enum": ["scheduled", "confirmed", "checked-in", "completed", "no-show", "cancelled"],
    "x-aliases": {"canceled": "cancelled"},
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "phone": {"type": "string", "x-format": "phone"},
    "email": {"type": "string", "format": "email"},
    "boolean": {"type": "boolean"},
    "money": {"type": "string", "x-format": "money"},
    "integer": {"type": "integer"},
    "enum appointment status": STATUS,
    "npi": {"type": "string", "x-format": "npi"},
    "expiry month and year": {"type": "string", "format": "date", "x-month-year": "last-day"},
}
TEXT = {"type": "string"}
FORMULA_SECTION = "formula typed as text"
NOT_CELLS = {"about": "a description", "identity": "row identity is the sync's, not a cell's"}

LOCAL_TIME = " practice local time"
_NOTE = re.compile(r"(.+?) \(([^()]*\s[^()]*)\)")
"""A case written as ``value (why it is wrong)``: the note is not part of the cell."""


def _merge(into: dict[str, Any], section: str, cases: Any) -> None:
    if not isinstance(cases, dict):
        into.setdefault(section, cases)
        return
    target = into.setdefault(section, {})
    for key, value in cases.items():
        if isinstance(value, dict):
            merged = target.setdefault(key, {})
            for raw, expected in value.items():
                if merged.get(raw, expected) != expected:
                    raise AssertionError(f"{section}: the data files disagree about {raw!r}")
                merged[raw] = expected
        elif isinstance(value, list):
            known = target.setdefault(key, [])
            known.extend(item for item in value if item not in known)
        else:
            target.setdefault(key, value)


def load_cases() -> dict[str, Any]:
    """Every section of every data file that exists, cases united."""
    merged: dict[str, Any] = {}
    for path in DATA_FILES:
        if path.exists():
            for section, cases in json.loads(path.read_text(encoding="utf-8")).items():
                _merge(merged, section, cases)
    return merged


CASES = load_cases()


def cell_of(case: str) -> str:
    """The typed cell of a case, without a trailing explanatory note."""
    m = _NOTE.fullmatch(case)
    return m[1] if m else case


def canonical_of(section: str, expected: Any) -> Any:
    """The canonical value a case expects; local date-times are written as such in the file."""
    if section == "datetime" and expected.endswith(LOCAL_TIME):
        local = datetime.fromisoformat(expected.removesuffix(LOCAL_TIME)).replace(tzinfo=ZONE)
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return expected


def ok_cases() -> list[Any]:
    return [
        pytest.param(section, raw, expected, id=f"{section}:{raw!r}")
        for section in SCHEMAS
        for raw, expected in CASES.get(section, {}).get("ok", {}).items()
    ]


def error_cases() -> list[Any]:
    return [
        pytest.param(section, cell_of(raw), id=f"{section}:{raw!r}")
        for section in SCHEMAS
        for raw in CASES.get(section, {}).get("error", [])
    ]


def assert_no_raw_value(error: CellError, raw: str) -> None:
    shown = raw.strip().casefold()
    assert shown not in error.problem.casefold()
    assert shown not in error.expected.casefold()


def test_the_repository_copy_of_the_cases_is_there() -> None:
    assert DATA_FILES[0].exists()
    assert all(CASES[section].get("ok") for section in SCHEMAS)


def test_every_section_of_the_data_is_mapped_to_a_column() -> None:
    unmapped = set(CASES) - set(SCHEMAS) - set(NOT_CELLS) - {FORMULA_SECTION}
    assert not unmapped, f"map these sections of messy-cells.json to a schema: {unmapped}"


@pytest.mark.parametrize(("section", "raw", "expected"), ok_cases())
def test_typed_cell_becomes_its_canonical_value(section: str, raw: str, expected: Any) -> None:
    assert coercer_for(SCHEMAS[section], CTX)(raw) == canonical_of(section, expected)


@pytest.mark.parametrize(("section", "raw", "expected"), ok_cases())
def test_written_value_reads_back_the_same(section: str, raw: str, expected: Any) -> None:
    schema = SCHEMAS[section]
    canonical = coercer_for(schema, CTX)(raw)
    assert coercer_for(schema, CTX)(cell_value_for(schema, canonical, CTX)) == canonical


@pytest.mark.parametrize(("section", "raw"), error_cases())
def test_bad_cell_is_an_error_that_does_not_repeat_the_value(section: str, raw: str) -> None:
    with pytest.raises(CellError) as caught:
        coercer_for(SCHEMAS[section], CTX)(raw)
    assert caught.value.problem and caught.value.expected
    assert_no_raw_value(caught.value, raw)


@pytest.mark.parametrize("raw", list(CASES.get(FORMULA_SECTION, {}).get("ok", {})))
def test_formula_typed_as_text_stays_literal_text(raw: str) -> None:
    coerce = coercer_for(TEXT, CTX)
    assert coerce(raw) == raw
    assert cell_value_for(TEXT, coerce(raw), CTX) == raw


@pytest.mark.parametrize(
    "raw",
    [raw for raw, note in CASES.get(FORMULA_SECTION, {}).get("ok", {}).items() if "error in a number column" in note],
)
@pytest.mark.parametrize("kind", ["integer", "number", "money"])
def test_formula_typed_into_a_number_column_is_an_error(raw: str, kind: str) -> None:
    schema = {"integer": {"type": "integer"}, "number": {"type": "number"}}.get(kind, SCHEMAS["money"])
    with pytest.raises(CellError) as caught:
        coercer_for(schema, CTX)(raw)
    assert_no_raw_value(caught.value, raw)
