"""The inventory plugin, through its hooks only: reorder alerts and suggested quantities, lot
expiry as the calendar moves, the purchase-order tab, and the demo practice's stock room."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.practice import Practice
from clinicops.examples.demo_clinic import LOW_STOCK_ITEMS, generate_demo

from .conftest import Clinic, write_config
from .sheet_drivers import XlsxDriver
from .test_demo_clinic import expiry_of
from .test_plugin_billing import set_plugin

TODAY = dt.date(2026, 3, 2)
DEMO_DAY = dt.date(2026, 11, 23)
ENTITIES = ["inventory_item", "purchase_order_line"]


def on(day: dt.date) -> AbstractContextManager[Any]:
    """The clock stopped at noon in the practice's time zone on ``day``."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo("America/New_York")), tick=False)


def in_days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def item(name: str = "Alcohol prep pads", **cells: Any) -> dict[str, Any]:
    """An Inventory row as typed: a well-stocked medical supply unless told otherwise."""
    row = {
        "Name": name,
        "Category": "medical",
        "Unit": "box of 200",
        "On hand": 15,
        "Par level": 20,
        "Reorder point": 6,
        "Pack size": 10,
        "Vendor": "McKesson Medical-Surgical",
        "Unit cost": "3.20",
        "Location": "Supply room",
    }
    titles = {
        "on_hand": "On hand",
        "par_level": "Par level",
        "reorder_point": "Reorder point",
        "pack_size": "Pack size",
    }
    titles |= {"unit_cost": "Unit cost", "lot": "Lot", "expiry": "Expiry", "vendor": "Vendor", "category": "Category"}
    titles |= {"opened": "Opened", "beyond_use_days": "Days after opening"}
    return row | {titles[k]: v for k, v in cells.items()}


@pytest.fixture
def clinic(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Clinic]:
    """Inventory enabled on an empty stock list, the clock at noon on TODAY."""
    write_config(tmp_path, plugins=["inventory"], entities=ENTITIES, extra=getattr(request, "param", ""))
    with on(TODAY):
        c = Clinic(tmp_path, XlsxDriver(tmp_path / "clinic.xlsx"))
        operations.lay_out(c.practice)
        yield c
        c.practice.close()


def open_alerts(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in clinic.records("alert") if a["status"] == "open"}


def order(clinic: Clinic) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in r.items() if v is not None and k not in ("_row", "Errors")}
        for r in clinic.sheet.rows("Purchase order")
    ]


# --------------------------------------------------------------------------- reorder


def test_low_stock_is_reordered_up_to_par_in_whole_packs(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Inventory",
        [
            item(on_hand=4),
            item("Sharps container 2 gal", on_hand=3, par_level=10, reorder_point=3, pack_size=20, unit_cost="5.60"),
        ],
    )
    clinic.sync()
    alerts = open_alerts(clinic)
    assert sorted(alerts) == ["inventory:INV000001:reorder", "inventory:INV000002:reorder"]
    assert alerts["inventory:INV000001:reorder"]["message"] == (
        "Alcohol prep pads (INV000001) is low: 4 on hand, reorder point 6. "
        "Suggested order: 20 (2 packs of 10) from McKesson Medical-Surgical, $64.00."
    )
    # 7 short of par, but the vendor sells packs of 20: one pack, even though it overshoots par.
    assert "Suggested order: 20 (1 pack of 20)" in alerts["inventory:INV000002:reorder"]["message"]
    assert alerts["inventory:INV000001:reorder"]["severity"] == "warning"


def test_at_the_reorder_point_is_low_one_above_is_not(clinic: Clinic) -> None:
    clinic.sheet.append("Inventory", [item(on_hand=6), item("Gauze sponges", on_hand=7)])
    clinic.sync()
    assert list(open_alerts(clinic)) == ["inventory:INV000001:reorder"]


def test_running_out_moves_the_alert_to_a_new_key_and_restocking_resolves_it(clinic: Clinic) -> None:
    clinic.sheet.append("Inventory", [item(on_hand=4)])
    clinic.sync()
    clinic.sheet.edit("Inventory", 2, "On hand", 0)
    report = clinic.sync()
    assert (report.alerts_opened, report.alerts_resolved) == (1, 1)
    [alert] = open_alerts(clinic).values()
    assert alert["id"] == "inventory:INV000001:out-of-stock" and alert["severity"] == "critical"
    assert alert["message"].startswith("Alcohol prep pads (INV000001) is out of stock, reorder point 6.")
    assert clinic.sync().alerts_opened == 0
    clinic.sheet.edit("Inventory", 2, "On hand", 20)
    assert clinic.sync().alerts_resolved == 1 and open_alerts(clinic) == {}


