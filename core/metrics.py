"""The practice's numbers, computed once for a period and shared by every place that shows them.

``collect(view, period)`` asks the core and every enabled plugin for their report sections
(the ``report_sections`` hook) and returns one :class:`Metrics`. The page made by
``clinicops report``, the ``Dashboard`` tab, the weekly digest and ``clinicops status --json``
all read that one value, so a figure is never counted twice in two ways. Each figure's
definition (numerator, denominator, period, exclusions) travels with it and is printed as
its footnote.

A plugin whose ``report_sections`` raises is left out, named in ``failures`` (type and
place of the error, never its text, which may quote a cell) and logged, like any guest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from clinicops.core.guests import Guests
from clinicops.core.practice import plugin_manager
from clinicops.core.report_core import core_sections
from clinicops.core.report_sections import Figure, ReportPeriod, ReportSection

DEFAULT_DAYS = 90
"""A report without ``--from`` covers the 90 days up to its last day: a quarter, enough weeks for a trend."""


def period_for(today: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> ReportPeriod:
    """The period a report covers: ``end`` defaults to today, ``start`` to 90 days before ``end``, both included."""
    last = end or today
    first = start or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    return ReportPeriod(start=first, end=last, today=today)


@dataclass(frozen=True)
class Metrics:
    """Every section of the report for one period, in page order."""

    practice: str
    period: ReportPeriod
    sections: tuple[ReportSection, ...]
    failures: tuple[str, ...] = ()

    def figures(self) -> dict[str, Figure]:
        """Figure key -> figure, across all sections."""
        return {f.key: f for s in self.sections for f in s.figures}

    def as_json(self) -> dict[str, Any]:
        """The whole report as one JSON object (``clinicops report --json``)."""
        return {
            "practice": self.practice,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "today": self.period.today.isoformat(),
            "figures": {k: f.value for k, f in self.figures().items()},
            "sections": [asdict(s) for s in self.sections],
            "failures": list(self.failures),
        }


def collect(view: Any, period: ReportPeriod) -> Metrics:
    """Core sections plus every enabled plugin's, each plugin on its own, sorted by ``order`` then title."""
    guests = Guests(plugin_manager(view))
    sections = list(core_sections(view, period))
    for plugin, answer in guests.call("report_sections", practice=view, period=period).items():
        for section in answer or []:
            if not isinstance(section, ReportSection):
                guests.refused(plugin, "report_sections", f"returned {type(section).__name__}, not a ReportSection")
                continue
            sections.append(section)
    sections.sort(key=lambda s: (s.order, s.title))
    failures = tuple(f"{f.plugin}: {f.error}" for f in guests.failures)
    return Metrics(practice=view.name, period=period, sections=tuple(sections), failures=failures)
