"""The Dashboard tab: the report's figures in the workbook, with native charts over them, rebuilt
each sync and never duplicated, through a LibreOffice round trip too."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicops.connectors.gsheets.charts import chart_id
from clinicops.connectors.xlsx.package import Package
from clinicops.core import operations
from clinicops.core.cli import cli

from . import libreoffice
from .conftest import BACKENDS, Clinic, seeded_clinic, write_config
from .sheet_drivers import XlsxDriver

PLUGINS = ["billing", "credentials", "dashboard"]
ENTITIES = ["provider", "patient", "claim", "credential", "dashboard_figure"]


def dashboard(clinic: Clinic) -> dict[str, dict]:
    return {row["Figure key"]: row for row in XlsxDriver(clinic.folder / "clinic.xlsx").rows("Dashboard")}


CHART = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chart"
DRAWING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing"


def dashboard_charts(book: Path) -> dict[str, str]:
    """Chart title -> chart XML, for every chart the Dashboard tab's drawing holds; no chart part is left over."""
    package = Package(book.read_bytes())
    [sheet] = [e.part for e in package.sheets() if e.title == "Dashboard"]
    drawings = [target for _, kind, target in package.relationships(sheet) if kind == DRAWING]
    assert len(drawings) <= 1
    out: dict[str, str] = {}
    for drawing in drawings:
        for _, kind, part in package.relationships(drawing):
            if kind == CHART:
                xml = package.read(part).decode()
                [title] = re.findall(r"<a:t>([^<]*)</a:t>", xml)[:1]
                assert title not in out, f"two charts named {title}"
                out[title] = xml
    every = {n for n in zipfile.ZipFile(book).namelist() if n.startswith("xl/charts/chart")}
    assert len(every) == len(out), f"chart parts nothing points to: {sorted(every)}"
    return out


def charted_rows(xml: str) -> list[int]:
    """The rows a chart's categories read, from its first cell reference (a range or a union of them)."""
    formula = re.search(r"<c:cat>.*?<c:f>([^<]*)</c:f>", xml).group(1)
    rows: list[int] = []
    for first, last in re.findall(r"\$[A-Z]+\$(\d+)(?::\$[A-Z]+\$(\d+))?", formula):
        rows += range(int(first), int(last or first) + 1)
    return rows


@pytest.fixture
def clinic(xlsx_clinic: Clinic) -> Clinic:
    write_config(xlsx_clinic.folder, plugins=PLUGINS, entities=ENTITIES)
    xlsx_clinic.reopen()
    xlsx_clinic.sync()
    return xlsx_clinic


def test_the_tab_holds_the_figures_of_status_json(clinic: Clinic) -> None:
    rows = dashboard(clinic)
    status = json.loads(CliRunner().invoke(cli, ["status", "--json", "-p", str(clinic.folder)]).output)
    assert set(rows) == {k for k in status["figures"] if not k.startswith("alerts.")}
    assert rows["credentials.due_90d"]["Value"] == status["figures"]["credentials.due_90d"]
    assert rows["billing.denial_rate"]["Shown as"] == "—"  # no claim answered yet
    assert "claims paid, denied or appealed" in rows["billing.denial_rate"]["Definition"]


def test_the_tab_is_rebuilt_not_duplicated(clinic: Clinic) -> None:
    before = dashboard(clinic)
    clinic.sheet.edit("Dashboard", 2, "Figure", "typed over")
    clinic.sync()
    clinic.sync()
    after = dashboard(clinic)
    assert after == before
    assert len(XlsxDriver(clinic.folder / "clinic.xlsx").rows("Dashboard")) == len(before)


