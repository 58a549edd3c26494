"""Embedded charts: ``addChart``, ``updateChartSpec`` and ``deleteEmbeddedObject``.

Shapes as Google documents them (https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/charts
and ``.../request#addchartrequest``):

- ``addChart {chart: EmbeddedChart}``: ``chart.spec`` (a ``ChartSpec``) and ``chart.position``
  (an ``EmbeddedObjectPosition``) are required; ``chart.chartId`` is optional, a random id
  is given when it is left out, and naming an id some embedded object already has is a
  400. The reply is ``{addChart: {chart: EmbeddedChart}}`` with the id it got.
- ``updateChartSpec {chartId, spec}`` replaces a chart's spec; its reply is empty.
- ``deleteEmbeddedObject {objectId}`` removes a chart; its reply is empty.

The chart is kept on the sheet its position anchors it to and listed by ``spreadsheets.get``
in ``sheets[].charts``. Only ``overlayPosition`` is emulated (``newSheet`` answers 501), and
of the specs only ``basicChart``, whose data ranges are checked: each ``GridRange`` must
be on a sheet of the spreadsheet and inside its grid, one dimension of length 1, and the
domain and every series must have as many source ranges, pairwise of the same length.
Charts are not redrawn when rows move: a client that moves rows sends the spec again,
as clinicops does.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, invalid
from .model import Spreadsheet, grid_box, random_id
from .params import check_body, integer

CHART_FIELDS = {"chartId", "spec", "position", "border"}
SPEC_FIELDS = {
    "title",
    "altText",
    "titleTextFormat",
    "titleTextPosition",
    "subtitle",
    "subtitleTextFormat",
    "subtitleTextPosition",
    "fontName",
    "maximized",
    "backgroundColor",
    "backgroundColorStyle",
    "dataSourceChartProperties",
    "filterSpecs",
    "sortSpecs",
    "hiddenDimensionStrategy",
    "basicChart",
    "pieChart",
    "bubbleChart",
    "candlestickChart",
    "orgChart",
    "histogramChart",
    "waterfallChart",
    "treemapChart",
    "scorecardChart",
}
BASIC_FIELDS = {
    "chartType",
    "legendPosition",
    "axis",
    "domains",
    "series",
    "headerCount",
    "threeDimensional",
    "interpolateNulls",
    "stackedType",
    "lineSmoothing",
    "compareMode",
    "totalDataLabel",
}
CHART_TYPES = ("BAR", "LINE", "AREA", "COLUMN", "SCATTER", "COMBO", "STEPPED_AREA")


def _ids(spreadsheet: Spreadsheet) -> set[int]:
    return {chart["chartId"] for sheet in spreadsheet.sheets for chart in sheet.charts}


def _sources(spreadsheet: Spreadsheet, data: Any, where: str) -> list[int]:
    """The lengths of a ``ChartData``'s source ranges, each checked."""
    check_body(data, {"sourceRange", "aggregateType", "columnReference", "groupRule"}, where)
    ranges = ((data or {}).get("sourceRange") or {}).get("sources") or []
    if not ranges:
        raise invalid(f"{where}.sourceRange: a chart's data must name at least one source range.")
    lengths = []
    for n, grid in enumerate(ranges):
        box = grid_box(spreadsheet, grid, f"{where}.source_range.sources[{n}]")
        rows, cols = box.end_row - box.start_row, box.end_col - box.start_col
        if min(rows, cols) != 1:
            raise invalid(f"{where}.source_range.sources[{n}]: exactly one dimension must have a length of 1.")
        lengths.append(max(rows, cols))
    return lengths


