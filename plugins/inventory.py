"""Inventory alerts: reorder what is running low, pull what has expired, use first what expires soon.

**Items and lots.** Each row of the Inventory sheet is a lot of an item (or the item itself,
when it has no lots). Rows with the same name (any case or spacing) are one item: their
stock adds up, and its reorder point, par level, pack size, vendor and unit cost are taken
from the first of its rows (by SKU) that has each, so keep them the same on every lot row.
The item's alerts and order line carry the SKU of that first row.

**Reorder.** An item with a reorder point is low when its *usable* stock (``On hand`` of
lots that have not expired) is at or below that point: ``INV…:reorder`` (warning), or
``INV…:out-of-stock`` (critical) when nothing usable is left, so the key changes when stock
runs out. Units in expired lots are not counted (they must be pulled anyway), and the
message says how many there are. The suggested quantity brings usable stock back up to the
par level, rounded *up* to whole vendor packs (``Pack size`` units each); an item without a
par level is flagged but gets no suggestion, and no reorder point means no reorder alert.

**Expiry, per lot with stock on hand.** ``INV…:lot-L:expired`` (critical) from the day after
its expiry date: pull it and do not use it. ``INV…:lot-L:expires-within-60d`` (warning)
within ``expiry_warn_days`` of its expiry date, so it is used first or returned while it
still can be. Vaccines (category ``vaccine``) are warned about earlier,
``vaccine_expiry_warn_days`` (90) ahead, which leaves time to use short-dated doses at
scheduled visits or to transfer them, as vaccine programs ask. A lot with nothing on hand
raises nothing; a row without a lot number is keyed by its SKU alone.

**Opened multi-dose vials.** A lot with an ``Opened`` date (the day its vial was first
punctured) has a beyond-use date: ``opened_use_days`` (28) days after opening, or the number
of days the item's own ``Days after opening`` states (the manufacturer's package insert
decides: some vaccines allow fewer days, some none beyond the expiry). The rule comes from
the CDC (Injection Safety, "Questions about multi-dose vials": an opened or punctured vial is
dated and discarded within 28 days unless the manufacturer specifies a different date),
USP <797>, and the CDC Vaccine Storage and Handling Toolkit and immunize.org, which tell
staff to write the beyond-use date on the vial and never use it past the earlier of that
date and the expiry. The lot's use-by date is therefore the earlier of the two:
``INV…:lot-L:past-beyond-use`` (critical) the day after it, ``INV…:lot-L:beyond-use-within-Nd``
(warning) within ``opened_warn_days`` of it, and the lot's doses stop counting as usable stock
from then on. When the expiry comes first, the expiry alerts above speak instead.

**Month and year.** An expiry typed as a month and year (``12/2026``, ``Dec 2026``,
``2026-12``) means the last day of that month (CDC Vaccine Storage and Handling Toolkit);
the column reads it so (``x-month-year`` in the item's schema).

**The ``Purchase order`` tab** is the plugin's own table, rebuilt every sync (staff edits
to it are overwritten): one line per item to reorder (vendor, SKU, item, unit, usable on
hand, reorder point, par level, pack size, packs, quantity, unit cost, line total), grouped
by vendor in name order, each vendor followed by a total line, and a grand total at the
end. Lines are numbered in that order; an item without a vendor is under ``(no vendor)``,
one without a unit cost has no line total and is left out of the totals.

**The report** (``report_sections``), as of today whatever the report period, since stock
is only known as it is now: *stock value* is on hand × unit cost over lots not expired
(rows without a unit cost left out); *stock-outs* are items (rows of one name) with no
usable stock; *lots expiring in 90 days* are lots with stock on hand whose expiry date is
today or within the next 90 days.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clinicops import (
    Alert,
    Chart,
    Definition,
    Figure,
    ReportPeriod,
    ReportSection,
    Series,
    StatusSection,
    days_text,
    hookimpl,
)

NAME = "inventory"
ORDER = "purchase_order_line"
NO_VENDOR = "(no vendor)"
EXPIRING_DAYS = 90


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    days = {"type": "integer", "minimum": 1, "maximum": 730}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "expiry_warn_days": {
                **days,
                "default": 60,
                "description": "Days before a lot's expiry date to warn about it.",
            },
            "vaccine_expiry_warn_days": {
                **days,
                "default": 90,
                "description": "The same for vaccine lots (category vaccine).",
            },
            "opened_use_days": {
                **days,
                "default": 28,
                "description": "Days an opened multi-dose vial may be used, unless the item states its own.",
            },
            "opened_warn_days": {
                **days,
                "default": 3,
                "description": "Days before an opened vial's beyond-use date to warn about it.",
            },
        },
    }


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    return [_order_schema()]


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings = practice.settings(NAME)
    today = practice.today()
    rows = practice.records("inventory_item")
    alerts = [_reorder_alert(item) for item in _items(rows, today, settings) if item.low]
    for row in rows:
        alert = _expiry_alert(row, today, settings)
        if alert:
            alerts.append(alert)
    return alerts


@hookimpl
def refresh_tables(practice: Any) -> None:
    items = _items(practice.records("inventory_item"), practice.today(), practice.settings(NAME))
    practice.replace_table(ORDER, _order_lines(items), plugin=NAME)


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    lines = _order_lines(_items(practice.records("inventory_item"), practice.today(), practice.settings(NAME)))
    counts = Counter(line["vendor"] for line in lines if line["kind"] == "item")
    rows = [
        (
            line["vendor"],
            counts[line["vendor"]] if line["kind"] == "vendor total" else counts.total(),
            f"{Decimal(line['line_total']):,.2f}",
        )
        for line in lines
        if line["kind"] != "item"
    ]
    return [StatusSection("Suggested purchase orders", ("Vendor", "Lines", "Total"), rows)]


@hookimpl
def report_sections(practice: Any, period: ReportPeriod) -> list[ReportSection]:
    today = period.today
    settings = practice.settings(NAME)
    rows = practice.records("inventory_item")
    usable = [r for r in rows if (_days_left(r, today, settings) or 0) >= 0]
    value: dict[str, Decimal] = {}
    for row in usable:
        if row.get("unit_cost") is not None:
            category = row.get("category") or "(no category)"
            value[category] = value.get(category, Decimal(0)) + Decimal(row["unit_cost"]) * row["on_hand"]
    expiring = [r for r in rows if r["on_hand"] > 0 and 0 <= (_days_left(r, today, settings) or -1) <= EXPIRING_DAYS]
    months = sorted({use_by(r, settings)[0].isoformat()[:7] for r in expiring})
    as_of = f"as of {today.isoformat()}"
    figures = (
        Figure(
            "inventory.value",
            "Stock value",
            float(sum(value.values(), Decimal(0))),
            "USD",
            Definition("on hand × unit cost", period=as_of, exclusions="expired lots and rows without a unit cost"),
        ),
        Figure(
            "inventory.stock_outs",
            "Stock-outs",
            sum(1 for item in _items(rows, today, settings) if item.usable <= 0),
            "items",
            Definition("items with no usable stock (expired lots not counted)", period=as_of),
        ),
        Figure(
            "inventory.expiring_lots",
            "Lots expiring in 90 days",
            len(expiring),
            "lots",
            Definition("lots with stock on hand expiring within 90 days", period=as_of, exclusions="empty lots"),
        ),
    )
    by_category = Chart(
        "Stock value by category",
        "bar",
        (Series("value", tuple((k, float(v)) for k, v in sorted(value.items()))),),
        "USD",
    )
    by_month = Chart(
        "Lots expiring in the next 90 days, by month",
        "bar",
        (
            Series(
                "lots",
                tuple((m, float(sum(use_by(r, settings)[0].isoformat()[:7] == m for r in expiring))) for m in months),
            ),
        ),
        "lots",
    )
    return [ReportSection("inventory.stock", "Inventory", figures, (by_category, by_month), order=300)]


# --------------------------------------------------------------------------- items


@dataclass
class Item:
    """An item and its lots: what is usable now, and what to order."""

    rows: list[dict[str, Any]]
    usable: int
    expired: int

    def first(self, name: str) -> Any:
        return next((r[name] for r in self.rows if r.get(name) not in (None, "")), None)

    @property
    def sku(self) -> str:
        return self.rows[0]["id"]

    @property
    def low(self) -> bool:
        point = self.first("reorder_point")
        return point is not None and self.usable <= point

    @property
    def pack(self) -> int:
        return self.first("pack_size") or 1

    @property
    def quantity(self) -> int | None:
        """Units to order: up to par, in whole packs; None without a par level or when none are needed."""
        par = self.first("par_level")
        if par is None or par <= self.usable:
            return None
        return math.ceil((par - self.usable) / self.pack) * self.pack


def _items(rows: list[dict[str, Any]], today: dt.date, settings: dict[str, Any]) -> list[Item]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:  # in SKU order
        grouped.setdefault(" ".join(row["name"].split()).casefold(), []).append(row)
    items = []
    for lots in grouped.values():
        expired = sum(r["on_hand"] for r in lots if (_days_left(r, today, settings) or 0) < 0)
        items.append(Item(lots, sum(r["on_hand"] for r in lots) - expired, expired))
    return items


def beyond_use(row: dict[str, Any], settings: dict[str, Any]) -> dt.date | None:
    """An opened lot's beyond-use date: its opening day plus the item's days, or the practice's default."""
    if not row.get("opened"):
        return None
    days = row.get("beyond_use_days") or settings["opened_use_days"]
    return dt.date.fromisoformat(row["opened"]) + dt.timedelta(days=days)


