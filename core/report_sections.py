"""What a report section is: figures with their definitions and the data of its charts.

The core and every plugin describe the practice's numbers in these plain, typed values
through the ``report_sections`` hook; the page (``clinicops report``), the ``Dashboard``
tab, the weekly digest and ``clinicops status --json`` all render the same values, so a
figure is computed once and reads the same everywhere. Nothing here holds PHI: sections
carry counts, rates, money, and provider and payer names, never a patient's name or a
diagnosis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

ChartKind = Literal["bar", "line", "stacked"]
CHART_KINDS: tuple[str, ...] = ("bar", "line", "stacked")


@dataclass(frozen=True)
class ReportPeriod:
    """The dates a report covers, both included, in the practice's time zone.

    ``start`` is the first day and ``end`` the last. ``today`` is the practice's today when
    the report is made: look-ahead figures (lots expiring in 90 days) count from it.
    """

    start: dt.date
    end: dt.date
    today: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a report period ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True)
class Definition:
    """How a figure is counted, shown as its footnote: what is counted over what, when, and what is left out.

    ``denominator`` is empty for a count or a sum.
    """

    numerator: str
    denominator: str = ""
    period: str = ""
    exclusions: str = ""

    def sentence(self) -> str:
        parts = [self.numerator if not self.denominator else f"{self.numerator} ÷ {self.denominator}"]
        if self.period:
            parts.append(self.period)
        if self.exclusions:
            parts.append(f"excludes {self.exclusions}")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class Figure:
    """One headline number.

    ``key`` is stable and unique across the report (``reminders.no_show_rate``), used by
    ``status --json``, the Dashboard tab and the digest; ``value`` is ``None`` when the
    data cannot say (no appointments, so no rate). ``unit`` is one of ``%`` (value is a
    fraction 0–1), ``days``, ``minutes``, ``USD``, or a plain noun for counts (``appointments``).
    """

    key: str
    label: str
    value: float | int | None
    unit: str
    definition: Definition

    def shown(self) -> str:
        """The value as a person reads it: ``12.5%``, ``$1,234.00``, ``31.2 days``, ``4``."""
        if self.value is None:
            return "—"
        if self.unit == "%":
            return f"{self.value * 100:.1f}%"
        if self.unit == "USD":
            return f"-${-self.value:,.2f}" if self.value < 0 else f"${self.value:,.2f}"
        if self.unit == "days":
            return f"{self.value:.1f} days" if isinstance(self.value, float) else f"{self.value:,} days"
        if self.unit == "minutes":
            return f"{self.value:.0f} min"
        return f"{self.value:,}" if isinstance(self.value, int) else f"{self.value:,.1f}"


@dataclass(frozen=True)
class Series:
    """One line, or one set of bars, of a chart: ``(label, value)`` points in order."""

    name: str
    points: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Chart:
    """The data of one chart; the page, xlsx and Google Sheets each draw it natively.

    ``kind`` is ``bar`` (series side by side), ``line`` (a trend over ordered labels) or
    ``stacked`` (bars whose series add up). Every series of a chart is read against the
    labels of the first; a label a series lacks counts as 0.
    """

    title: str
    kind: ChartKind
    series: tuple[Series, ...]
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"chart {self.title!r}: kind must be one of {', '.join(CHART_KINDS)}")

    @property
    def labels(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for s in self.series:
            for label, _ in s.points:
                seen.setdefault(label, None)
        return tuple(seen)

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


@dataclass(frozen=True)
class ReportSection:
    """A part of the report: a title, its headline figures and its charts.

    ``key`` is stable (``billing.receivables``); ``order`` places it on the page, lower
    first (the core's sections use 0–99, built-in plugins 100–899, others default 500).
    """

    key: str
    title: str
    figures: tuple[Figure, ...] = ()
    charts: tuple[Chart, ...] = ()
    order: int = 500
    notes: tuple[str, ...] = field(default_factory=tuple)
