"""The budget plugin's tabs: Budget and Expenses, kept by staff, and Budget vs actual, rebuilt every sync."""

from __future__ import annotations

from typing import Any

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string"}
MONEY = {"type": "string", "x-format": "money", "pattern": r"^-?\d+\.\d{2}$"}
PERIODS = ["monthly", "quarterly", "annual"]


def _f(kind: dict[str, Any], title: str, **extra: Any) -> dict[str, Any]:
    return {**kind, "x-title": title, **extra}


def _owned(kind: dict[str, Any], title: str) -> dict[str, Any]:
    return {**kind, "x-title": title, "x-owner": "plugin"}


def _id() -> dict[str, Any]:
    return _f(TEXT, "ID", description="Assigned by clinicops when left blank; never reuse or edit it.")


def budget_line() -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": "budget_line",
        "description": "The practice's budget: an amount per category and month.",
        "type": "object",
        "x-title": "Budget",
        "x-tab-aliases": ["Budgets", "Monthly budget"],
        "x-primary-key": "id",
        "x-id-prefix": "BUD",
        "properties": {
            "id": _id(),
            "category": _f(TEXT, "Category"),
            "month": _f(DATE, "Month", description="Any day of the month; the month is what counts."),
            "amount": _f(MONEY, "Amount", **{"x-header-aliases": ["Budget", "Budgeted"]}),
        },
        "required": ["id", "category", "month", "amount"],
        "additionalProperties": False,
    }


def expense() -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": "expense",
        "description": "Bills and expenses: what was spent, on what, what is still to pay.",
        "type": "object",
        "x-title": "Expenses",
        "x-tab-aliases": ["Bills", "Expense log", "Payables"],
        "x-primary-key": "id",
        "x-id-prefix": "EXP",
        "properties": {
            "id": _id(),
            "date": _f(DATE, "Date", **{"x-header-aliases": ["Invoice date", "Bill date"]}),
            "vendor": _f(TEXT, "Vendor", **{"x-header-aliases": ["Payee", "Supplier"]}),
            "category": _f(TEXT, "Category"),
            "amount": _f(MONEY, "Amount", **{"x-header-aliases": ["Total", "Amount due"]}),
            "invoice_number": _f(
                TEXT, "Invoice #", **{"x-identifier": True, "x-header-aliases": ["Invoice", "Invoice number"]}
            ),
            "due_date": _f(DATE, "Due", **{"x-header-aliases": ["Due date"]}),
            "paid_date": _f(DATE, "Paid", **{"x-header-aliases": ["Paid on", "Date paid"]}),
            "method": _f(
                TEXT,
                "Method",
                enum=["check", "ach", "card", "cash", "wire", "autopay"],
                **{"x-aliases": {"credit card": "card", "bank transfer": "ach", "eft": "ach"}},
            ),
            "repeats": _f(
                TEXT, "Repeats", enum=PERIODS, **{"x-aliases": {"yearly": "annual", "monthly bill": "monthly"}}
            ),
        },
        "required": ["id", "date", "vendor", "amount"],
        "additionalProperties": False,
    }


def budget_month() -> dict[str, Any]:
    number = {"type": "number"}
    return {
        "$schema": SCHEMA,
        "title": "budget_month",
        "description": "Budget against spending per category and month, with revenue and net; rebuilt every sync.",
        "type": "object",
        "x-title": "Budget vs actual",
        "x-primary-key": "id",
        "x-id-prefix": "BVA",
        "properties": {
            "id": _owned(TEXT, "Line"),
            "month": _owned(TEXT, "Month"),
            "category": _owned(TEXT, "Category"),
            "budget": _owned(MONEY, "Budget"),
            "actual": _owned(MONEY, "Actual"),
            "variance": _owned(MONEY, "Variance"),
            "used": _owned(number, "Used %"),
            "revenue": _owned(MONEY, "Revenue (paid claims)"),
            "net": _owned(MONEY, "Net"),
        },
        "required": ["id", "month", "category"],
        "additionalProperties": False,
    }
