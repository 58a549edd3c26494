"""One sheet row → a typed record, or the reasons it cannot be one.

Coercion turns each cell into its canonical value; the compiled schema check confirms the
record; references are checked against records that exist; plugins add their own checks.
Every problem names the cell; a row with a problem is held back whole, so an invalid row
never overwrites the last valid version of its record.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final

from fastjsonschema import JsonSchemaValueException

from clinicops.core.coercion import CellError, CoerceContext, coercer_for, kind_of
from clinicops.core.coercion.cell_text import MAX_CELL_CHARS, check_cell_text
from clinicops.core.problems import CellProblem, FieldProblem, display_value
from clinicops.core.references import Resolution, describe
from clinicops.core.schema_registry import Entity, Field


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_id(value: Any) -> str:
    """An id cell as text: ``12.0`` from a reader is ``12``, whitespace trimmed."""
    if isinstance(value, str):  # nearly every id cell
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


try:  # CPython's own MD5, the one hashlib falls back on: the same digests without an OpenSSL
    # context made and freed per call, a tenth of the hashing of every row of a re-synced tab
    from _md5 import md5 as _md5
except ImportError:  # an interpreter built without it
    _md5 = functools.partial(hashlib.md5, usedforsecurity=False)


def content_hash(values: list[Any]) -> str:
    """A stable fingerprint of a row's cells, to skip rows nobody touched since the last sync.

    It is exact about representation (``12`` and ``12.0`` differ): a row that merely looks
    different is coerced again and found unchanged, which costs time, never data.
    """
    return _md5(repr(values).encode("utf-8")).hexdigest()


MEMO_LIMIT: Final = 4096
"""How many distinct cell values a column remembers.

