"""Text no spreadsheet cell can hold is refused where it was typed, and never breaks a write."""

from __future__ import annotations

import pytest

from clinicops.core.coercion import CellError, CoerceContext, cell_writer_for, coercer_for

from .conftest import Clinic
from .test_sync_engine import by_id, row_of

TEXT = {"type": "string"}


@pytest.mark.parametrize("typed", ["Hop\x07per", "Hop_x0007_per", "a\x00b", "x\x1fy", "_x001B_"])
def test_control_characters_are_a_cell_error(typed: str) -> None:
    coerce = coercer_for(TEXT, CoerceContext(reference_year=2026))
    with pytest.raises(CellError, match="control character"):
        coerce(typed)


@pytest.mark.parametrize("typed", ["line one\nline two", "a\tb", "Room_x000A_2", "snake_case_name"])
def test_tabs_line_breaks_and_underscores_are_text(typed: str) -> None:
    assert coercer_for(TEXT, CoerceContext(reference_year=2026))(typed) is not None


def test_text_longer_than_a_cell_holds_is_a_cell_error() -> None:
    coerce = coercer_for(TEXT, CoerceContext(reference_year=2026))
    assert coerce("x" * 32_766) == "x" * 32_766
    for length in (32_767, 50_000):  # readers cut longer text at the limit
        with pytest.raises(CellError, match="limit of 32,767 characters"):
            coerce("x" * length)


def test_values_written_to_a_cell_lose_control_characters() -> None:
    write = cell_writer_for(TEXT, CoerceContext(reference_year=2026))
    assert write("Hop\x07per\n") == "Hopper\n"
    assert len(write("y" * 40_000)) == 32_766


def test_an_escaped_control_character_in_the_workbook_is_reported_and_later_syncs_still_work(
    xlsx_clinic: Clinic,
) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    grace = row_of(clinic, "Patients", "MRN", "P000001")
    clinic.sheet.edit("Patients", grace, "Last name", "Hop_x0007_per")
    report = clinic.sync()
    [err] = report.errors
    assert (err.row, err.column, err.value) == (grace, "Last name", "<phi: 7 chars>")
    assert "control character" in err.problem
    assert clinic.record("patient", "P000001")["last_name"] == "Hopper"
    again = clinic.sync()
    assert len(again.errors) == 1
    clinic.sheet.edit("Patients", grace, "Last name", "Hopper-Lee")
    assert clinic.sync().errors == []
    assert clinic.record("patient", "P000001")["last_name"] == "Hopper-Lee"


def test_a_cell_over_the_limit_is_reported_not_stored(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    grace = row_of(clinic, "Patients", "MRN", "P000001")
    clinic.sheet.edit("Patients", grace, "City", "z" * 50_000)
    [err] = clinic.sync().errors
    assert err.column == "City" and "limit of 32,767 characters" in err.problem
    assert clinic.record("patient", "P000001").get("city") is None


def test_a_control_character_saved_by_a_plugin_reaches_the_sheet_cleaned(clinic: Clinic) -> None:
    clinic.sync()
    with clinic.practice.view() as view:
        view.save("patient", {**view.get("patient", "P000002"), "city": "Wilms\x07low"}, plugin="intake")
    report = clinic.sync()
    assert report.errors == []
    assert by_id(clinic.sheet.rows("Patients"))["P000002"]["City"] == "Wilmslow"
    assert clinic.sync().total_changes == 0