def test_without_a_par_level_there_is_an_alert_but_no_suggestion(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Inventory", [item(on_hand=2, par_level=None), item("Tongue depressors", on_hand=2, reorder_point=None)]
    )
    clinic.sync()
    [alert] = open_alerts(clinic).values()
    assert alert["message"] == (
        "Alcohol prep pads (INV000001) is low: 2 on hand, reorder point 6. Set its par level to get a suggested order."
    )
    assert order(clinic) == []


def test_lots_of_one_item_add_up_and_expired_lots_do_not_count(clinic: Clinic) -> None:
    vaccine = {
        "category": "vaccine",
        "par_level": 20,
        "reorder_point": 4,
        "pack_size": 10,
        "unit_cost": "46.00",
        "vendor": "GSK",
    }
    clinic.sheet.append(
        "Inventory",
        [
            item("Tdap vaccine (Boostrix)", on_hand=3, lot="AB1234C", expiry=in_days(200), **vaccine),
            item("Tdap  vaccine (boostrix)", on_hand=2, lot="ZX9876Q", expiry=in_days(300), **vaccine),
        ],
    )
    clinic.sync()
    assert open_alerts(clinic) == {}  # 5 on hand, reorder point 4
    with on(in_days(201)):
        clinic.sync()
        alerts = open_alerts(clinic)
    assert sorted(alerts) == ["inventory:INV000001:lot-AB1234C:expired", "inventory:INV000001:reorder"]
    assert alerts["inventory:INV000001:reorder"]["message"] == (
        "Tdap vaccine (Boostrix) (INV000001) is low: 2 on hand, reorder point 4 (3 more in expired lots, not counted). "
        "Suggested order: 20 (2 packs of 10) from GSK, $920.00."
    )


# --------------------------------------------------------------------------- expiry


def test_a_lot_is_warned_about_within_the_window_then_flagged_once_expired(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Inventory",
        [item("Lidocaine 1% injection", category="medication", reorder_point=None, lot="XU5599D", expiry=in_days(100))],
    )
    expected = [
        (39, set()),
        (40, {"inventory:INV000001:lot-XU5599D:expires-within-60d"}),
        (100, {"inventory:INV000001:lot-XU5599D:expires-within-60d"}),
        (101, {"inventory:INV000001:lot-XU5599D:expired"}),
    ]
    for day, keys in expected:
        with on(in_days(day)):
            clinic.sync()
            assert set(open_alerts(clinic)) == keys, day
    alerts = {a["id"]: a for a in clinic.records("alert")}
    assert alerts["inventory:INV000001:lot-XU5599D:expires-within-60d"]["status"] == "resolved"
    expired = alerts["inventory:INV000001:lot-XU5599D:expired"]
    assert expired["severity"] == "critical"
    assert expired["message"] == (
        f"Expired: lot XU5599D of Lidocaine 1% injection (INV000001, 15 on hand in Supply room) expired on "
        f"{in_days(100).isoformat()}, 1 day ago. Pull it from stock; do not use it."
    )


def test_vaccines_are_warned_about_earlier(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Inventory",
        [
            item("Hepatitis B vaccine (Engerix-B)", category="vaccine", lot="EA7924P", expiry=in_days(90)),
            item("Urine pregnancy tests", category="lab", lot="RY0288Q", expiry=in_days(90)),
            item("Hepatitis A vaccine (Havrix)", category="vaccine", lot="QQ1111A", expiry=in_days(91)),
        ],
    )
    clinic.sync()
    [(key, alert)] = open_alerts(clinic).items()
    assert key == "inventory:INV000001:lot-EA7924P:expires-within-90d"
    assert alert["message"].endswith(
        "(in 90 days). Give these doses first, or arrange a transfer or return while there is time."
    )


@pytest.mark.parametrize(
    "clinic", ["\n[plugins.inventory]\nexpiry_warn_days = 30\nvaccine_expiry_warn_days = 45\n"], indirect=True
)
def test_the_windows_are_settings(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Inventory",
        [
            item("Lidocaine", category="medication", lot="L1", expiry=in_days(30)),
            item("Lidocaine", category="medication", lot="L2", expiry=in_days(31)),
            item("MMR vaccine", category="vaccine", lot="V1", expiry=in_days(45)),
            item("Varicella vaccine", category="vaccine", lot="V2", expiry=in_days(46)),
        ],
    )
    clinic.sync()
    assert sorted(open_alerts(clinic)) == [
        "inventory:INV000001:lot-L1:expires-within-30d",
        "inventory:INV000003:lot-V1:expires-within-45d",
    ]


