"""Fixtures that build real things: a practice folder, its workbook, its store."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest
from clinicops.connectors.factory import open_backend
from clinicops.core import operations
from clinicops.core.practice import Practice
from clinicops.core.sync_report import SyncReport

from .sheet_drivers import XlsxDriver

ENTITIES = ["provider", "staff", "patient", "appointment", "credential"]


def write_config(
    folder: Path, *, plugins: list[str] | None = None, extra: str = "", entities: list[str] | None = None
) -> None:
    plugins = ["credentials"] if plugins is None else plugins
    entities = ENTITIES if entities is None else entities
    (folder / "practice.toml").write_text(
        textwrap.dedent(
            f"""
            [practice]
            name = "Test Clinic"
            timezone = "America/New_York"

            [backend]
            type = "xlsx"
            path = "clinic.xlsx"

            [sync]
            entities = {entities!r}

            [plugins]
            enabled = {plugins!r}
            """
        )
        + extra,
        encoding="utf-8",
    )


class Clinic:
    """A practice folder plus a staff member's hands on its sheet."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.practice = Practice.open(folder)
        self.sheet = XlsxDriver(folder / "clinic.xlsx")

    def reopen(self) -> None:
        self.practice.close()
        self.practice = Practice.open(self.folder)

    def sync(self, **kwargs: Any) -> SyncReport:
        return operations.sync(self.practice, **kwargs)

    def backend(self) -> Any:
        return open_backend(self.practice.config)

    def record(self, entity: str, record_id: str) -> dict[str, Any] | None:
        with self.practice.view() as view:
            return view.get(entity, record_id)

    def records(self, entity: str) -> list[dict[str, Any]]:
        with self.practice.view() as view:
            return view.records(entity)


PROVIDERS = [
    {
        "ID": "PR000001",
        "First name": "Ada",
        "Last name": "Lovelace",
        "Credentials": "MD",
        "NPI": "1234567893",
        "Specialty": "Family medicine",
        "Active": "Yes",
    },
]
PATIENTS = [
    {
        "MRN": "P000001",
        "First name": "Grace",
        "Last name": "Hopper",
        "Date of birth": "12/9/1956",
        "Phone": "(617) 555-0101",
        "Email": "grace@example.org",
        "ZIP": "02134",
        "Reminder consent": "email",
    },
    {
        "MRN": "P000002",
        "First name": "Alan",
        "Last name": "Turing",
        "Date of birth": dt.date(1962, 6, 23),
        "Phone": "617 555 0102",
        "Email": "alan@example.org",
        "Reminder consent": "SMS",
    },
    {
        "MRN": "P000003",
        "First name": "Katherine",
        "Last name": "Johnson",
        "Date of birth": "1968-08-26",
        "Phone": "617.555.0103",
        "Reminder consent": "none",
    },
    {
        "MRN": "",
        "First name": "Edsger",
        "Last name": "Dijkstra",
        "Date of birth": "5/11/1970",
        "Phone": "+1 617 555 0104",
    },
    {"MRN": "", "First name": "Barbara", "Last name": "Liskov", "Date of birth": "11/7/1979"},
]


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    """A laid-out workbook with a provider and five patients (two without an id yet)."""
    write_config(tmp_path)
    c = Clinic(tmp_path)
    operations.lay_out(c.practice)
    c.sheet.append("Providers", PROVIDERS)
    c.sheet.append("Patients", PATIENTS)
    return c