def check_spec(spreadsheet: Spreadsheet, spec: Any, where: str) -> dict[str, Any]:
    check_body(spec, SPEC_FIELDS, where)
    kinds = [k for k in spec or {} if k.endswith("Chart") and k not in ("dataSourceChartProperties",)]
    if len(kinds) != 1:
        raise invalid(f"{where}: exactly one kind of chart (basicChart, pieChart…) must be set.")
    if kinds[0] != "basicChart":
        raise ApiError(501, f"{where}.{kinds[0]} is not supported by the emulator.")
    basic = spec["basicChart"]
    check_body(basic, BASIC_FIELDS, f"{where}.basic_chart")
    if basic.get("chartType") not in CHART_TYPES:
        raise invalid(f"{where}.basic_chart.chart_type must be one of {', '.join(CHART_TYPES)}.")
    domains = [_sources(spreadsheet, d.get("domain"), f"{where}.basic_chart.domains[{n}].domain")
               for n, d in enumerate(basic.get("domains") or [])]  # fmt: skip
    series = [_sources(spreadsheet, s.get("series"), f"{where}.basic_chart.series[{n}].series")
              for n, s in enumerate(basic.get("series") or [])]  # fmt: skip
    if not series:
        raise invalid(f"{where}.basic_chart: a chart needs at least one series.")
    groups = domains + series
    if any(lengths != groups[0] for lengths in groups[1:]):
        raise invalid(
            f"{where}.basic_chart: the domain and all series must have the same number of source ranges, "
            "in order and of the same lengths."
        )
    return copy.deepcopy(spec)


def add_chart(spreadsheet: Spreadsheet, payload: dict[str, Any], where: str) -> dict[str, Any]:
    check_body(payload, {"chart"}, where)
    chart = payload.get("chart") or {}
    check_body(chart, CHART_FIELDS, f"{where}.chart")
    if "spec" not in chart:
        raise invalid(f"{where}.chart: a chart must have a spec.")
    position = chart.get("position") or {}
    check_body(position, {"sheetId", "overlayPosition", "newSheet"}, f"{where}.chart.position")
    if "overlayPosition" not in position:
        raise ApiError(501, f"{where}.chart.position: only an overlayPosition is supported by the emulator.")
    overlay = position["overlayPosition"]
    check_body(
        overlay,
        {"anchorCell", "offsetXPixels", "offsetYPixels", "widthPixels", "heightPixels"},
        f"{where}.chart.position.overlay_position",
    )
    anchor = overlay.get("anchorCell") or {}
    check_body(anchor, {"sheetId", "rowIndex", "columnIndex"}, f"{where}.chart.position.overlay_position.anchor_cell")
    sheet = spreadsheet.grid(integer(anchor.get("sheetId"), f"{where}.anchor_cell.sheet_id"))
    spec = check_spec(spreadsheet, chart["spec"], f"{where}.chart.spec")
    taken = _ids(spreadsheet)
    if "chartId" in chart:
        chart_id = integer(chart["chartId"], f"{where}.chart.chart_id")
        if chart_id in taken:
            raise invalid(f"{where}: an object with id {chart_id} already exists.")
    else:
        chart_id = random_id()
        while chart_id in taken:
            chart_id = random_id()
    stored = {"chartId": chart_id, "spec": spec, "position": {"overlayPosition": copy.deepcopy(overlay)}}
    if chart.get("border"):
        stored["border"] = copy.deepcopy(chart["border"])
    sheet.charts.append(stored)
    return {"addChart": {"chart": copy.deepcopy(stored)}}


def _find(spreadsheet: Spreadsheet, object_id: int) -> tuple[Any, dict[str, Any]] | None:
    for sheet in spreadsheet.sheets:
        for chart in sheet.charts:
            if chart["chartId"] == object_id:
                return sheet, chart
    return None


def update_chart_spec(spreadsheet: Spreadsheet, payload: dict[str, Any], where: str) -> None:
    check_body(payload, {"chartId", "spec"}, where)
    chart_id = integer(payload.get("chartId"), f"{where}.chart_id")
    found = _find(spreadsheet, chart_id)
    if found is None:
        raise invalid(f"No chart with id: {chart_id}")
    found[1]["spec"] = check_spec(spreadsheet, payload.get("spec"), f"{where}.spec")


def delete_embedded_object(spreadsheet: Spreadsheet, payload: dict[str, Any], where: str) -> None:
    check_body(payload, {"objectId"}, where)
    object_id = integer(payload.get("objectId"), f"{where}.object_id")
    found = _find(spreadsheet, object_id)
    if found is None:
        raise invalid(f"No object with id: {object_id}")
    found[0].charts.remove(found[1])
