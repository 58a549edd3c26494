"""The budget plugin through the sheet: budget vs actual with revenue from paid claims and the
net, the share-of-budget alert, bills due and overdue, duplicate invoices, recurring bills."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from .conftest import BACKENDS, PATIENTS, PROVIDERS, Clinic
from .duty_clinic import cells, duty_clinic, on, open_alerts, run
from .test_plugin_billing import claim_row

TODAY = dt.date(2026, 3, 16)
ENTITIES = ["provider", "patient", "claim"]


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def clinic(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Clinic]:
    with duty_clinic(tmp_path, "budget", TODAY, entities=ENTITIES, extra=getattr(request, "param", "")) as c:
        yield c


def budget(category: str, amount: str, month: str = "2026-03-01") -> dict[str, Any]:
    return {"Category": category, "Month": month, "Amount": amount}


def bill(vendor: str, amount: str, date: dt.date = TODAY, **cells: Any) -> dict[str, Any]:
    titles = {"category": "Category", "invoice": "Invoice #", "due": "Due", "paid": "Paid", "repeats": "Repeats"}
    row = {"Date": date.isoformat(), "Vendor": vendor, "Amount": amount}
    return row | {titles[k]: v.isoformat() if isinstance(v, dt.date) else v for k, v in cells.items()}


def alerts(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return open_alerts(clinic, "budget")


def money(cell: Any) -> Decimal:
    return Decimal(str(cell).replace("$", "").replace(",", ""))


# --------------------------------------------------------------------------- budget vs actual, on every backend


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_budget_vs_actual_and_net_by_month_on_every_backend(tmp_path: Path, backend: str) -> None:
    with duty_clinic(tmp_path, "budget", TODAY, backend=backend, entities=ENTITIES) as clinic:
        clinic.sheet.append("Providers", PROVIDERS)
        clinic.sheet.append("Patients", PATIENTS[:1])
        clinic.sheet.append("Budget", [budget("Rent", "4000.00"), budget("Medical supplies", "1500.00")])
        clinic.sheet.append(
            "Expenses",
            [
                bill("Maple St Realty", "4000.00", day(-15), category="Rent"),
                bill("McKesson", "900.00", day(-3), category="medical  SUPPLIES"),
                bill("McKesson", "250.00", day(-1), category="Medical supplies"),
                bill("Staples", "80.00", day(-2)),
            ],
        )
        clinic.sheet.append(
            "Claims",
            [
                claim_row(
                    date_of_service=day(-20), status="paid", submitted=day(-18), paid_amount="120.00", paid_on=day(-5)
                ),
                claim_row(
                    date_of_service=day(-20), status="paid", submitted=day(-18), paid_amount="95.50", paid_on=day(-4)
                ),
                claim_row(
                    date_of_service=day(-40), status="paid", submitted=day(-38), paid_amount="60.00", paid_on=day(-30)
                ),
            ],
        )
        report = clinic.sync()
        assert report.entities["claim"].errors == [], report.entities["claim"].errors
        march = [r for r in cells(clinic.sheet.rows("Budget vs actual")) if r["Month"] == "2026-03"]
        got = {r["Category"]: r for r in march}
        assert list(got) == ["(uncategorised)", "Medical supplies", "Rent", "Total"]
        supplies = got["Medical supplies"]
        assert (money(supplies["Budget"]), money(supplies["Actual"]), money(supplies["Variance"])) == (
            Decimal("1500.00"),
            Decimal("1150.00"),
            Decimal("350.00"),
        )
        assert float(supplies["Used %"]) == 76.7
        total = got["Total"]
        assert (money(total["Actual"]), money(total["Revenue (paid claims)"]), money(total["Net"])) == (
            Decimal("5230.00"),
            Decimal("215.50"),
            Decimal("-5014.50"),
        )
        february = [r for r in cells(clinic.sheet.rows("Budget vs actual")) if r["Month"] == "2026-02"]
        assert money(february[-1]["Revenue (paid claims)"]) == Decimal("60.00")


# --------------------------------------------------------------------------- the share of a month's budget


def test_a_category_is_flagged_near_its_budget_then_over_it(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Budget", [budget("Medical supplies", "1000.00"), budget("Medical supplies", "10.00", "2026-02-01")]
    )
    clinic.sheet.append(
        "Expenses",
        [
            bill("McKesson", "899.00", category="Medical supplies"),
            bill("Henry Schein", "50.00", dt.date(2026, 2, 3), category="Medical supplies"),
        ],
    )
    clinic.sync()
    assert alerts(clinic) == {}  # 89.9 % this month; February's overspend is history
    clinic.sheet.edit("Expenses", 2, "Amount", "900.00")
    clinic.sync()
    [(key, alert)] = alerts(clinic).items()
    assert key == "budget:2026-03:medical-supplies:near"
    assert alert["message"] == "Medical supplies has used 90% of its budget for 2026-03: $900.00 spent of $1,000.00."
    clinic.sheet.append("Expenses", [bill("McKesson", "125.50", category="medical supplies")])
    clinic.sync()
    [(key, alert)] = alerts(clinic).items()
    assert key == "budget:2026-03:medical-supplies:over"
    assert alert["message"] == "Medical supplies is over budget by $25.50 for 2026-03: $1,025.50 spent of $1,000.00."


@pytest.mark.parametrize("clinic", ["\n[plugins.budget]\nwarn_share = 0.5\n"], indirect=True)
def test_the_share_is_a_setting(clinic: Clinic) -> None:
    clinic.sheet.append("Budget", [budget("Utilities", "600.00")])
    clinic.sheet.append("Expenses", [bill("Eversource", "300.00", category="Utilities")])
    clinic.sync()
    assert list(alerts(clinic)) == ["budget:2026-03:utilities:near"]


# --------------------------------------------------------------------------- bills


def test_unpaid_bills_are_announced_when_due_and_flagged_when_overdue(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Expenses",
        [
            bill("Eversource", "312.40", day(-20), due=day(7)),
            bill("Comcast Business", "189.99", day(-40), due=day(-1)),
            bill("Verizon", "99.00", day(-40), due=day(-1), paid=day(-2)),
            bill("Stericycle", "210.00", day(-5), due=day(8)),
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["budget:EXP000001:due", "budget:EXP000002:overdue"]
    assert (
        found["budget:EXP000001:due"]["message"]
        == "The bill EXP000001 from Eversource for $312.40 is due on 2026-03-23 (in 7 days)."
    )
    assert found["budget:EXP000002:overdue"]["message"] == (
        "The bill EXP000002 from Comcast Business for $189.99 was due on 2026-03-15 (1 day ago) and is not marked paid."
    )
    clinic.sheet.edit("Expenses", 3, "Paid", TODAY.isoformat())
    clinic.sync()
    assert list(alerts(clinic)) == ["budget:EXP000001:due"]


def test_an_invoice_entered_twice_is_flagged_on_the_later_row(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Expenses",
        [
            bill("Henry Schein", "412.00", day(-9), invoice="INV-2231"),
            bill("henry  schein", "412.00", day(-2), invoice="inv-2231"),
            bill("Staples", "64.10", day(-3)),
            bill("Staples", "64.10", day(-3)),
            bill("Staples", "64.10", day(-4)),
            bill("Henry Schein", "412.00", day(-9), invoice="INV-2232"),
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["budget:EXP000002:duplicate", "budget:EXP000004:duplicate"]
    assert found["budget:EXP000002:duplicate"]["message"] == (
        "The bill EXP000002 from henry  schein looks entered twice: the same vendor and invoice number inv-2231 as "
        "EXP000001. Pay it once; delete the extra row."
    )
    assert (
        "the same vendor, amount $64.10 and date, and no invoice number as EXP000003"
        in found["budget:EXP000004:duplicate"]["message"]
    )


def test_a_recurring_bill_not_entered_is_flagged_until_it_is(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Expenses",
        [
            bill("Maple St Realty", "4000.00", dt.date(2026, 1, 1), category="Rent", repeats="monthly"),
            bill("Maple St Realty", "4000.00", dt.date(2026, 2, 1), category="Rent", repeats="monthly"),
            bill("Olympus Leasing", "850.00", dt.date(2026, 1, 10), repeats="quarterly"),
            bill("Old Copier Co", "120.00", dt.date(2025, 12, 1)),
        ],
    )
    with on(dt.date(2026, 3, 6)):
        clinic.sync()
        assert alerts(clinic) == {}  # 1 March + 5 days' grace
    with on(dt.date(2026, 3, 7)):
        clinic.sync()
        [(key, alert)] = alerts(clinic).items()
    assert key == "budget:EXP000002:next-missing"
    assert alert["message"] == (
        "The monthly bill from Maple St Realty expected about 2026-03-01 is not entered (the last one is EXP000002, "
        "dated 2026-02-01). Enter it, or clear Repeats on EXP000002 if it has stopped."
    )
    with on(dt.date(2026, 3, 7)):
        clinic.sheet.append(
            "Expenses", [bill("Maple St Realty", "4000.00", dt.date(2026, 3, 2), category="Rent", repeats="monthly")]
        )
        assert clinic.sync().alerts_resolved == 1


# --------------------------------------------------------------------------- the command line


def test_budget_and_net_in_status_on_the_command_line(clinic: Clinic) -> None:
    clinic.sheet.append("Budget", [budget("Rent", "4000.00")])
    clinic.sheet.append("Expenses", [bill("Maple St Realty", "4000.00", category="Rent")])
    assert run("sync", "-p", str(clinic.folder))[0] == 0
    _, out = run("status", "-p", str(clinic.folder), "--json")
    sections = {s["title"]: s["rows"] for s in json.loads(out)["sections"]}
    assert sections["Budget and net by month"] == [
        ["2026-01", "0.00", "0.00", "0.00", "0.00"],
        ["2026-02", "0.00", "0.00", "0.00", "0.00"],
        ["2026-03", "4000.00", "4000.00", "0.00", "-4000.00"],
    ]
