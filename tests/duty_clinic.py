"""A practice with one of the back-office plugins switched on, its clock pinned, on any backend.

The schedule, feedback, budget and equipment plugins' tests share this: they type rows
into the plugin's own tabs as staff would, sync, and read the alerts and the sheet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from click.testing import CliRunner

from clinicops.core import operations
from clinicops.core.cli import cli

from .conftest import BACKENDS, Clinic, write_config

ZONE = ZoneInfo("America/New_York")
STAFF = [
    {"ID": "S000001", "First name": "Mary", "Last name": "Major", "Role": "office-manager"},
    {"ID": "S000002", "First name": "Sam", "Last name": "Safety", "Role": "medical-assistant"},
]


def on(day: dt.date, hour: int = 12) -> AbstractContextManager[Any]:
    """The clock stopped at ``hour`` in the practice's time zone on ``day``."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE), tick=False)


@contextmanager
def duty_clinic(
    folder: Path, plugin: str, today: dt.date, *, backend: str = "xlsx", extra: str = "", entities: list[str]
) -> Iterator[Clinic]:
    """``plugin`` switched on in a laid-out practice, the clock at noon on ``today``."""
    with BACKENDS[backend](folder) as (body, sheet), on(today):
        write_config(folder, plugins=[plugin], entities=entities, extra=extra, backend=body)
        clinic = Clinic(folder, sheet)
        operations.lay_out(clinic.practice)
        try:
            yield clinic
        finally:
            clinic.practice.close()


def open_alerts(clinic: Clinic, plugin: str | None = None) -> dict[str, dict[str, Any]]:
    """Open alerts by id, only ``plugin``'s when named."""
    return {
        a["id"]: a
        for a in clinic.records("alert")
        if a["status"] == "open" and (plugin is None or a["id"].startswith(plugin + ":"))
    }


def run(*args: str) -> tuple[int, str]:
    """The ``clinicops`` command as a person runs it."""
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def cells(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sheet rows without the row number, the Errors column and blank cells."""
    return [{k: v for k, v in r.items() if v not in (None, "") and k not in ("_row", "Errors")} for r in rows]


def as_date(cell: Any) -> dt.date | None:
    """A date cell as each backend hands it back: a datetime (xlsx), a serial number (Sheets), ISO text (Airtable)."""
    if cell in (None, ""):
        return None
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, int | float):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(cell))
    return dt.date.fromisoformat(str(cell)[:10])