def test_an_empty_lot_raises_nothing_and_a_row_without_a_lot_is_keyed_by_its_sku(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Inventory",
        [
            item("Diphenhydramine vial", on_hand=0, reorder_point=None, lot="FP7992A", expiry=in_days(-14)),
            item("Urine test strips", reorder_point=None, expiry=in_days(-3)),
        ],
    )
    clinic.sync()
    assert list(open_alerts(clinic)) == ["inventory:INV000002:expired"]


# --------------------------------------------------------------------------- month and year, opened vials


def test_an_expiry_typed_as_month_and_year_means_the_last_day_of_that_month(clinic: Clinic) -> None:
    # CDC Vaccine Storage and Handling Toolkit: an expiration date with only a month and year
    # means the product may be used through the last day of that month.
    clinic.sheet.append(
        "Inventory",
        [
            item("Lidocaine 1% injection", category="medication", reorder_point=None, lot="L1", expiry="4/2026"),
            item("Tetanus-diphtheria vaccine", category="vaccine", reorder_point=None, lot="V1", expiry="May 2026"),
            item("Saline flush", reorder_point=None, lot="S1", expiry="2026-05"),
            item("Gauze", reorder_point=None, lot="G1", expiry="13/2026"),
        ],
    )
    report = clinic.sync()
    assert [clinic.record("inventory_item", f"INV00000{n}")["expiry"] for n in (1, 2, 3)] == [
        "2026-04-30",
        "2026-05-31",
        "2026-05-31",
    ]
    alerts = open_alerts(clinic)
    assert set(alerts) == {
        "inventory:INV000001:lot-L1:expires-within-60d",  # 59 days from 2026-03-02
        "inventory:INV000002:lot-V1:expires-within-90d",
    }
    assert "expires on 2026-04-30 (in 59 days)" in alerts["inventory:INV000001:lot-L1:expires-within-60d"]["message"]
    [error] = [e for e in report.errors if e.column == "Expiry"]
    assert "month" in error.problem and "12/2026 (its last day)" in error.expected
    assert clinic.sheet.rows("Inventory")[3]["Expiry"] == "13/2026"  # what was typed stays


def test_an_opened_multi_dose_vial_is_discarded_28_days_after_opening(clinic: Clinic) -> None:
    # CDC Injection Safety, "Questions about multi-dose vials" (and USP <797>): an opened vial
    # is dated and discarded within 28 days unless the manufacturer specifies otherwise.
    clinic.sheet.append(
        "Inventory",
        [
            item(
                "Lidocaine 1% multi-dose vial",
                category="medication",
                on_hand=2,
                reorder_point=2,
                par_level=6,
                pack_size=1,
                lot="MD0001A",
                expiry=in_days(300),
                opened=TODAY,
            ),
        ],
    )
    key = "inventory:INV000001:lot-MD0001A"
    expected = [
        (24, set()),  # 4 days left
        (25, {f"{key}:beyond-use-within-3d"}),
        (28, {f"{key}:beyond-use-within-3d"}),  # the 28th day is the last
        (29, {f"{key}:past-beyond-use", "inventory:INV000001:out-of-stock"}),
    ]
    for day, keys in expected:
        with on(in_days(day)):
            clinic.sync()
            assert set(open_alerts(clinic)) - {"inventory:INV000001:reorder"} == keys, day
    past = open_alerts(clinic)[f"{key}:past-beyond-use"]
    assert past["severity"] == "critical"
    assert past["message"] == (
        "Past its beyond-use date: lot MD0001A of Lidocaine 1% multi-dose vial (INV000001, 2 on hand in Supply room) "
        f"was opened on {TODAY.isoformat()}, beyond-use date {in_days(28).isoformat()}, 1 day ago. Discard the opened "
        "vial; do not use it, whatever the expiry date says."
    )
    [line] = [r for r in order(clinic) if r["Kind"] == "item"]
    assert (line["Usable on hand"], line["Quantity"]) == (0, 6)  # the discarded doses are not usable stock