def test_a_row_deleted_from_the_tab_comes_back(clinic: Clinic) -> None:
    before = dashboard(clinic)
    clinic.sheet.delete_row("Dashboard", 3)  # a tab only clinicops fills: its rows are the engine's
    clinic.sync()

    def cells(rows: dict[str, dict]) -> dict[str, dict]:
        return {key: {k: v for k, v in row.items() if k != "_row"} for key, row in rows.items()}

    assert cells(dashboard(clinic)) == cells(before)  # the deleted figure is back (at the end of the tab)
    clinic.sync()
    assert len(XlsxDriver(clinic.folder / "clinic.xlsx").rows("Dashboard")) == len(before)


def test_the_tab_has_native_charts_over_its_own_rates_and_money(clinic: Clinic) -> None:
    book = clinic.folder / "clinic.xlsx"
    charts = dashboard_charts(book)
    assert set(charts) == {"Rates", "Money"}
    rows = {row["_row"]: row for row in XlsxDriver(book).rows("Dashboard")}
    for title, unit in (("Rates", "%"), ("Money", "USD")):
        charted = charted_rows(charts[title])
        assert charted == sorted(r for r, row in rows.items() if row["Unit"] == unit)
        assert [f"<c:v>{rows[r]['Figure']}</c:v>" in charts[title] for r in charted] == [True] * len(charted)
    assert '<c:barChart><c:barDir val="bar"/>' in charts["Rates"] and 'formatCode="0%"' in charts["Rates"]


def test_the_charts_are_redrawn_with_the_tab_and_never_duplicated(clinic: Clinic) -> None:
    book = clinic.folder / "clinic.xlsx"
    before = dashboard_charts(book)
    clinic.sheet.edit("Dashboard", 2, "Figure", "typed over")
    clinic.sync()
    assert dashboard_charts(book) == before
    clinic.sync()
    assert dashboard_charts(book) == before


@contextmanager
def synced_on(backend: str, folder: Path) -> Iterator[Clinic]:
    """The Dashboard on an emulated Google Sheet or Airtable base, through the real gspread or pyairtable client."""
    with BACKENDS[backend](folder) as (body, sheet):
        found = seeded_clinic(folder, body, sheet)
        write_config(folder, plugins=PLUGINS, entities=ENTITIES)
        found.reopen()
        operations.lay_out(found.practice)
        found.sync()
        yield found
        found.practice.close()


