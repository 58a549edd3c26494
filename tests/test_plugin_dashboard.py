"""The Dashboard tab: the report's figures in the workbook, rebuilt each sync and never duplicated,
through a LibreOffice round trip too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicops.core.cli import cli

from . import libreoffice
from .conftest import Clinic, write_config
from .sheet_drivers import XlsxDriver

PLUGINS = ["billing", "credentials", "dashboard"]
ENTITIES = ["provider", "patient", "claim", "credential", "dashboard_figure"]


def dashboard(clinic: Clinic) -> dict[str, dict]:
    return {row["Figure key"]: row for row in XlsxDriver(clinic.folder / "clinic.xlsx").rows("Dashboard")}


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


@pytest.fixture(scope="module")
def calc() -> Iterator[libreoffice.Calc]:
    if not libreoffice.available():
        pytest.fail("LibreOffice Calc and python3-uno are needed: .ci/run installs them (apt-get)")
    office = libreoffice.Calc()
    yield office
    office.quit()


@pytest.mark.libreoffice
def test_the_tab_survives_a_libreoffice_round_trip(clinic: Clinic, calc: libreoffice.Calc) -> None:
    before = dashboard(clinic)
    book: Path = clinic.folder / "clinic.xlsx"
    doc = calc.open(book)
    try:
        calc.save(doc)
    finally:
        calc.close(doc)
    clinic.sync()
    after = dashboard(clinic)
    assert after.keys() == before.keys()
    assert len(XlsxDriver(book).rows("Dashboard")) == len(before)
    assert after["billing.ar_total"]["Value"] == before["billing.ar_total"]["Value"]
