"""Native charts on a tab clinicops owns (the Dashboard), as ``spreadsheets.batchUpdate`` requests.

Each chart clinicops draws has an id of its own, the same on every sync (from the tab's
sheet id and the chart's title), so the metadata read (``sheets.charts``) tells which of a
tab's charts are clinicops's: one that exists gets ``updateChartSpec`` with the rows as
they now stand, one that does not yet gets ``addChart`` (``overlayPosition`` to the right
of the table), one with no rows left gets ``deleteEmbeddedObject``. Staff's own charts are
never touched, and ``addChart`` with an id that exists is refused by Google, so a chart is
never drawn twice.

The requests go in the structural ``batchUpdate`` after the tab's rows were deleted and
inserted, so the ``GridRange`` of each bar is where its row ends up: rows that are not next
to each other are several source ranges, the domain's and the series' pairwise the same
(https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/charts#chartsourcerange).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from clinicops.connectors.base import SheetChart, TableWrite, normalize_header

from .state import Tab
from .values import to_cell

WIDTH_PIXELS, HEIGHT_PIXELS, ROWS_APART = 640, 320, 18


def chart_id(sheet_id: int, title: str) -> int:
    """The id of clinicops's chart ``title`` on a tab: stable across syncs, a positive 31-bit number."""
    return zlib.crc32(f"clinicops:{sheet_id}:{title}".encode()) % (2**31 - 2) + 1


def rows_after(
    tab: Tab, tw: TableWrite, columns: dict[str, int], final: Callable[[int], int | None], first_new: int, written: Any
) -> dict[int, dict[int, Any]]:
    """Sheet row -> 0-based column -> value, as the tab will read once this write is done."""
    out: dict[int, dict[int, Any]] = {}
    for number, values in enumerate(tab.values[1:], start=2):
        row = final(number)
        if row is not None:
            out[row] = dict(enumerate(values))
    for (row, col), value in written.items():
        out.setdefault(row, {})[col] = value
    for n, values in enumerate(tw.appends):
        for header, value in values.items():
            out.setdefault(first_new + n, {})[columns[normalize_header(header)]] = to_cell(value)
    return out


def _sources(sheet_id: int, col: int, rows: list[int]) -> list[dict[str, int]]:
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    return [
        {
            "sheetId": sheet_id,
            "startRowIndex": run[0] - 1,
            "endRowIndex": run[-1],
            "startColumnIndex": col,
            "endColumnIndex": col + 1,
        }
        for run in runs
    ]


def spec(sheet_id: int, chart: SheetChart, columns: dict[str, int], rows: list[int]) -> dict[str, Any]:
    label, value = (columns[normalize_header(h)] for h in (chart.label_header, chart.value_header))
    return {
        "title": chart.title,
        "basicChart": {
            "chartType": "BAR",
            "legendPosition": "NO_LEGEND",
            "axis": [{"position": "BOTTOM_AXIS"}],
            "domains": [{"domain": {"sourceRange": {"sources": _sources(sheet_id, label, rows)}}}],
            "series": [
                {"series": {"sourceRange": {"sources": _sources(sheet_id, value, rows)}}, "targetAxis": "BOTTOM_AXIS"}
            ],
            "headerCount": 0,
        },
    }


def chart_requests(tab: Tab, tw: TableWrite, columns: dict[str, int], grid: dict[int, dict[int, Any]]) -> list[dict]:
    """Add, update or delete each of clinicops's charts on the tab so it shows the rows as they now stand."""
    out: list[dict[str, Any]] = []
    first_col = max(columns.values(), default=0) + 2
    for n, chart in enumerate(tw.spec.charts):
        where = columns.get(normalize_header(chart.where_header))
        wanted = chart.where_value
        rows = sorted(r for r, cells in grid.items() if r > 1 and where is not None and str(cells.get(where)) == wanted)
        cid = chart_id(tab.sheet_id, chart.title)
        if not rows:
            if cid in tab.charts:
                out.append({"deleteEmbeddedObject": {"objectId": cid}})
            continue
        drawn = spec(tab.sheet_id, chart, columns, rows)
        if cid in tab.charts:
            out.append({"updateChartSpec": {"chartId": cid, "spec": drawn}})
            continue
        anchor = {"sheetId": tab.sheet_id, "rowIndex": n * ROWS_APART, "columnIndex": first_col}
        position = {
            "overlayPosition": {"anchorCell": anchor, "widthPixels": WIDTH_PIXELS, "heightPixels": HEIGHT_PIXELS}
        }
        out.append({"addChart": {"chart": {"chartId": cid, "spec": drawn, "position": position}}})
    return out
