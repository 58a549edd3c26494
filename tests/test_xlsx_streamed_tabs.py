"""A tab over the size the backend streams above is read by the streaming reader, and the sync
gets from it exactly the rows it gets from python-calamine: the same numbers, values (type for
type), refs, header and uncached formulas, whether its header is parsed now or was kept under
its fingerprint; a tab the stream cannot read in order is read by calamine instead.

The threshold is lowered to 0 here, so small workbooks take the path a very large tab takes."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from clinicops.connectors.base import SheetTable, TableSpec
from clinicops.connectors.xlsx import backend
from clinicops.connectors.xlsx.backend import XlsxBackend
from clinicops.connectors.xlsx.package import Package
from clinicops.connectors.xlsx.sheet_stream import SheetStream
from clinicops.core import operations

from .conftest import seeded_clinic, xlsx_backend
from .test_xlsx_sheet_stream import book as one_sheet_book
from .workbook_parts import cells

CORPUS = Path(__file__).parent / "data" / "workbooks"
CALAMINE_ONLY = 1 << 62


class Streams:
    """What the backend asked the streaming reader for: each part read, and each width walk."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.width_walks = 0


@pytest.fixture
def streams(monkeypatch: pytest.MonkeyPatch) -> Streams:
    """The backend's streaming reader, recording its use; everything it reads is its own."""
    seen = Streams()

    class Recorded(SheetStream):
        def __init__(self, package: Package, part: str) -> None:
            super().__init__(package, part)
            seen.parts.append(part)

        def width(self) -> int:
            seen.width_walks += 1
            return super().width()

    monkeypatch.setattr(backend, "SheetStream", Recorded)
    return seen


def key(value: Any) -> Any:
    """A cell as compared: its type and value (NaN equal to itself)."""
    if isinstance(value, float) and math.isnan(value):
        return (float, "nan")
    return (type(value), value)


def seen(table: SheetTable | None) -> Any:
    """Everything the sync takes from a tab."""
    if table is None:
        return None
    rows = [(r.number, [key(v) for v in r.values], r.ref) for r in table.rows]
    return table.title, table.header, table.digest, rows, sorted(table.uncached)


def read_all(path: Path, stream_above: int, monkeypatch: pytest.MonkeyPatch, cache: Path | None = None) -> dict:
    """Every tab of the workbook as the backend reads it with that threshold."""
    monkeypatch.setattr(backend, "STREAM_ABOVE", stream_above)
    titles = [e.title for e in Package(str(path)).sheets()]
    specs = [TableSpec(entity=t, title=t, primary_key="", columns=()) for t in titles]
    tables = XlsxBackend(path, path.parent / "backups", cache_file=cache).read(specs)
    return {t: seen(tables[t]) for t in titles}


