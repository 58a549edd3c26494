"""How many cells a second each column kind coerces, on the inputs syncs really see.

Run: ``python benchmarks/coercion.py [--cells N]``. Prints one row per kind and input
form, then one JSON line for scripts. Two baselines run alongside: ``floor`` (a Python
call that does nothing: the most any per-cell function can reach) and ``library``
(the obvious one-call-per-cell approach: ``strptime``, ``phonenumbers.parse``,
``validate_email``, ``Decimal``), so a figure reads against both.

A sync coerces about 100,000 rows × 14 columns; at 500,000 cells a second that is
under three seconds of coercion.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from email_validator import validate_email

from clinicops.core.coercion import CoerceContext, coercer_for
from clinicops.core.coercion.identifiers import npi_check_digit

ZONE = ZoneInfo("America/New_York")
CTX = CoerceContext(timezone=ZONE, phone_region="US", date_order="MDY", reference_year=2026)

SCHEMAS: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string", "format": "date-time"},
    "phone": {"type": "string", "x-format": "phone"},
    "email": {"type": "string", "format": "email"},
    "money": {"type": "string", "x-format": "money"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "enum": {
        "type": "string",
        "enum": ["scheduled", "confirmed", "checked-in", "completed", "no-show", "cancelled"],
        "x-aliases": {"canceled": "cancelled"},
    },
    "npi": {"type": "string", "x-format": "npi"},
    "code": {"type": "string", "x-format": "code"},
    "list of codes": {"type": "array", "items": {"type": "string", "x-format": "code"}},
}


def _npi(n: int) -> str:
    base = f"1{n:08d}"
    return base + str(npi_check_digit(base))


def inputs(n: int) -> list[tuple[str, str, list[Any]]]:
    """(kind, input form, n distinct-ish cells) for every case measured."""
    days = [date(1940, 1, 1) + timedelta(days=i * 7 % 36500) for i in range(n)]
    moments = [datetime(2026, 1, 5, 8) + timedelta(days=i // 36 % 3000, minutes=15 * (i % 36)) for i in range(n)]
    serial_epoch = datetime(1899, 12, 30)
    domains = ["gmail.com", "yahoo.com", "Example.ORG", "outlook.com", "icloud.com"]
    statuses = ["scheduled", "confirmed", "checked-in", "completed", "no-show", "cancelled"]
    return [
        ("text", "clean str", [f"Patient {i}" for i in range(n)]),
        ("text", "number from reader", [float(10000 + i) for i in range(n)]),
        ("date", "ISO str", [d.isoformat() for d in days]),
        ("date", "M/D/YYYY str", [f"{d.month}/{d.day}/{d.year}" for d in days]),
        ("date", "date object", days),
        ("date", "serial number", [(d - serial_epoch.date()).days for d in days]),
        ("date-time", "canonical UTC str", [f"{m.isoformat()}Z" for m in moments]),
        ("date-time", "local ISO str", [m.strftime("%Y-%m-%d %H:%M") for m in moments]),
        ("date-time", "naive datetime", moments),
        (
            "date-time",
            "serial with fraction",
            [(m - serial_epoch) / timedelta(days=1) for m in moments],
        ),
        (
            "date-time",
            "M/D/YYYY h:mm AM",
            [f"{m.month}/{m.day}/{m.year} {m:%I:%M %p}".replace(" 0", " ") for m in moments],
        ),
        ("phone", "E.164 str", [f"+1617555{i % 10000:04d}" for i in range(n)]),
        ("phone", "(617) 555-0101", [f"(617) 555-{i % 10000:04d}" for i in range(n)]),
        ("phone", "float from reader", [float(f"617555{i % 10000:04d}") for i in range(n)]),
        ("phone", "international", [f"+44 20 7946 {i % 10000:04d}" for i in range(n)]),
        ("email", "plain", [f"patient{i}@{domains[i % 5].lower()}" for i in range(n)]),
        ("email", "mixed case, spaces", [f" Patient{i}@{domains[i % 5]} " for i in range(n)]),
        ("money", "canonical str", [f"{i % 5000}.{i % 100:02d}" for i in range(n)]),
        ("money", "$1,200.50 str", [f"${i % 9 + 1},{i % 1000:03d}.50" for i in range(n)]),
        ("money", "float from reader", [(i % 500000) / 100 for i in range(n)]),
        ("integer", "digit str", [str(i % 500) for i in range(n)]),
        ("integer", "float from reader", [float(i % 500) for i in range(n)]),
        ("number", "decimal str", [f"{i % 5}.{i % 100:02d}" for i in range(n)]),
        ("boolean", "bool", [i % 2 == 0 for i in range(n)]),
        ("boolean", "yes/no str", [("yes", "No", "Y", "n")[i % 4] for i in range(n)]),
        ("enum", "exact member", [statuses[i % 6] for i in range(n)]),
        (
            "enum",
            "loose spelling",
            [("No-Show", " Checked In", "CANCELED")[i % 3] for i in range(n)],
        ),
        ("npi", "str", [_npi(i) for i in range(n)]),
        ("code", "str", [("99213", "E11.9", "g0008")[i % 3] for i in range(n)]),
        ("list of codes", "str", ["99213, 99214" for _ in range(n)]),
    ]


ROW_SCHEMAS: list[dict[str, Any]] = [
    {"type": "string"},
    {"type": "string"},
    {"type": "string"},
    {"type": "string", "format": "date"},
    {
        "type": "string",
        "enum": ["female", "male", "other", "unknown"],
        "x-aliases": {"f": "female", "m": "male", "u": "unknown"},
    },
    {"type": "string", "x-format": "phone"},
    {"type": "string", "format": "email"},
    {"type": "string"},
    {"type": "string"},
    {"type": "string"},
    {"type": "string"},
    {"type": "string", "enum": ["sms", "email", "phone", "mail"], "x-aliases": {"text": "sms"}},
    {"type": "string", "format": "date-time"},
    SCHEMAS["enum"],
]
"""A 14-column sheet as a sync reads it: patient details and their next appointment."""


def rows(n: int) -> list[list[Any]]:
    """``n`` rows of that sheet with what staff and readers put in the cells."""
    serial_epoch = datetime(1899, 12, 30)
    return [
        [
            f"P{i:06d}",
            ("Ada", "Grace", "Alan")[i % 3],
            f" Lovelace{i} ",
            (f"{i % 12 + 1}/{i % 28 + 1}/19{40 + i % 60}", (i % 30000) + 10000)[i % 2],
            ("F", "male", "Female", "u")[i % 4],
            (f"(617) 555-{i % 10000:04d}", f"+1617555{i % 10000:04d}")[i % 2],
            f"patient{i}@{('gmail.com', 'Yahoo.com', 'example.org')[i % 3]}",
            f"{i} Main St",
            "Boston",
            "MA",
            f"0{2100 + i % 900}",
            ("text", "email", "Phone", "mail")[i % 4],
            (datetime(2026, 1, 5, 8) + timedelta(days=i // 36 % 3000, minutes=15 * (i % 36)) - serial_epoch)
            / timedelta(days=1),
            ("Scheduled", "confirmed", "No-Show", "canceled")[i % 4],
        ]
        for i in range(n)
    ]


def row_rate(n: int, repeats: int) -> float:
    """Cells a second over whole rows, one coercer per column built once."""
    coercers = [coercer_for(schema, CTX) for schema in ROW_SCHEMAS]
    sheet = rows(n)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for row in sheet:
            [coerce(cell) for coerce, cell in zip(coercers, row, strict=True)]
        best = min(best, time.perf_counter() - start)
    return n * len(ROW_SCHEMAS) / best


def baselines() -> dict[str, tuple[str, Callable[[Any], Any]]]:
    """The one-library-call-per-cell way to do a kind, keyed by the kind it compares with."""

    def date_strptime(cell: str) -> str:
        return datetime.strptime(cell, "%Y-%m-%d").date().isoformat()

    def datetime_strptime(cell: str) -> str:
        local = datetime.strptime(cell, "%Y-%m-%d %H:%M").replace(tzinfo=ZONE)
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def phone_parse(cell: str) -> str:
        number = phonenumbers.parse(cell, "US")
        if not phonenumbers.is_valid_number(number):
            raise ValueError
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def email_validate(cell: str) -> str:
        return validate_email(cell.strip(), check_deliverability=False).normalized

    def money_decimal(cell: str) -> str:
        return str(Decimal(cell.replace("$", "").replace(",", "")).quantize(Decimal("0.01")))

    return {
        "date": ("ISO str", date_strptime),
        "date-time": ("local ISO str", datetime_strptime),
        "phone": ("(617) 555-0101", phone_parse),
        "email": ("plain", email_validate),
        "money": ("$1,200.50 str", money_decimal),
    }


def rate(function: Callable[[Any], Any], cells: Sequence[Any], repeats: int) -> float:
    """Cells a second, best of ``repeats`` passes (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for cell in cells:
            function(cell)
        best = min(best, time.perf_counter() - start)
    return len(cells) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50_000, help="cells per case")
    parser.add_argument("--repeats", type=int, default=3, help="passes per case; best counts")
    args = parser.parse_args()

    cases = inputs(args.cells)
    compare = baselines()
    floor = rate(lambda cell: cell, cases[0][2], args.repeats)
    results: list[dict[str, Any]] = []
    print(f"{'kind':<14} {'input':<22} {'cells/s':>12} {'library/s':>12}")
    print(f"{'floor':<14} {'identity call':<22} {floor:>12,.0f}")
    for kind, form, cells in cases:
        coerce = coercer_for(SCHEMAS[kind], CTX)
        measured = rate(coerce, cells, args.repeats)
        library = None
        if kind in compare and compare[kind][0] == form:
            library = rate(compare[kind][1], cells, args.repeats)
        row = {"kind": kind, "input": form, "cells_per_s": round(measured)}
        if library is not None:
            row["library_cells_per_s"] = round(library)
        results.append(row)
        shown = f"{library:>12,.0f}" if library is not None else f"{'':>12}"
        print(f"{kind:<14} {form:<22} {measured:>12,.0f} {shown}")
    sheet = row_rate(args.cells // 5, args.repeats)
    print(f"{'14-column row':<14} {'mixed, as read':<22} {sheet:>12,.0f}")
    print(
        json.dumps(
            {
                "benchmark": "coercion",
                "python": platform.python_version(),
                "floor_cells_per_s": round(floor),
                "row_cells_per_s": round(sheet),
                "cases": results,
            }
        )
    )


if __name__ == "__main__":
    main()