@pytest.fixture(params=["gsheets", "airtable"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clinic]:
    with synced_on(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def google(tmp_path: Path) -> Iterator[Clinic]:
    with synced_on("gsheets", tmp_path) as found:
        yield found


def remote_rows(clinic: Clinic) -> dict[str, dict]:
    return {row["Figure key"]: row for row in clinic.sheet.rows("Dashboard")}


def test_the_tab_holds_the_figures_on_google_sheets_and_airtable_too(remote: Clinic) -> None:
    rows = remote_rows(remote)
    status = json.loads(CliRunner().invoke(cli, ["status", "--json", "-p", str(remote.folder)]).output)
    figures = {k: v for k, v in status["figures"].items() if not k.startswith("alerts.")}
    assert set(rows) == set(figures)
    assert {k: rows[k].get("Value") for k in rows if figures[k] is not None} == {
        k: v for k, v in figures.items() if v is not None
    }
    assert "claims paid, denied or appealed" in rows["billing.denial_rate"]["Definition"]
    remote.sheet.edit("Dashboard", 2, "Figure", "typed over")
    remote.sync()
    remote.sync()
    assert remote_rows(remote) == rows  # put back, not added again


def sheet_charts(clinic: Clinic) -> tuple[int, list[dict]]:
    """The Dashboard's sheet id and its charts, as ``spreadsheets.get`` lists them."""
    meta = clinic.sheet.sh.fetch_sheet_metadata()
    [sheet] = [s for s in meta["sheets"] if s["properties"]["title"] == "Dashboard"]
    return sheet["properties"]["sheetId"], sheet.get("charts", [])


def charted(chart: dict) -> tuple[list[int], list[int]]:
    """The sheet rows (1-based) of a chart's domain and of its one series."""
    basic = chart["spec"]["basicChart"]

    def rows(data: dict) -> list[int]:
        return [r + 1 for g in data["sourceRange"]["sources"] for r in range(g["startRowIndex"], g["endRowIndex"])]

    [series] = basic["series"]
    return rows(basic["domains"][0]["domain"]), rows(series["series"])


def test_google_sheets_gets_native_charts_redrawn_never_duplicated(google: Clinic) -> None:
    remote = google
    sheet_id, charts = sheet_charts(remote)
    assert sorted(c["spec"]["title"] for c in charts) == ["Money", "Rates"]
    assert {c["chartId"] for c in charts} == {chart_id(sheet_id, "Rates"), chart_id(sheet_id, "Money")}
    rows = remote.sheet.rows("Dashboard")
    for chart in charts:
        unit = {"Rates": "%", "Money": "USD"}[chart["spec"]["title"]]
        domain, series = charted(chart)
        assert domain == series == [row["_row"] for row in rows if row["Unit"] == unit]
        assert chart["spec"]["basicChart"]["chartType"] == "BAR"
    remote.sheet.delete_row("Dashboard", 3)  # Sheets moves the charts' ranges up with the rows below
    remote.sheet.edit("Dashboard", 2, "Figure", "typed over")
    remote.sync()  # the tab is written: each chart gets its spec again (updateChartSpec), not a second copy
    remote.sync()
    after_id, after = sheet_charts(remote)
    assert after_id == sheet_id and sorted(c["chartId"] for c in after) == sorted(c["chartId"] for c in charts)
    rows = remote.sheet.rows("Dashboard")
    assert rows[0]["Figure"] != "typed over"
    for chart in after:
        unit = {"Rates": "%", "Money": "USD"}[chart["spec"]["title"]]
        assert charted(chart) == ([row["_row"] for row in rows if row["Unit"] == unit],) * 2


@pytest.fixture(scope="module")
def calc() -> Iterator[libreoffice.Calc]:
    if not libreoffice.available():
        pytest.fail("LibreOffice Calc and python3-uno are needed: .ci/run installs them (apt-get)")
    office = libreoffice.Calc()
    yield office
    office.quit()


def calc_charts(calc: libreoffice.Calc, book: Path, *, type_over: str | None = None) -> list[tuple[str, int]]:
    """(title, points) of each chart Calc finds on the Dashboard tab; saved by Calc, with a cell typed over."""
    doc = calc.open(book)
    try:
        found = []
        charts = calc.sheet(doc, "Dashboard").getCharts()
        for n in range(charts.getCount()):
            chart = charts.getByIndex(n).getEmbeddedObject()
            found.append((chart.getTitle().String, len(chart.getData().getData())))
        if type_over:
            calc.type(doc, "Dashboard", type_over, "typed over")
        calc.save(doc)
    finally:
        calc.close(doc)
    return sorted(found)


@pytest.mark.libreoffice
def test_the_tab_survives_a_libreoffice_round_trip(clinic: Clinic, calc: libreoffice.Calc) -> None:
    before = dashboard(clinic)
    book: Path = clinic.folder / "clinic.xlsx"
    units = [row["Unit"] for row in before.values()]
    drawn = [("Money", units.count("USD")), ("Rates", units.count("%"))]
    assert calc_charts(calc, book) == drawn  # Calc reads both charts, every bar, and saves them its own way
    clinic.sync()  # nothing changed: the charts Calc saved stay as they are
    assert set(dashboard_charts(book)) == {"Rates", "Money"}
    assert calc_charts(calc, book, type_over="C2") == drawn
    clinic.sync()  # the tab is written again: its cell put back, its charts redrawn, once each
    after = dashboard(clinic)
    assert after == before
    assert len(XlsxDriver(book).rows("Dashboard")) == len(before)
    assert set(dashboard_charts(book)) == {"Rates", "Money"}
    assert calc_charts(calc, book) == drawn