def use_by(row: dict[str, Any], settings: dict[str, Any]) -> tuple[dt.date, bool] | None:
    """The last day the lot may be used, and whether that is its beyond-use date (not its expiry)."""
    expiry = dt.date.fromisoformat(row["expiry"]) if row.get("expiry") else None
    bud = beyond_use(row, settings)
    if bud is not None and (expiry is None or bud < expiry):
        return bud, True
    return (expiry, False) if expiry is not None else None


def _days_left(row: dict[str, Any], today: dt.date, settings: dict[str, Any]) -> int | None:
    last = use_by(row, settings)
    return None if last is None else (last[0] - today).days


def _reorder_alert(item: Item) -> Alert:
    name, point, vendor = item.first("name"), item.first("reorder_point"), item.first("vendor") or NO_VENDOR
    state = "out of stock" if item.usable == 0 else f"low: {item.usable} on hand"
    text = f"{name} ({item.sku}) is {state}, reorder point {point}"
    if item.expired:
        text += f" ({item.expired} more in expired lots, not counted)"
    quantity = item.quantity
    if quantity is None and item.first("par_level") is None:
        text += ". Set its par level to get a suggested order."
    elif quantity is None:
        text += f". Its par level ({item.first('par_level')}) is not above what is on hand: check its levels."
    else:
        packs = f" ({quantity // item.pack} pack{'s' if quantity // item.pack != 1 else ''} of {item.pack})"
        cost = _line_total(item.first("unit_cost"), quantity)
        text += f". Suggested order: {quantity}{packs if item.pack > 1 else ''} from {vendor}"
        text += f", ${cost:,.2f}." if cost is not None else "."
    return Alert(
        key=f"{item.sku}:{'out-of-stock' if item.usable == 0 else 'reorder'}",
        severity="critical" if item.usable == 0 else "warning",
        message=text,
        entity="inventory_item",
        record_id=item.sku,
    )


