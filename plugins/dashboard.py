"""The ``Dashboard`` tab: the report's headline figures in the workbook, rebuilt every sync.

One row per figure, in the report's order: its section, name, value as a number (a rate as a
fraction, money in dollars), the value as the page shows it, its unit, and its definition
(what is counted over what, the period, what is left out). The figures come from the same
computation as ``clinicops report``, ``status --json`` and the weekly digest
(``collect_report``), for the report's default period: the 90 days up to today.

Open alerts are left out: the tab is rebuilt before the sync looks for alerts, so its count
would trail by one sync, and the Alerts tab beside it has them all.

The tab is the plugin's own: every sync makes it hold exactly the current figures (a row
whose figure no longer exists is removed, an edited cell is put back), so it is rebuilt,
never duplicated. Beside the rows stand two native charts, **Rates** (every figure in %) and
**Money** (every figure in dollars), drawn over the tab's own cells: DrawingML chart parts in
a workbook, ``addChart`` charts on a Google Sheet, redrawn whenever the tab is written, so
there is only ever one of each. On Airtable, which has no charts in its API, it is a table
of the same fields.
"""

from __future__ import annotations

from typing import Any

from clinicops import collect_report, hookimpl, report_period

NAME = "dashboard"
ENTITY = "dashboard_figure"
ALERTS = "core.alerts"
# Native charts beside the figures, drawn by the workbook and Google Sheets backends over the
# tab's own rows (the ``x-charts`` keyword): every rate, and every amount of money.
CHARTS = [
    {"title": "Rates", "label": "label", "value": "value", "where": {"unit": "%"}, "format": "0%"},
    {"title": "Money", "label": "label", "value": "value", "where": {"unit": "USD"}, "format": "$#,##0"},
]


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    def owned(kind: dict[str, Any], title: str) -> dict[str, Any]:
        return {**kind, "x-title": title, "x-owner": "plugin"}

    text = {"type": "string"}
    return [
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": ENTITY,
            "description": "The report's headline figures; rebuilt by the dashboard plugin every sync.",
            "type": "object",
            "x-title": "Dashboard",
            "x-primary-key": "id",
            "x-id-prefix": "DF",
            "properties": {
                "id": owned(text, "Figure key"),
                "section": owned(text, "Section"),
                "label": owned(text, "Figure"),
                "value": owned({"type": "number"}, "Value"),
                "shown": owned(text, "Shown as"),
                "unit": owned(text, "Unit"),
                "period": owned(text, "Period"),
                "definition": owned(text, "Definition"),
            },
            "required": ["id", "label"],
            "additionalProperties": False,
            "x-charts": CHARTS,
        }
    ]


def rows(practice: Any) -> list[dict[str, Any]]:
    """The tab's rows: one per figure of the report for its default period."""
    found = collect_report(practice, report_period(practice.today()))
    out = []
    for section in found.sections:
        if section.key == ALERTS:
            continue
        for f in section.figures:
            row = {
                "id": f.key,
                "section": section.title,
                "label": f.label,
                "value": f.value,
                "shown": f.shown(),
                "unit": f.unit,
                "period": found.period.label,
                "definition": f.definition.sentence(),
            }
            out.append({k: v for k, v in row.items() if v is not None})
    return out


@hookimpl
def refresh_tables(practice: Any) -> None:
    practice.replace_table(ENTITY, rows(practice), plugin=NAME)
