"""A front office's own workbook, shaped the way offices keep one (synthetic, fixed seed).

Tabs ``Doctors``, ``Pt List``, ``Schedule``, ``Billing`` and ``Supplies``; headers like
``Last, First``, ``DOB``, ``Cell``, ``Ins``, ``Dr``, ``Appt Date`` + ``Time``, ``Qty``, ``Exp``;
a staff column of their own (``Notes``), blank lines, a few rows with a mistake, and a
totals row at the bottom of Billing and Supplies. ``VALID`` counts the rows a first sync
must import per entity; every other non-blank row is held back.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import openpyxl
from faker import Faker


def _npi(first_nine: str) -> str:
    """An NPI with its Luhn check digit (computed over 80840 and the first nine digits)."""
    total = 0
    for i, d in enumerate(int(c) for c in reversed("80840" + first_nine)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return first_nine + str((10 - total % 10) % 10)


DOCTORS = [
    ("Alice", "Nguyen", _npi("123456789")),
    ("Bao", "Tran", _npi("124531959")),
    ("Carmen", "Ortiz", _npi("141790447")),
]
PAYERS = ["Aetna", "Blue Cross", "Cigna", "Medicare", "UnitedHealthcare"]
CODES = ["I10", "E11.9", "J06.9", "K21.9", "Z00.00"]


def office_tabs(patients: int = 240, visits: int = 160, claims: int = 90, supplies: int = 30) -> dict[str, list]:
    """Each tab as a grid: the header row, then rows as staff typed them (None for a blank cell)."""
    fake = Faker("en_US")
    fake.seed_instance(20261207)
    rnd = random.Random(20261207)
    names: list[tuple[str, str]] = []
    while len(names) < patients:
        name = (fake.first_name(), fake.last_name())
        if name not in names:
            names.append(name)
    doctors = [["First", "Last", "NPI"], *([f, last, npi] for f, last, npi in DOCTORS)]
    pt = [["Last, First", "DOB", "Cell", "Email", "Ins", "Dr", "Notes"]]
    for i, (first, last) in enumerate(names):
        dob = fake.date_of_birth(minimum_age=1, maximum_age=95)
        pt.append(
            [
                f"{last}, {first}",
                "13/45/1980" if i in (17, 101) else dob.strftime("%m/%d/%Y"),
                fake.numerify("(617) 555-####"),
                f"{first.lower()}.{last.lower()}@example.org",
                rnd.choice(PAYERS),
                f"Dr. {rnd.choice(DOCTORS)[1]}",
                "call after 3" if i % 9 == 0 else None,
            ]
        )
        if i in (60, 61, 150):
            pt.append([None] * 7)
    good = [n for i, n in enumerate(names) if i not in (17, 101)]
    schedule = [["Pt", "Dr", "Appt Date", "Time", "Status"]]
    day = dt.date(2026, 12, 1)
    for i in range(visits):
        last, first = good[i % len(good)][1], good[i % len(good)][0]
        when = day + dt.timedelta(days=i // 12)
        schedule.append(
            [
                f"{first} {last}" if i % 4 == 0 else f"{last}, {first}",
                f"Dr. {DOCTORS[i % 3][1]}",
                when.strftime("%m/%d/%Y"),
                dt.time(8 + i % 9, 30 * (i % 2)).strftime("%I:%M %p").lstrip("0"),
                "Pending" if i == 33 else rnd.choice(["Scheduled", "Confirmed"]),
            ]
        )
    billing = [["Pt", "Dr", "DOS", "CPT", "Dx", "Ins", "Charge", "Status"]]
    total = 0.0
    for i in range(claims):
        first, last = good[i]
        charge = float(rnd.choice([95, 140, 180, 225]))
        total += charge
        billing.append(
            [
                f"{last}, {first}",
                f"Dr. {DOCTORS[i % 3][1]}",
                (day - dt.timedelta(days=i % 20)).strftime("%m/%d/%Y"),
                rnd.choice(["99213", "99214", "99396"]),
                rnd.choice(CODES),
                rnd.choice(PAYERS),
                "n/a" if i == 40 else f"${charge:,.2f}",
                rnd.choice(["draft", "submitted", "paid"]),
            ]
        )
    billing += [[None] * 8, ["Total", None, None, None, None, None, f"${total:,.2f}", None]]
    stock = [["Item", "Category", "Qty", "Exp", "Vendor"]]
    qty = 0
    for i in range(supplies):
        count = rnd.randint(0, 40)
        qty += count
        stock.append(
            [
                f"{fake.word().capitalize()} {rnd.choice(['gloves', 'swabs', 'syringes', 'gauze'])} #{i + 1}",
                rnd.choice(["medical", "lab", "office"]),
                count,
                (day + dt.timedelta(days=30 * (i + 1))).strftime("%m/%d/%Y"),
                rnd.choice(["Henry Schein", "McKesson", "Medline"]),
            ]
        )
    stock += [[None] * 5, ["Total", None, qty, None, None]]
    return {"Doctors": doctors, "Pt List": pt, "Schedule": schedule, "Billing": billing, "Supplies": stock}


def valid_counts(tabs: dict[str, list]) -> dict[str, int]:
    """Rows a first sync imports: every non-blank row but the mistakes and the totals rows."""
    rows = cells(tabs)
    mistakes = {"13/45/1980", "Pending", "n/a", "Total"}

    def good(title: str) -> int:
        return sum(1 for r in rows[title][1:] if not mistakes & {v for v in r if isinstance(v, str)})

    return {
        "provider": good("Doctors"),
        "patient": good("Pt List"),
        "appointment": good("Schedule"),
        "claim": good("Billing"),
        "inventory_item": good("Supplies"),
    }


def held_counts(tabs: dict[str, list]) -> dict[str, int]:
    rows = cells(tabs)
    valid = valid_counts(tabs)
    entity = {"Doctors": "provider", "Pt List": "patient", "Schedule": "appointment", "Billing": "claim"}
    entity["Supplies"] = "inventory_item"
    return {entity[t]: len(r) - 1 - valid[entity[t]] for t, r in rows.items()}


def write_workbook(path: Path, tabs: dict[str, list]) -> None:
    """The workbook as Excel would save it: text typed as text, numbers as numbers."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in tabs.items():
        ws = book.create_sheet(title)
        for r, row in enumerate(grid, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    cell = ws.cell(r, c, value)
                    if isinstance(value, str):
                        cell.data_type = "s"
    book.save(path)


def cells(tabs: dict[str, list]) -> dict[str, list[list[Any]]]:
    """Every tab's non-empty rows, for comparing a workbook before and after a sync."""
    return {t: [r for r in g if any(v not in (None, "") for v in r)] for t, g in tabs.items()}