def _describe(row: dict[str, Any]) -> tuple[str, str]:
    """The lot in words for a message, and the start of its alert keys."""
    lot = f"lot {row['lot']} of " if row.get("lot") else ""
    where = f" in {row['location']}" if row.get("location") else ""
    what = f"{lot}{row['name']} ({row['id']}, {row['on_hand']} on hand{where})"
    return what, f"{row['id']}:lot-{row['lot']}" if row.get("lot") else row["id"]


def _beyond_use_alert(row: dict[str, Any], bud: dt.date, left: int, settings: dict[str, Any]) -> Alert | None:
    what, prefix = _describe(row)
    opened = f"opened on {row['opened']}, beyond-use date {bud.isoformat()}"
    if left < 0:
        return Alert(
            key=f"{prefix}:past-beyond-use",
            severity="critical",
            message=f"Past its beyond-use date: {what} was {opened}, {days_text(-left)} ago. Discard the opened vial; "
            "do not use it, whatever the expiry date says.",
            entity="inventory_item",
            record_id=row["id"],
        )
    window = settings["opened_warn_days"]
    if left > window:
        return None
    when = "today" if left == 0 else f"in {days_text(left)}"
    return Alert(
        key=f"{prefix}:beyond-use-within-{window}d",
        severity="warning",
        message=f"Opened vial: {what} was {opened} ({when}). Use it first; discard what is left after that day.",
        entity="inventory_item",
        record_id=row["id"],
    )


