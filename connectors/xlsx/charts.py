"""Native charts on a tab clinicops owns (the Dashboard): DrawingML chart parts in the workbook.

The tab's drawing and the charts in it are clinicops's own, like the tab itself: whenever
the tab is written, its drawing part, the chart parts it points to and their relationships
are dropped and made afresh, so a chart is never duplicated, whatever Excel or LibreOffice
renamed the parts to when they last saved the file. Every other part of the workbook is
left as it is.

A chart is a horizontal bar chart (``c:barChart``, ``barDir="bar"``) whose categories and
values are references to the tab's own cells (``Dashboard!$C$3``; rows that are not
next to each other are joined as a union, ``(Dashboard!$C$3,Dashboard!$C$7:$C$9)``), with
the values as last written in the chart's cache so a reader shows them before it
recalculates. Charts are anchored to the right of the table, one under the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from clinicops.connectors.base import SheetChart, normalize_header
from clinicops.connectors.xlsx import package as pk
from clinicops.connectors.xlsx.cells import column_letter
from clinicops.connectors.xlsx.package import Package
from clinicops.connectors.xlsx.sheet_edit import column_texts

DRAWING = pk.REL_NS + "/drawing"
CHART = pk.REL_NS + "/chart"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
WIDTH, HEIGHT, GAP = 8, 16, 2  # columns and rows a chart covers, rows between two charts


@dataclass(frozen=True)
class Bars:
    """One chart as it stands on the tab: the rows it reads, their labels and values."""

    chart: SheetChart
    rows: tuple[int, ...]
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    label_col: int
    value_col: int


def replace_drawing(package: Package, sheet_part: str) -> tuple[str, str]:
    """Drop the tab's drawing and its charts; (a fresh drawing part's name, its relationship id from the sheet)."""
    for rel_id, kind, target in package.relationships(sheet_part):
        if kind != DRAWING:
            continue
        for _, inner_kind, inner in package.relationships(target):
            if inner_kind == CHART:
                for _, _, chart_part in package.relationships(inner):  # chart styles, colours, user shapes
                    package.remove(chart_part)
                package.remove(inner)
        package.remove(target)
        package.remove_relationship(sheet_part, rel_id)
    part = package.unused_name("xl/drawings/drawing{}.xml")
    package.put(part, b"")
    package.add_content_override(part, CT_DRAWING)
    return part, package.add_relationship(sheet_part, DRAWING, part)


def find_bars(
    data: bytes, shared: Callable[[int], str], columns: dict[str, int], charts: tuple[SheetChart, ...]
) -> list[Bars]:
    """Each chart's rows as the written sheet holds them (data rows below the header, in order)."""
    wanted = {
        columns.get(normalize_header(h)) for c in charts for h in (c.label_header, c.value_header, c.where_header)
    }
    if None in wanted:
        return []
    cells = column_texts(data, shared, {c for c in wanted if c is not None})
    out = []
    for chart in charts:
        label, value, where = (
            columns[normalize_header(h)] for h in (chart.label_header, chart.value_header, chart.where_header)
        )
        rows = tuple(r for r in sorted(cells) if r > 1 and cells[r].get(where) == chart.where_value)
        if rows:
            labels = tuple(cells[r].get(label, "") for r in rows)
            out.append(Bars(chart, rows, labels, tuple(_number(cells[r].get(value)) for r in rows), label, value))
    return out


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def write_drawing(package: Package, drawing: str, tab: str, bars: list[Bars], first_col: int) -> None:
    """Fill the fresh drawing with one anchored chart per :class:`Bars`, each in a chart part of its own."""
    anchors = []
    for n, found in enumerate(bars):
        part = package.unused_name("xl/charts/chart{}.xml")
        package.put(part, chart_xml(tab, found))
        package.add_content_override(part, CT_CHART)
        rel_id = package.add_relationship(drawing, CHART, part)
        anchors.append(_anchor(n, rel_id, found.chart.title, first_col))
    package.put(
        drawing,
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<xdr:wsDr xmlns:xdr="{XDR_NS}" xmlns:a="{A_NS}">{"".join(anchors)}</xdr:wsDr>'
        ).encode(),
    )


def _anchor(n: int, rel_id: str, title: str, col: int) -> str:
    top = n * (HEIGHT + GAP)

    def corner(tag: str, c: int, r: int) -> str:
        return (
            f"<xdr:{tag}><xdr:col>{c}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{tag}>"
        )

    return (
        '<xdr:twoCellAnchor editAs="oneCell">'
        f"{corner('from', col, top + 1)}{corner('to', col + WIDTH, top + 1 + HEIGHT)}"
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="{n + 2}" name={quoteattr("clinicops: " + title)}/><xdr:cNvGraphicFramePr/>'
        '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{C_NS}"><c:chart xmlns:c="{C_NS}" xmlns:r="{pk.REL_NS}" r:id="{rel_id}"/>'
        "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
    )


def reference(tab: str, col: int, rows: tuple[int, ...]) -> str:
    """``Tab!$C$3:$C$5``, or a union of such runs when the rows are not next to each other."""
    sheet = tab if tab.replace("_", "").isalnum() else "'" + tab.replace("'", "''") + "'"
    letter = column_letter(col)
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    parts = [f"{sheet}!${letter}${run[0]}" + (f":${letter}${run[-1]}" if len(run) > 1 else "") for run in runs]
    return parts[0] if len(parts) == 1 else "(" + ",".join(parts) + ")"


def chart_xml(tab: str, found: Bars) -> bytes:
    chart = found.chart
    labels = "".join(f'<c:pt idx="{i}"><c:v>{escape(t)}</c:v></c:pt>' for i, t in enumerate(found.labels))
    values = "".join(f'<c:pt idx="{i}"><c:v>{v!r}</c:v></c:pt>' for i, v in enumerate(found.values) if v is not None)
    count = len(found.rows)
    fmt = quoteattr(chart.number_format)
    title = escape(chart.title)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{C_NS}" xmlns:a="{A_NS}" xmlns:r="{pk.REL_NS}">'
        '<c:roundedCorners val="0"/><c:chart>'
        f"<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{title}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
        '<c:barChart><c:barDir val="bar"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        f'<c:ser><c:idx val="0"/><c:order val="0"/><c:tx><c:v>{title}</c:v></c:tx>'
        '<c:invertIfNegative val="0"/>'
        f"<c:cat><c:strRef><c:f>{escape(reference(tab, found.label_col, found.rows))}</c:f>"
        f'<c:strCache><c:ptCount val="{count}"/>{labels}</c:strCache></c:strRef></c:cat>'
        f"<c:val><c:numRef><c:f>{escape(reference(tab, found.value_col, found.rows))}</c:f>"
        f'<c:numCache><c:formatCode>{escape(chart.number_format)}</c:formatCode><c:ptCount val="{count}"/>'
        f"{values}</c:numCache></c:numRef></c:val></c:ser>"
        '<c:gapWidth val="60"/><c:axId val="500001"/><c:axId val="500002"/></c:barChart>'
        '<c:catAx><c:axId val="500001"/><c:scaling><c:orientation val="maxMin"/></c:scaling><c:delete val="0"/>'
        '<c:axPos val="l"/><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="500002"/>'
        '<c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/></c:catAx>'
        '<c:valAx><c:axId val="500002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/>'
        f'<c:axPos val="t"/><c:majorGridlines/><c:numFmt formatCode={fmt} sourceLinked="0"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="500001"/><c:crosses val="max"/><c:crossBetween val="between"/></c:valAx>'
        '</c:plotArea><c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode()