Columns such as city, state, payer, sex or ZIP code hold a few values over and over; a
column of values that never repeat (email addresses) stops growing its memo here, so
parsing a large table keeps the memos small."""

DATE_MEMO_LIMIT: Final = 40_000
"""How many distinct cells a date column remembers: a century of days (36,525), so a column of
birth dates or dates of service, which repeat each day many times over, is read once per day."""

_REMEMBERED: Final = frozenset({str, date})
"""The kinds of cell a memo keeps: text, and the dates readers give for date cells (a column of
dates of service holds each day many times). Numbers are not kept: ``1``, ``1.0`` and ``True``
are one key to a dictionary, yet a column may read them differently."""

_MISS: Final = object()
"""What a memo look-up gives for a cell this parser has not read before."""


class RowParser:
    """Parses the rows of one entity's table; build once per table and sync.

    Each column remembers the cells it has read and what each became, so a value seen
    before (a city, a payer, a ZIP code) costs one dictionary look-up. Only a value that
    passed every check of its own (what any cell can hold, coercion, the field's
    constraints) is remembered: each depends on the text, the column's schema and this
    parser's context alone, so the memos belong to one parser (one practice's table in one
    sync), and a bad cell is read, and reported, on every row that holds it.
    """

    def __init__(
        self,
        entity: Entity,
        sheet: str,
        ctx: CoerceContext,
        ref_exists: Callable[[str, str], bool],
        plugin_checks: Callable[[str, dict[str, Any]], list[FieldProblem]] | None = None,
        *,
        unknown: frozenset[str] = frozenset(),
        headers: Mapping[str, str] | None = None,
        resolve_name: Callable[[str, str], Resolution] | None = None,
    ) -> None:
        """``unknown``: fields whose column is gone (never "required" here); ``headers``: each
        field's column as the tab names it, for messages (default: the field's title)."""
        self.entity = entity
        self.resolve_name = resolve_name
        self.unknown = unknown
        self.headers = {f.name: f.title for f in entity.fields} | dict(headers or {})
        self.sheet = sheet
        self.ref_exists = ref_exists
        self.plugin_checks = plugin_checks
        key = self.key = entity.primary_key
        self.fields = [f for f in entity.fields if f.name != key]
        checks = entity.constraint_checks
        # Decided once per table, for each column: its position in the row, its field, its memo's
        # look-up, and what reads a cell the memo does not know (coercer, memo, memo limit,
        # constraint check). A blank cell is in every memo from the start, as no value.
        columns = []
        for i, f in enumerate(entity.fields):
            if f.name != key:
                memo: dict[Any, Any] = {"": None}
                coerce = coercer_for(f.schema, ctx, cell_checked=False)
                columns.append((i, f.name, memo.get, (coerce, memo, _memo_limit(f), checks.get(f.name))))
        self.columns = tuple(columns)
        self.ref_fields = [f for f in self.fields if f.ref]
        self.ref_names = frozenset(f.name for f in self.ref_fields)
        self.required = entity.required - {key}
        self.id_check = checks.get(key)

    def parse(self, number: int, record_id: str, cells: list[Any]) -> tuple[dict[str, Any], Sequence[CellProblem]]:
        """``cells`` are the row's raw cells in entity field order; returns the record and its problems.

        Every bad cell of the row is reported at once: a cell that cannot be read, then
        references (a name that fits one record becomes its id), the schema's checks and
        plugins' checks on the cells that could — each cell named once, by the first check
        it fails.
        """
        record: dict[str, Any] = {self.key: record_id} if record_id else {}
        failed: list[tuple[str, Any, CellError]] = []
        settled = True  # every value read meets its field's constraints
        miss = _MISS
        for i, name, known, reader in self.columns:
            raw = cells[i]
            try:
                value = known(raw, miss)
            except TypeError:  # a cell no memo can hold (a list, from some backends)
                value = miss
            if value is miss:
                coerce, memo, limit, check = reader
                try:
                    if isinstance(raw, str):
                        # What no cell can hold: two scans in C clear the common cell, the full check the rest.
                        if not raw.isprintable() or "_x" in raw or len(raw) >= MAX_CELL_CHARS:
                            check_cell_text(raw)
                    elif raw is None:
                        continue
                    value = coerce(raw)
                except CellError as err:
                    failed.append((name, raw, err))
                    continue
                if value is not None and check is not None and not _passes(check, value):
                    settled = False
                elif raw.__class__ in _REMEMBERED and len(memo) < limit:
                    memo[raw] = value
            if value is not None:
                record[name] = value
        if (
            failed
            or not settled
            or self.plugin_checks is not None
            or not record.keys().isdisjoint(self.ref_names)
            or not self.required <= record.keys()
            or (self.id_check is not None and not _passes(self.id_check, record_id or "new"))
        ):
            return record, self._problems(number, record_id, record, cells, failed)
        return record, ()

    def _problems(
        self,
        number: int,
        record_id: str,
        record: dict[str, Any],
        cells: list[Any],
        failed: list[tuple[str, Any, CellError]],
    ) -> list[CellProblem]:
        """The row's problems, each cell named once, by the first check it fails (``record``
        takes the id of a record a reference names)."""
        by_name = self.entity.by_name
        problems = [self._problem(number, by_name[name], raw, err.problem, err.expected) for name, raw, err in failed]
        bad = {name for name, _, _ in failed}
        problems.extend(self._fresh(self._reference_problems(number, record), bad))
        check = record if record_id else {**record, self.entity.primary_key: "new"}
        try:
            self.entity.fast_validate(check)
        except JsonSchemaValueException:  # the full validator gives the details next
            problems.extend(self._fresh(self._schema_problems(number, check, self._by_name(cells)), bad))
        if self.plugin_checks is not None:
            problems.extend(self._fresh(self._plugin_problems(number, check, cells), bad))
        return problems

    def _fresh(self, found: list[tuple[str, CellProblem]], bad: set[str]) -> list[CellProblem]:
        """Problems of cells not already reported (``bad`` grows with each one kept)."""
        out = []
        for name, problem in found:
            if name not in bad:
                bad.add(name)
                out.append(problem)
        return out

    def _reference_problems(self, number: int, record: dict[str, Any]) -> list[tuple[str, CellProblem]]:
        """References to records that do not exist; a name that fits one record becomes its id."""
        out = []
        for f in self.ref_fields:
            target = f.ref
            value = record.get(f.name)
            if value is None or self.ref_exists(target, value):
                continue
            found = self.resolve_name(target, value) if self.resolve_name is not None else None
            if found is not None and found.record_id is not None:
                record[f.name] = found.record_id
                continue
            if found is None:
                problem_text = f"no {target.replace('_', ' ')} has this id"
                expected = f"the id of an existing {target.replace('_', ' ')}"
            else:
                problem_text, expected = describe(target, found)
            problem = CellProblem(
                self.entity.name,
                self.sheet,
                number,
                self.headers[f.name],
                problem_text,
                expected,
                display_value(value, f.phi),
                "unknown-reference",
            )
            out.append((f.name, problem))
        return out

    def _plugin_problems(self, number: int, check: dict[str, Any], cells: list[Any]) -> list[tuple[str, CellProblem]]:
        assert self.plugin_checks is not None
        values = self._by_name(cells)
        out = []
        for fp in self.plugin_checks(self.entity.name, check):
            f = self.entity.by_name.get(fp.field)
            title = self.headers[f.name] if f else fp.field
            raw = values.get(fp.field)
            problem = CellProblem(
                self.entity.name,
                self.sheet,
                number,
                title,
                fp.problem,
                fp.expected,
                display_value(raw, bool(f and f.phi)),
                "plugin-check",
            )
            out.append((fp.field, problem))
        return out

    def _by_name(self, cells: list[Any]) -> dict[str, Any]:
        return {f.name: cells[i] for i, f in enumerate(self.entity.fields)}

    def _problem(self, number: int, f: Field, raw: Any, problem: str, expected: str) -> CellProblem:
        return CellProblem(
            self.entity.name, self.sheet, number, self.headers[f.name], problem, expected, display_value(raw, f.phi)
        )

    def _schema_problems(
        self, number: int, record: dict[str, Any], values: Mapping[str, Any]
    ) -> list[tuple[str, CellProblem]]:
        out: list[tuple[str, CellProblem]] = []
        for err in self.entity.full_validator.iter_errors(record):
            if err.validator == "required":
                missing = [m for m in err.validator_value if m not in record]
                for name in missing:
                    f = self.entity.by_name.get(name)
                    if f is None or name == self.entity.primary_key or name in self.unknown:
                        continue
                    problem = CellProblem(
                        self.entity.name,
                        self.sheet,
                        number,
                        self.headers[name],
                        "is required",
                        _expected(f),
                        None,
                        "missing-value",
                    )
                    out.append((name, problem))
                continue
            name = str(err.path[0]) if err.path else ""
            f = self.entity.by_name.get(name)
            if f is None:
                continue
            problem = CellProblem(
                self.entity.name,
                self.sheet,
                number,
                self.headers[name],
                _describe(err),
                _expected(f),
                display_value(values.get(name), f.phi),
            )
            out.append((name, problem))
        return out


def _passes(check: Callable[[Any], Any], value: Any) -> bool:
    """Whether ``value`` meets its field's compiled constraints."""
    try:
        check(value)
    except JsonSchemaValueException:
        return False
    return True


