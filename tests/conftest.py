"""Fixtures that build real things: a practice folder, its workbook, its store."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import textwrap
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from clinicops.core import config as config_module
from clinicops.core import operations
from clinicops.core.backend_registry import open_backend
from clinicops.core.clock import SystemClock
from clinicops.core.practice import Practice
from clinicops.core.sync_report import SyncReport

from .sheet_drivers import SheetDriver, XlsxDriver

ENTITIES = ["provider", "staff", "patient", "appointment", "credential"]


@pytest.fixture(scope="session", autouse=True)
def machine_clock_moved() -> Iterator[None]:
    """With ``CLINICOPS_TEST_DAYS_AHEAD=N`` the whole suite runs with the machine's clock N days on.

    CI runs the suite once that way (and under a far time zone): a test or a piece of code
    that reads the wall clock instead of the practice's clock then fails on a date its
    author never saw.
    """
    days = int(os.environ.get("CLINICOPS_TEST_DAYS_AHEAD", "0") or 0)
    if not days:
        yield
        return
    import time_machine

    with time_machine.travel(SystemClock().now() + dt.timedelta(days=days), tick=True):
        yield


# parse_config as clinicops has it, for a test that wants a practice's store where its
# practice.toml says even in a PostgreSQL run.
PARSE_CONFIG = config_module.parse_config


@pytest.fixture(autouse=True)
def store_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], str] | None]:
    """With ``CLINICOPS_TEST_STORE_URL`` (``postgresql+psycopg://postgres@127.0.0.1/test``) every
    practice a test opens keeps its store in that database, in a schema of its own made for
    the test and dropped after it (yielded: the schema of a practice's folder); without it,
    each keeps the usual SQLite file."""
    url = os.environ.get("CLINICOPS_TEST_STORE_URL", "")
    if not url:
        yield None
        return
    from . import pg_stores

    with pg_stores.per_test(url) as schema_for:
        original = PARSE_CONFIG

        def parse_config(raw: dict[str, Any], file: Path) -> Any:
            parsed = original(raw, file)
            if "url" not in raw.get("store", {}) and "url_env" not in raw.get("store", {}):
                parsed.store_url = url
                parsed.store_schema = schema_for(parsed.root)
            return parsed

        monkeypatch.setattr(config_module, "parse_config", parse_config)
        yield schema_for


@pytest.fixture
def pinned_store(store_url_from_environment: Callable[[Path], str] | None) -> Callable[[Path], str]:
    """The ``[store]`` section that keeps a practice where this test keeps it, written into its
    practice.toml for another process (``clinicops run``) to follow: empty on SQLite."""
    schema_for = store_url_from_environment
    if schema_for is None:
        return lambda folder: ""
    url = os.environ["CLINICOPS_TEST_STORE_URL"]
    return lambda folder: f'\n[store]\nurl = "{url}"\nschema = "{schema_for(folder)}"\n'


# The access log's off-site export reminder has its own tests; elsewhere it would be one
# more alert in every count.
QUIET_ACCESS_LOG = "\n[plugins.access_log]\nexport_every_days = 0\n"

XLSX_BACKEND = 'type = "xlsx"\npath = "clinic.xlsx"'


def write_config(
    folder: Path,
    *,
    plugins: list[str] | None = None,
    extra: str = "",
    entities: list[str] | None = None,
    backend: str | None = None,
) -> None:
    """A practice.toml; ``backend`` is the body of its [backend] table (default: keep the current one)."""
    if backend is None:
        existing = folder / "practice.toml"
        backend = _backend_section(existing.read_text()) if existing.exists() else XLSX_BACKEND
    plugins = ["credentials"] if plugins is None else plugins
    entities = ENTITIES if entities is None else entities
    (folder / "practice.toml").write_text(
        textwrap.dedent(
            f"""
            [practice]
            name = "Test Clinic"
            timezone = "America/New_York"

            [backend]
            {{backend}}

            [sync]
            entities = {entities!r}

            [plugins]
            enabled = {plugins!r}
            """
        ).replace("{backend}", backend)
        + extra
        + ("" if "[plugins.access_log]" in extra else QUIET_ACCESS_LOG),
        encoding="utf-8",
    )


def _backend_section(text: str) -> str:
    body = text.split("[backend]", 1)[1].split("\n[", 1)[0]
    return "\n".join(line.strip() for line in body.strip().splitlines())


class Clinic:
    """A practice folder plus a staff member's hands on its sheet."""

    def __init__(self, folder: Path, sheet: SheetDriver) -> None:
        self.folder = folder
        self.practice = Practice.open(folder)
        self.sheet = sheet

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


@contextmanager
def xlsx_backend(folder: Path) -> Iterator[tuple[str, SheetDriver]]:
    """The local workbook: nothing to start."""
    yield XLSX_BACKEND, XlsxDriver(folder / "clinic.xlsx")


# Every backend the shared sync suite runs on: name -> (folder -> context giving the
# [backend] table body and a driver that edits that backend as staff would).
# Each further backend lives in a module ``tests/backend_<name>.py`` with ``NAME`` and a
# ``backend(folder)`` context of the same shape.
BACKENDS: dict[str, Callable[[Path], AbstractContextManager[tuple[str, SheetDriver]]]] = {
    "xlsx": xlsx_backend,
}
for _module in sorted(Path(__file__).parent.glob("backend_*.py")):
    _mod = importlib.import_module(f".{_module.stem}", __package__)
    BACKENDS[_mod.NAME] = _mod.backend


def seeded_clinic(folder: Path, backend: str, sheet: SheetDriver) -> Clinic:
    write_config(folder, backend=backend)
    c = Clinic(folder, sheet)
    operations.lay_out(c.practice)
    c.sheet.append("Providers", PROVIDERS)
    c.sheet.append("Patients", PATIENTS)
    return c


@pytest.fixture(params=sorted(BACKENDS))
def clinic(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clinic]:
    """A laid-out practice with a provider and five patients (two without an id yet), on each backend."""
    with BACKENDS[request.param](tmp_path) as (backend, sheet):
        c = seeded_clinic(tmp_path, backend, sheet)
        yield c
        c.practice.close()


@pytest.fixture
def xlsx_clinic(tmp_path: Path) -> Iterator[Clinic]:
    """The same practice on the local workbook, for what only a workbook has (lock files, backups)."""
    with xlsx_backend(tmp_path) as (backend, sheet):
        c = seeded_clinic(tmp_path, backend, sheet)
        yield c
        c.practice.close()