def kinds_workbook(path: Path) -> None:
    """An openpyxl workbook with booleans, dates, times, numbers, formulas (no cached values),
    blank rows and rows of different widths, and a tab whose first row is blank."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Kinds"
    ws.append(["Text", "Flag", "Born", "Seen at", "Count", "Ratio", "Sum", None, "Last"])
    ws.append(["a", True, dt.date(1956, 12, 9), dt.datetime(2024, 3, 5, 14, 30), 3, 2.5, "=E2*F2"])
    ws.append([])
    ws.append(["  spaced  ", False, dt.date(1900, 3, 1), dt.time(6, 15), -4, 1e-9, "=SUM(E2:E4)", None, "x"])
    ws.append([None, None, None, None, 0])
    ws.append([])
    ws.append([])
    ws.append(["tail"])
    blank_top = book.create_sheet("Blank top")
    blank_top["B2"] = "under a blank first row"
    blank_top["D5"] = 7
    book.create_sheet("Empty")
    book.save(path)


def workbooks(tmp_path: Path) -> list[Path]:
    made = tmp_path / "kinds.xlsx"
    kinds_workbook(made)
    return [made, *sorted(CORPUS.glob("*.xls[xm]"))]


def test_every_tab_reads_the_same_through_the_stream_as_through_calamine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams: Streams
) -> None:
    for path in workbooks(tmp_path):
        by_calamine = read_all(path, CALAMINE_ONLY, monkeypatch)
        assert streams.parts == [], path.name
        streamed = read_all(path, 0, monkeypatch)
        assert streamed == by_calamine, path.name
        assert len(streams.parts) == len(by_calamine), path.name  # every tab was streamed
        streams.parts.clear()


def test_the_kinds_workbook_keeps_its_booleans_dates_blank_rows_and_uncached_formulas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams: Streams
) -> None:
    """What the comparison above compares is there to compare."""
    kinds_workbook(tmp_path / "kinds.xlsx")
    tabs = read_all(tmp_path / "kinds.xlsx", 0, monkeypatch)
    _, header, _, rows, uncached = tabs["Kinds"]
    assert header == ["Text", "Flag", "Born", "Seen at", "Count", "Ratio", "Sum", "", "Last"]
    assert [n for n, _, _ in rows] == [2, 3, 4, 5, 6, 7, 8]
    assert rows[0][1][:3] == [(str, "a"), (bool, True), (dt.date, dt.date(1956, 12, 9))]
    assert rows[1][1] == [(str, "")] * 9  # a blank row between filled ones
    assert uncached == [(2, 6), (4, 6)]  # openpyxl writes formulas without their results
    assert tabs["Blank top"][1] == ["", "", "", ""] and tabs["Empty"][1:4:2] == ([], [])


def test_a_calc_workbook_formula_results_and_booleans_come_through_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams: Streams
) -> None:
    tabs = read_all(CORPUS / "libreoffice-clinic.xlsx", 0, monkeypatch)
    values = {k for tab in tabs.values() for _, row, _ in tab[3] for k in row}
    assert {bool, float, str} <= {kind for kind, _ in values}
    assert len(streams.parts) == len(tabs)


def test_a_tab_whose_header_was_kept_is_streamed_later_without_walking_it_for_its_width(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams: Streams
) -> None:
    path = tmp_path / "kinds.xlsx"
    kinds_workbook(path)
    cache = tmp_path / "tabs.json"
    by_calamine = read_all(path, CALAMINE_ONLY, monkeypatch, cache)  # keeps each tab's header
    streams.parts.clear()
    later = read_all(path, 0, monkeypatch, cache)
    assert later == by_calamine
    assert len(streams.parts) == 3 and streams.width_walks == 0


def test_a_tab_with_rows_out_of_order_is_read_by_calamine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams: Streams
) -> None:
    path = tmp_path / "unordered.xlsx"
    path.write_bytes(
        one_sheet_book(
            '<row r="1"><c r="A1" t="inlineStr"><is><t>Id</t></is></c></row>'
            '<row r="3"><c r="A3"><v>3</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>'
        )
    )
    streamed = read_all(path, 0, monkeypatch)
    assert streams.parts  # the stream was tried, and gave up
    assert streamed == read_all(path, CALAMINE_ONLY, monkeypatch)
    assert [values for _, values, _ in streamed["S"][3]] == [[(float, 2.0)], [(float, 3.0)]]


def synced(folder: Path, stream_above: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[dict], dict]:
    """Two syncs of the seeded practice with that threshold: their reports, and the Patients tab's cells after."""
    monkeypatch.setattr(backend, "STREAM_ABOVE", stream_above)
    folder.mkdir()
    with xlsx_backend(folder) as (name, sheet):
        clinic = seeded_clinic(folder, name, sheet)
        reports = [clinic.sync().as_dict(), clinic.sync().as_dict()]
        clinic.practice.close()
    return reports, cells(folder / "clinic.xlsx", "Patients")


def test_a_sync_through_the_stream_reports_and_writes_what_a_sync_through_calamine_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams: Streams
) -> None:
    reports, written = synced(tmp_path / "calamine", CALAMINE_ONLY, monkeypatch)
    assert streams.parts == []
    assert reports[0]["entities"]["patient"]["created"] == 5 and reports[0]["wrote"]
    assert (reports, written) == synced(tmp_path / "stream", 0, monkeypatch)
    assert streams.parts


def test_the_calc_workbook_syncs_the_same_through_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streams: Streams
) -> None:
    results = []
    for label, stream_above in (("calamine", CALAMINE_ONLY), ("stream", 0)):
        monkeypatch.setattr(backend, "STREAM_ABOVE", stream_above)
        practice = operations.init_practice(tmp_path / label, name="Corpus Clinic")
        book = practice.config.root / "clinic.xlsx"
        shutil.copyfile(CORPUS / "libreoffice-clinic.xlsx", book)
        report = operations.sync(practice).as_dict()
        practice.close()
        results.append((report, cells(book, "Patients"), cells(book, "Inventory")))
    assert results[0][0]["wrote"] and not results[0][0]["errors"]
    assert results[1] == results[0]
    assert streams.parts


def test_the_sync_benchmark_workbook_is_read_by_calamine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``benchmarks/sync_xlsx.py`` measures calamine's speed at 100,000 rows and its memory at 200,000: its
    tab stays under the threshold.

    The part's size grows with the rows, so a sample of rows says what 100,000 of them weigh."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent.parent / "benchmarks"))
    loaded = set(sys.modules)
    from sync_xlsx import build_workbook

    build_workbook(tmp_path / "patients.xlsx", 2_000)
    for name in set(sys.modules) - loaded:
        del sys.modules[name]
    package = Package(str(tmp_path / "patients.xlsx"))
    part = next(e.part for e in package.sheets() if e.title == "Patients")
    assert package.zip.getinfo(part).file_size * 200_000 / 2_000 < backend.STREAM_ABOVE / 1.2
