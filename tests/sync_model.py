"""A model of what staff meant, held against what clinicops did: random edits, syncs and crashes.

Staff work on the Patients tab (edit a cell, add a row with a blank id, delete a row,
sort, copy-paste a row, type garbage into a typed column, clear a cell, rename a header,
save while a sync runs); a plugin changes records; syncs run, some of them crashing at a
step (reading, after the store's commit, after the write) or killed outright (kill -9
of a real ``clinicops sync`` process). After every sync that finishes, the invariants:

- no valid edit is lost: each row whose cells are all valid is one record holding them;
- no record is duplicated, ids are unique, and a row's record keeps its id;
- bad cells are kept as typed, with the row's Errors cell saying what is wrong, and the
  record keeps its last valid version;
- store and sheet agree: every live record is a row of the sheet and every row's id
  is its record's.

Each row's last name is its token (``T0007``), unique and never edited, so rows and
records can be told apart whatever the sheet's order. The same machine runs in the suite
(a few examples per backend) and in ``benchmarks/soak.py`` (thousands of steps).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from clinicops.connectors.base import BackendError
from clinicops.core.backend_registry import open_backend
from clinicops.core.sync import SyncEngine, SyncError

from .conftest import Clinic, write_config
from .sheet_drivers import SheetDriver

TAB = "Patients"
FIRST = ["Ann", "Bo", "Cy", "Di"]
CITY = ["Boston", "Salem", "Lowell", None]
DOB = ["1970-05-11", "1981-02-03", "1999-12-31"]
EMAIL = ["ann@example.org", "bo@example.net", None]
GARBAGE = {"email": ["not-an-email", "bo at example"], "date_of_birth": ["31/31/1999", "soon"]}
HEADERS = {"first_name": "First name", "city": "City", "date_of_birth": "Date of birth"}
EMAIL_HEADERS = ("Email", "E-mail")
CRASH_POINTS = ("read", "after-commit", "after-write")


class Crash(Exception):
    """A crash injected inside one step of a sync."""


@dataclass
class Row:
    """One row as staff meant it: what its cells show, and what its record should hold."""

    token: int
    cells: dict[str, Any]  # field -> the cell as typed (garbage included)
    bad: set[str] = field(default_factory=set)  # fields whose cell is garbage
    stored: dict[str, Any] | None = None  # the record's fields as of the last sync that saw the row valid
    copy_of: Row | None = None  # a copy-pasted row, and the row it was copied from
    maybe: list[dict[str, Any]] = field(default_factory=list)  # what the record may hold instead (see below)
    plugin_city: str | None = None  # a plugin's change to the record's city, not yet in the sheet
    synced_city: str | None = None  # the city cell as the last finished sync left it

    @property
    def last_name(self) -> str:
        return f"T{self.token:04d}"

    def valid(self) -> dict[str, Any]:
        return {k: v for k, v in self.cells.items() if v is not None and k not in self.bad}

    def unfinished(self) -> None:
        """A sync that did not finish may have stored the row as it is now (it committed), or not."""
        if self.copy_of is None and not self.bad:
            self.maybe.append(self.valid())

    def acceptable(self) -> list[dict[str, Any]]:
        return [s for s in (self.stored, *self.maybe) if s is not None]


@dataclass
class Violation:
    rule: str
    detail: str


class CrashingBackend:
    """A backend that raises at one step of the sync: after reading, before or after writing."""

    def __init__(self, inner: Any, at: str) -> None:
        self._inner = inner
        self._at = at

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def read(self, specs: Any) -> Any:
        tables = self._inner.read(specs)
        if self._at == "read":
            raise Crash("read")
        return tables

    def write(self, writes: Any, **kwargs: Any) -> Any:
        if self._at == "after-commit":
            raise Crash("after-commit")
        result = self._inner.write(writes, **kwargs)
        if self._at == "after-write":
            raise Crash("after-write")
        return result


class SyncModel(RuleBasedStateMachine):
    """Subclasses set ``backend``: a context giving the [backend] table body and a staff driver."""

    backend: Callable[[Path], AbstractContextManager[tuple[str, SheetDriver]]]
    folder_factory: Callable[[], Path]
    kill_nine = False  # also kill real sync processes (workbook backend only)
    strict = True  # stop at the first violation (the suite); the soak counts them instead

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []  # in sheet order
        self.tokens = 0
        self.email_header = EMAIL_HEADERS[0]
        self.violations: list[Violation] = []
        self.stats = {"steps": 0, "syncs": 0, "crashes": 0}
        self.pending_check = False

    # set-up --------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        folder = type(self).folder_factory()
        self._context_manager = type(self).backend(folder)
        body, driver = self._context_manager.__enter__()
        write_config(folder, backend=body, entities=["patient"], plugins=[])
        from clinicops.core import operations

        self.clinic = Clinic(folder, driver)
        operations.lay_out(self.clinic.practice)

    def teardown(self) -> None:
        clinic = getattr(self, "clinic", None)
        if clinic is not None:
            clinic.practice.close()
        manager = getattr(self, "_context_manager", None)
        if manager is not None:
            manager.__exit__(None, None, None)
        if clinic is not None:
            shutil.rmtree(clinic.folder, ignore_errors=True)

    # staff ---------------------------------------------------------------------

    def _position(self, row: Row) -> int:
        """The sheet row number of a model row (rows stay in the model's order)."""
        return self.rows.index(row) + 2

    def _typed(self, cells: dict[str, Any], token: int) -> dict[str, Any]:
        out: dict[str, Any] = {"Last name": f"T{token:04d}"}
        for name, value in cells.items():
            header = self.email_header if name == "email" else HEADERS[name]
            out[header] = value
        return out

    def _step(self) -> None:
        self.stats["steps"] += 1

    @rule(first=st.sampled_from(FIRST), city=st.sampled_from(CITY), dob=st.sampled_from(DOB))
    def add_row(self, first: str, city: str | None, dob: str) -> None:
        self._step()
        self.tokens += 1
        row = Row(self.tokens, {"first_name": first, "city": city, "date_of_birth": dob, "email": None})
        self.clinic.sheet.append(TAB, [{"MRN": None, **self._typed(row.cells, row.token)}])
        self.rows.append(row)

    @precondition(lambda self: bool(self.rows))
    @rule(data=st.data(), name=st.sampled_from(["first_name", "city", "email"]))
    def edit_cell(self, data: st.DataObject, name: str) -> None:
        self._step()
        row = data.draw(st.sampled_from(self.rows))
        pool = {"first_name": FIRST, "city": CITY, "email": EMAIL}[name]
        value = data.draw(st.sampled_from([v for v in pool if v is not None]))
        self._set(row, name, value, bad=False)

    @precondition(lambda self: bool(self.rows))
    @rule(data=st.data(), name=st.sampled_from(["email", "date_of_birth"]))
    def type_garbage(self, data: st.DataObject, name: str) -> None:
        self._step()
        row = data.draw(st.sampled_from(self.rows))
        self._set(row, name, data.draw(st.sampled_from(GARBAGE[name])), bad=True)

    @precondition(lambda self: any(r.bad for r in self.rows))
    @rule(data=st.data())
    def fix_cell(self, data: st.DataObject) -> None:
        self._step()
        row = data.draw(st.sampled_from([r for r in self.rows if r.bad]))
        name = sorted(row.bad)[0]
        value = data.draw(st.sampled_from(DOB if name == "date_of_birth" else [e for e in EMAIL if e]))
        self._set(row, name, value, bad=False)

    @precondition(lambda self: bool(self.rows))
    @rule(data=st.data(), name=st.sampled_from(["city", "email"]))
    def clear_cell(self, data: st.DataObject, name: str) -> None:
        self._step()
        row = data.draw(st.sampled_from(self.rows))
        self._set(row, name, None, bad=False)

    def _set(self, row: Row, name: str, value: Any, *, bad: bool) -> None:
        header = self.email_header if name == "email" else HEADERS[name]
        self.clinic.sheet.edit(TAB, self._position(row), header, value)
        row.cells[name] = value
        row.bad.discard(name)
        if bad:
            row.bad.add(name)

    @precondition(lambda self: bool(self.rows))
    @rule(data=st.data())
    def delete_row(self, data: st.DataObject) -> None:
        self._step()
        row = data.draw(st.sampled_from(self.rows))
        if any(r.copy_of is row for r in self.rows):
            return  # the original goes only after its copy
        self.clinic.sheet.delete_row(TAB, self._position(row))
        self.rows.remove(row)

    @precondition(lambda self: len(self.rows) > 1)
    @rule(reverse=st.booleans())
    def sort(self, reverse: bool) -> None:
        """Sort by last name: the token, so the model knows the new order (copies keep theirs)."""
        self._step()
        if any(r.copy_of for r in self.rows):
            return  # a copy and its original tie; backends order ties differently
        self.clinic.sheet.sort(TAB, "Last name", reverse=reverse)
        self.rows.sort(key=lambda r: r.last_name, reverse=reverse)

    @precondition(lambda self: any(r.stored is not None and r.copy_of is None for r in self.rows))
    @rule(data=st.data())
    def copy_paste(self, data: st.DataObject) -> None:
        """Copy a synced row, id and all, to the bottom of the tab."""
        self._step()
        candidates = [r for r in self.rows if r.stored is not None and r.copy_of is None]
        row = data.draw(st.sampled_from(candidates))
        if any(r.copy_of is row for r in self.rows):
            return
        sheet_row = self.clinic.sheet.rows(TAB)[self.rows.index(row)]
        copied = {k: v for k, v in sheet_row.items() if not k.startswith("_") and k != "Errors"}
        self.clinic.sheet.append(TAB, [copied])
        self.rows.append(Row(row.token, dict(row.cells), set(row.bad), None, copy_of=row))

    @precondition(lambda self: any(r.copy_of for r in self.rows))
    @rule()
    def remove_copy(self) -> None:
        self._step()
        copy = next(r for r in self.rows if r.copy_of)
        self.clinic.sheet.delete_row(TAB, self._position(copy))
        self.rows.remove(copy)

    @rule()
    def rename_email_header(self) -> None:
        self._step()
        new = EMAIL_HEADERS[1] if self.email_header == EMAIL_HEADERS[0] else EMAIL_HEADERS[0]
        self.clinic.sheet.rename_header(TAB, self.email_header, new)
        self.email_header = new

    # plugins -------------------------------------------------------------------

    @precondition(lambda self: any(self._plugin_target(r) for r in self.rows))
    @rule(data=st.data(), city=st.sampled_from([c for c in CITY if c]))
    def plugin_write(self, data: st.DataObject, city: str) -> None:
        """A plugin changes a record's city; staff have not touched that cell since the last sync."""
        self._step()
        row = data.draw(st.sampled_from([r for r in self.rows if self._plugin_target(r)]))
        rid = self._record_id(row)
        if rid is None:
            return
        with self.clinic.practice.view(source="plugin:model") as view:
            current = view.get("patient", rid)
            view.save("patient", {**current, "city": city}, plugin="model")
        row.plugin_city = city
        row.maybe.append({**row.valid(), "city": city})  # until the sheet shows it, the record holds it

    def _plugin_target(self, row: Row) -> bool:
        return (
            row.copy_of is None
            and row.stored is not None
            and not row.bad
            and row.valid() == row.stored
            and not row.maybe
            and row.plugin_city is None
            and not any(r.copy_of is row for r in self.rows)
        )

    def _record_id(self, row: Row) -> str | None:
        for record in self.clinic.records("patient"):
            if record.get("last_name") == row.last_name:
                return str(record["id"])
        return None

    # syncs ---------------------------------------------------------------------

    @rule()
    def sync(self) -> None:
        self._step()
        self._sync()
        self.check()

    @rule(at=st.sampled_from(CRASH_POINTS))
    def crashed_sync(self, at: str) -> None:
        self._step()
        backend = CrashingBackend(open_backend(self.clinic.practice.config), at)
        self.stats["syncs"] += 1
        self.stats["crashes"] += 1
        for row in self.rows:
            row.unfinished()
        with suppress(Crash):
            SyncEngine(self.clinic.practice, backend, allow_delete=True).run()

    @precondition(lambda self: any(r.plugin_city is None for r in self.rows))
    @rule(data=st.data(), city=st.sampled_from([c for c in CITY if c]))
    def save_during_sync(self, data: st.DataObject, city: str) -> None:
        """Staff save an edit while a sync runs, between its commit and its write.

        Not to a cell the sync itself writes: on Sheets and Airtable the later write wins.
        """
        self._step()
        row = data.draw(st.sampled_from([r for r in self.rows if r.plugin_city is None]))

        def staff_save() -> None:
            self._set(row, "city", city, bad=False)

        backend = open_backend(self.clinic.practice.config)
        self.stats["syncs"] += 1
        for each in self.rows:
            each.unfinished()
        with suppress(BackendError, SyncError):
            SyncEngine(self.clinic.practice, backend, allow_delete=True, fail_after_store_commit=staff_save).run()

    @precondition(lambda self: self.kill_nine)
    @rule(delay=st.floats(min_value=0.3, max_value=3.0))
    def killed_sync(self, delay: float) -> None:
        """A real ``clinicops sync`` process, killed with SIGKILL after ``delay`` seconds."""
        self._step()
        self.stats["syncs"] += 1
        cmd = [str(Path(sys.executable).parent / "clinicops"), "sync", "-s", "--allow-delete"]
        proc = subprocess.Popen(
            [*cmd, "-p", str(self.clinic.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for row in self.rows:
            row.unfinished()
        try:
            proc.wait(timeout=delay)  # a sync that finishes sooner is not waited for any longer
        except subprocess.TimeoutExpired:
            self.stats["crashes"] += 1
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()

    def _sync(self) -> None:
        self.stats["syncs"] += 1
        self.clinic.sync(allow_delete=True)
        for row in self.rows:
            if row.plugin_city is not None and not row.bad:
                if row.cells["city"] == row.synced_city:  # staff left the cell alone: the plugin's value shows
                    row.cells["city"] = row.plugin_city
                row.plugin_city = None
            if row.copy_of is None and not row.bad:
                row.synced_city = row.cells["city"]
                copied = any(r.copy_of is row for r in self.rows)
                # while a copy exists, either row may be taken for the record's: its data may lag
                row.maybe = [*row.maybe, *([row.stored] if row.stored else [])] if copied else []
                row.stored = row.valid()

    # invariants ----------------------------------------------------------------

    def violation(self, rule: str, detail: str) -> None:
        self.violations.append(Violation(rule, detail))
        if self.strict:
            raise AssertionError(f"{rule}: {detail}")

    def check(self) -> None:
        """Compare sheet and store with what staff meant; record each difference as a violation."""
        sheet = self.clinic.sheet.rows(TAB)
        records = self.clinic.records("patient")
        self._check_ids(sheet, records)
        if len(sheet) != len(self.rows):
            self.violation("rows", f"the sheet has {len(sheet)} rows, staff made {len(self.rows)}")
            return
        by_token: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_token.setdefault(record.get("last_name", ""), []).append(record)
        for row, cells in zip(self.rows, sheet, strict=True):
            self._check_row(row, cells, by_token.get(row.last_name, []))
        wanted = {r.last_name for r in self.rows if r.acceptable()}
        extra = sorted(set(by_token) - wanted)
        if extra:
            self.violation("forged", f"records nobody meant: {extra}")

    def _check_ids(self, sheet: list[dict[str, Any]], records: list[dict[str, Any]]) -> None:
        ids = [r["id"] for r in records]
        if len(ids) != len(set(ids)):
            self.violation("ids", "two records share an id")
        tokens = [r.get("last_name") for r in records]
        dupes = sorted({t for t in tokens if tokens.count(t) > 1})
        if dupes:
            self.violation("duplicated", f"one row became several records: {dupes}")

    def _check_row(self, row: Row, cells: dict[str, Any], records: list[dict[str, Any]]) -> None:
        if cells.get("Last name") != row.last_name:
            self.violation("order", f"row {cells['_row']} shows {cells.get('Last name')}, expected {row.last_name}")
            return
        for name in row.bad:
            header = self.email_header if name == "email" else HEADERS[name]
            if cells.get(header) != row.cells[name]:
                self.violation("kept-as-typed", f"{row.last_name} {header}: {cells.get(header)!r}")
        flagged = bool(cells.get("Errors"))
        if row.copy_of is not None:
            return  # a copy: checked with its original
        copied = any(r.copy_of is row for r in self.rows)
        if (bool(row.bad) != flagged) and not copied:
            self.violation("errors-cell", f"{row.last_name}: bad={sorted(row.bad)} Errors={cells.get('Errors')!r}")
        acceptable = row.acceptable()
        if not acceptable:
            if records:
                self.violation("forged", f"{row.last_name} has a record though it was never valid")
            return
        if not records and row.stored is None:
            return  # valid only during syncs that did not finish: a record may exist, or not
        if len(records) != 1:
            self.violation("lost", f"{row.last_name} has {len(records)} records")
            return
        record = records[0]
        data = {k: v for k, v in record.items() if k in row.cells and v is not None}
        if data not in acceptable:
            self.violation("edit-lost", f"{row.last_name}: store {data} != meant {acceptable}")
        held_new = row.bad and not cells.get("MRN")
        if cells.get("MRN") != record["id"] and not held_new:
            self.violation("id", f"{row.last_name}: sheet id {cells.get('MRN')!r}, record {record['id']}")