def _memo_limit(f: Field) -> int:
    """How many cells a column remembers: none for a list column, whose values are lists that
    records must not share; a century of days for a date column."""
    kind = kind_of(f.schema)
    return 0 if kind == "array" else DATE_MEMO_LIMIT if kind == "date" else MEMO_LIMIT


def _describe(err: Any) -> str:
    kind = err.validator
    if kind == "minimum":
        return f"is below the minimum of {err.validator_value}"
    if kind == "maximum":
        return f"is above the maximum of {err.validator_value}"
    if kind == "maxLength":
        return f"is longer than {err.validator_value} characters"
    if kind == "pattern":
        return "does not have the expected format"
    if kind == "enum":
        return "is not one of the allowed values"
    return "is not valid here"


def _expected(f: Field) -> str:
    s = f.schema
    if f.enum:
        return "one of " + ", ".join(f.enum)
    parts = []
    kind = f.kind
    described = {
        "date": "a date such as 2026-03-04",
        "date-time": "a date and time such as 2026-03-04 14:30",
        "email": "an email address such as name@example.org",
        "phone": "a phone number such as (617) 555-0101",
        "money": "an amount such as 1200.00",
        "npi": "a 10-digit NPI",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "yes or no",
    }
    parts.append(described.get(kind, "text"))
    if "minimum" in s and "maximum" in s:
        parts.append(f"from {s['minimum']} to {s['maximum']}")
    elif "minimum" in s:
        parts.append(f"at least {s['minimum']}")
    elif "maximum" in s:
        parts.append(f"at most {s['maximum']}")
    if "pattern" in s and kind == "string":
        hints = {r"^[A-Z]{2}$": "a two-letter code such as MA", r"^\d{5}(-\d{4})?$": "a ZIP code such as 02134"}
        parts = [hints.get(s["pattern"], f"text matching {s['pattern']}")]
    if "maxLength" in s:
        parts.append(f"up to {s['maxLength']} characters")
    return ", ".join(parts)