def test_the_days_an_item_states_after_opening_replace_the_28_day_default(clinic: Clinic) -> None:
    # CDC Injection Safety FAQ: "unless the manufacturer specifies a different (shorter or longer)
    # date for that opened vial"; the package insert's figure goes in Days after opening.
    clinic.sheet.append(
        "Inventory",
        [
            item(
                "Vaccine A",
                category="vaccine",
                reorder_point=None,
                lot="A1",
                expiry=in_days(300),
                opened=TODAY,
                beyond_use_days=14,
            ),
            item(
                "Vaccine B",
                category="vaccine",
                reorder_point=None,
                lot="B1",
                expiry=in_days(300),
                opened=TODAY,
                beyond_use_days=35,
            ),
        ],
    )
    with on(in_days(15)):
        clinic.sync()
        assert set(open_alerts(clinic)) == {"inventory:INV000001:lot-A1:past-beyond-use"}
    with on(in_days(36)):
        clinic.sync()
        assert set(open_alerts(clinic)) == {
            "inventory:INV000001:lot-A1:past-beyond-use",
            "inventory:INV000002:lot-B1:past-beyond-use",
        }


@pytest.mark.parametrize("clinic", ["\n[plugins.inventory]\nopened_use_days = 10\n"], indirect=True)
def test_a_lot_is_never_used_past_the_earlier_of_its_expiry_and_its_beyond_use_date(clinic: Clinic) -> None:
    # Immunize.org / CDC toolkit: the beyond-use date replaces the expiry only when it comes first.
    clinic.sheet.append(
        "Inventory",
        [
            item("Early expiry", category="medication", reorder_point=None, lot="E1", expiry=in_days(5), opened=TODAY),
            item("Late expiry", category="medication", reorder_point=None, lot="L1", expiry=in_days(90), opened=TODAY),
        ],
    )
    with on(in_days(11)):
        clinic.sync()
        assert set(open_alerts(clinic)) == {
            "inventory:INV000001:lot-E1:expired",  # expiry on day 5 came before the beyond-use date (day 10)
            "inventory:INV000002:lot-L1:past-beyond-use",  # the practice's 10 days, not the expiry
        }


# --------------------------------------------------------------------------- the purchase order


def test_the_purchase_order_is_grouped_by_vendor_with_totals(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Inventory",
        [
            item(
                "Safety needles 23G",
                on_hand=0,
                par_level=6,
                reorder_point=2,
                pack_size=4,
                unit_cost="24.00",
                vendor="Henry Schein Medical",
            ),
            item("Alcohol prep pads", on_hand=4),
            item(
                "Syringe 3 mL",
                on_hand=1,
                par_level=8,
                reorder_point=2,
                pack_size=4,
                unit_cost="21.00",
                vendor="Henry Schein Medical",
            ),
            item("Clipboards", on_hand=1, par_level=12, reorder_point=6, pack_size=None, unit_cost=None, vendor=None),
            item("Exam table paper", on_hand=20),
        ],
    )
    clinic.sync()
    columns = (
        "Line",
        "Kind",
        "Vendor",
        "SKU",
        "Item",
        "Usable on hand",
        "Packs",
        "Quantity",
        "Unit cost",
        "Line total",
    )
    assert [tuple(r.get(c) for c in columns) for r in clinic.sheet.rows("Purchase order")] == [
        ("001", "item", "Henry Schein Medical", "INV000001", "Safety needles 23G", 0, 2, 8, 24, 192),
        ("002", "item", "Henry Schein Medical", "INV000003", "Syringe 3 mL", 1, 2, 8, 21, 168),
        ("003", "vendor total", "Henry Schein Medical", None, "Total (2 lines)", None, None, None, None, 360),
        ("004", "item", "McKesson Medical-Surgical", "INV000002", "Alcohol prep pads", 4, 2, 20, 3.2, 64),
        ("005", "vendor total", "McKesson Medical-Surgical", None, "Total (1 line)", None, None, None, None, 64),
        ("006", "item", "(no vendor)", "INV000004", "Clipboards", 1, None, 11, None, None),
        ("007", "vendor total", "(no vendor)", None, "Total (1 line)", None, None, None, None, 0),
        ("008", "grand total", "All vendors", None, "Total (3 vendors)", None, None, None, None, 424),
    ]
    assert (
        order(clinic)[3] | {"Unit": "box of 200", "Reorder point": 6, "Par level": 20, "Pack size": 10}
        == order(clinic)[3]
    )

    result = CliRunner().invoke(cli, ["status", "--full", "-p", str(clinic.folder)])
    section = result.output.split("Suggested purchase orders\n", 1)[1].splitlines()
    assert [line.split("  ")[-1].strip() for line in section[1:5]] == ["360.00", "64.00", "0.00", "424.00"]