def _expiry_alert(row: dict[str, Any], today: dt.date, settings: dict[str, Any]) -> Alert | None:
    last = use_by(row, settings)
    if last is None or row["on_hand"] <= 0:
        return None
    left = (last[0] - today).days
    if last[1]:
        return _beyond_use_alert(row, last[0], left, settings)
    vaccine = row.get("category") == "vaccine"
    window = settings["vaccine_expiry_warn_days" if vaccine else "expiry_warn_days"]
    what, prefix = _describe(row)
    if left < 0:
        return Alert(
            key=f"{prefix}:expired",
            severity="critical",
            message=f"Expired: {what} expired on {row['expiry']}, {-left} day{'s' if left != -1 else ''} ago. "
            "Pull it from stock; do not use it.",
            entity="inventory_item",
            record_id=row["id"],
        )
    if left > window:
        return None
    when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
    advice = (
        "Give these doses first, or arrange a transfer or return while there is time."
        if vaccine
        else "Use it first, or return it while the vendor still takes it."
    )
    return Alert(
        key=f"{prefix}:expires-within-{window}d",
        severity="warning",
        message=f"Expiring: {what} expires on {row['expiry']} ({when}). {advice}",
        entity="inventory_item",
        record_id=row["id"],
    )


# --------------------------------------------------------------------------- purchase order


def _line_total(unit_cost: str | None, quantity: int) -> Decimal | None:
    return None if unit_cost is None else Decimal(unit_cost) * quantity


def _order_lines(items: list[Item]) -> list[dict[str, Any]]:
    """Order lines grouped by vendor, a total line after each vendor, a grand total last; numbered."""
    by_vendor: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        quantity = item.quantity
        if not item.low or quantity is None:
            continue
        cost = item.first("unit_cost")
        total = _line_total(cost, quantity)
        line = {
            "kind": "item",
            "vendor": item.first("vendor") or NO_VENDOR,
            "sku": item.sku,
            "item": item.first("name"),
            "unit": item.first("unit"),
            "on_hand": item.usable,
            "reorder_point": item.first("reorder_point"),
            "par_level": item.first("par_level"),
            "pack_size": item.first("pack_size"),
            "packs": quantity // item.pack if item.first("pack_size") else None,
            "quantity": quantity,
            "unit_cost": cost,
            "line_total": None if total is None else f"{total:.2f}",
        }
        by_vendor.setdefault(line["vendor"], []).append({k: v for k, v in line.items() if v is not None})
    out: list[dict[str, Any]] = []
    grand = Decimal("0.00")
    for vendor in sorted(by_vendor, key=lambda v: (v == NO_VENDOR, v.casefold())):
        lines = sorted(by_vendor[vendor], key=lambda line: line["item"].casefold())
        subtotal = sum((Decimal(line["line_total"]) for line in lines if "line_total" in line), Decimal("0.00"))
        grand += subtotal
        total = {"kind": "vendor total", "vendor": vendor, "item": f"Total ({_count(len(lines), 'line')})"}
        out += [*lines, {**total, "line_total": f"{subtotal:.2f}"}]
    if out:
        vendors = _count(len(by_vendor), "vendor")
        out.append(
            {"kind": "grand total", "vendor": "All vendors", "item": f"Total ({vendors})", "line_total": f"{grand:.2f}"}
        )
    return [{"id": f"{n:03d}", **line} for n, line in enumerate(out, start=1)]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _order_schema() -> dict[str, Any]:
    def owned(kind: dict[str, Any], title: str) -> dict[str, Any]:
        return {**kind, "x-title": title, "x-owner": "plugin"}

    money = {"type": "string", "x-format": "money", "pattern": r"^-?\d+\.\d{2}$"}
    count = {"type": "integer", "minimum": 0}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": ORDER,
        "description": "Suggested purchase order, by vendor; rebuilt by the inventory plugin every sync.",
        "type": "object",
        "x-title": "Purchase order",
        "x-primary-key": "id",
        "x-id-prefix": "PO",
        "properties": {
            "id": owned({"type": "string"}, "Line"),
            "kind": owned({"type": "string", "enum": ["item", "vendor total", "grand total"]}, "Kind"),
            "vendor": owned({"type": "string"}, "Vendor"),
            "sku": owned({"type": "string"}, "SKU"),
            "item": owned({"type": "string"}, "Item"),
            "unit": owned({"type": "string"}, "Unit"),
            "on_hand": owned(count, "Usable on hand"),
            "reorder_point": owned(count, "Reorder point"),
            "par_level": owned(count, "Par level"),
            "pack_size": owned({"type": "integer", "minimum": 1}, "Pack size"),
            "packs": owned(count, "Packs"),
            "quantity": owned(count, "Quantity"),
            "unit_cost": owned(money, "Unit cost"),
            "line_total": owned(money, "Line total"),
        },
        "required": ["id", "kind"],
        "additionalProperties": False,
    }
