"""The report_sections hook: plugins add sections to the practice's report; a failing one is left out."""

from __future__ import annotations

import datetime as dt

import pytest

from clinicops import Chart, Definition, Figure, ReportPeriod
from clinicops.core import metrics


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="ends"):
        ReportPeriod(dt.date(2026, 3, 2), dt.date(2026, 3, 1), dt.date(2026, 3, 2))


def test_the_default_period_is_the_90_days_up_to_today() -> None:
    period = metrics.period_for(dt.date(2026, 3, 31))
    assert (period.start, period.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert dt.date(2026, 1, 1) in period and dt.date(2025, 12, 31) not in period


def test_figures_read_as_people_read_them() -> None:
    d = Definition("no-shows", "appointments due", "by week", "cancelled")
    assert Figure("a", "A", 0.125, "%", d).shown() == "12.5%"
    assert Figure("a", "A", 1234.5, "USD", d).shown() == "$1,234.50"
    assert Figure("a", "A", -26819.55, "USD", d).shown() == "-$26,819.55"
    assert Figure("a", "A", 17, "minutes", d).shown() == "17 min"
    assert Figure("a", "A", None, "days", d).shown() == "—"
    assert d.sentence() == "no-shows ÷ appointments due; by week; excludes cancelled."


def test_a_chart_kind_must_be_known() -> None:
    with pytest.raises(ValueError, match="kind"):
        Chart("x", "pie", ())  # type: ignore[arg-type]