def test_the_purchase_order_follows_the_stock_and_overwrites_edits(clinic: Clinic) -> None:
    clinic.sheet.append("Inventory", [item(on_hand=4), item("Gauze sponges", on_hand=10, vendor="Medline Industries")])
    clinic.sync()
    assert [r["Item"] for r in order(clinic)] == ["Alcohol prep pads", "Total (1 line)", "Total (1 vendor)"]
    clinic.sheet.edit("Purchase order", 2, "Quantity", 500)
    clinic.sheet.edit("Inventory", 3, "On hand", 1)
    clinic.sync()
    rows = order(clinic)
    assert [(r["Vendor"], r["Item"], r.get("Quantity")) for r in rows] == [
        ("McKesson Medical-Surgical", "Alcohol prep pads", 20),
        ("McKesson Medical-Surgical", "Total (1 line)", None),
        ("Medline Industries", "Gauze sponges", 20),
        ("Medline Industries", "Total (1 line)", None),
        ("All vendors", "Total (2 vendors)", None),
    ]
    clinic.sheet.edit("Inventory", 2, "On hand", 40)
    clinic.sheet.edit("Inventory", 3, "On hand", 40)
    clinic.sync()
    assert order(clinic) == []


def test_disabling_inventory_removes_its_alerts(clinic: Clinic) -> None:
    clinic.sheet.append("Inventory", [item(on_hand=0)])
    clinic.sync()
    assert list(open_alerts(clinic)) == ["inventory:INV000001:out-of-stock"]
    write_config(clinic.folder, plugins=[], entities=["inventory_item"])
    clinic.reopen()
    clinic.sync()
    assert clinic.records("alert") == []
    assert clinic.sheet.rows("Alerts") == []


def test_plugins_json_lists_inventory_with_its_hooks() -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    entries = {e["name"]: e for e in json.loads(result.output)["plugins"]}
    assert set(entries["inventory"]["hooks"]) >= {
        "plugin_settings_schema",
        "register_schemas",
        "collect_alerts",
        "refresh_tables",
        "status_sections",
    }


# --------------------------------------------------------------------------- the demo practice


def test_the_demo_stock_room_shows_every_kind_of_alert_and_loses_them_when_inventory_is_off(tmp_path: Path) -> None:
    rows = generate_demo(DEMO_DAY)["inventory_item"]

    def left(row: dict[str, Any]) -> int | None:
        return (expiry_of(row) - DEMO_DAY).days if row["expiry"] else None

    expired = [r for r in rows if (left(r) or 0) < 0]
    low = [r for r in rows if r["on_hand"] <= r["reorder_point"]]
    soon = [r for r in rows if r["expiry"] and 0 <= left(r) <= (90 if r["category"] == "vaccine" else 60)]
    assert (len(low), len(expired), len(soon)) == (LOW_STOCK_ITEMS, 2, 8)  # as the demo's docstring promises
    assert len([r for r in soon if r["category"] == "vaccine" and left(r) > 60]) == 2
    [opened] = [r for r in rows if r["opened"]]

    with on(DEMO_DAY):
        operations.create_demo(tmp_path, today=DEMO_DAY)
        set_plugin(tmp_path, "inventory", True)
        practice = Practice.open(tmp_path)
        operations.sync(practice)
        with practice.view() as view:
            alerts = {a["id"] for a in view.records("alert") if a["plugin"] == "inventory"}

        # Expired lots leave their item with nothing usable: it needs ordering too.
        restock = {r["id"]: "out-of-stock" if r in expired or r["on_hand"] == 0 else "reorder" for r in low + expired}
        assert alerts == (
            {f"inventory:{sku}:{kind}" for sku, kind in restock.items()}
            | {f"inventory:{r['id']}:lot-{r['lot']}:expired" for r in expired}
            | {
                f"inventory:{r['id']}:lot-{r['lot']}:expires-within-{90 if r['category'] == 'vaccine' else 60}d"
                for r in soon
            }
            | {f"inventory:{opened['id']}:lot-{opened['lot']}:beyond-use-within-3d"}
        )
        lines = XlsxDriver(tmp_path / "clinic.xlsx").rows("Purchase order")
        assert sorted(r["SKU"] for r in lines if r["Kind"] == "item") == sorted(restock)
        [grand] = [r for r in lines if r["Kind"] == "grand total"]
        assert grand["Line total"] == pytest.approx(sum(r["Line total"] for r in lines if r["Kind"] == "item"))

        practice.close()
        set_plugin(tmp_path, "inventory", False)
        practice = Practice.open(tmp_path)
        operations.sync(practice)
        with practice.view() as view:
            assert [a for a in view.records("alert") if a["plugin"] == "inventory"] == []
        practice.close()
