"""The equipment plugin's tabs: Equipment, Compliance tasks and the Temperature log.

Staff keep all three; the plugin owns only the two dates it computes on Equipment and the
next-due date of each compliance task (``x-owner: "plugin"``), so what people type is
never overwritten.
"""

from __future__ import annotations

from typing import Any

from clinicops.plugins.equipment.intervals import FREQUENCIES

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
DATE = {"type": "string", "format": "date"}
DAYS = {"type": "integer", "minimum": 1, "maximum": 3650}
TEXT = {"type": "string"}


def _f(kind: dict[str, Any], title: str, **extra: Any) -> dict[str, Any]:
    return {**kind, "x-title": title, **extra}


def _owned(kind: dict[str, Any], title: str) -> dict[str, Any]:
    return {**kind, "x-title": title, "x-owner": "plugin"}


def equipment() -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": "equipment",
        "description": "Equipment and facility assets: warranty, service contract, maintenance and calibration.",
        "type": "object",
        "x-title": "Equipment",
        "x-tab-aliases": ["Assets", "Equipment list", "Devices"],
        "x-primary-key": "id",
        "x-id-prefix": "EQ",
        "properties": {
            "id": _f(TEXT, "ID", description="Assigned by clinicops when left blank; never reuse or edit it."),
            "asset": _f(TEXT, "Asset", **{"x-header-aliases": ["Equipment", "Item", "Name"]}),
            "location": _f(TEXT, "Location", **{"x-header-aliases": ["Room"]}),
            "serial": _f(TEXT, "Serial", **{"x-identifier": True, "x-header-aliases": ["Serial number", "S/N"]}),
            "vendor": _f(TEXT, "Vendor", **{"x-header-aliases": ["Manufacturer", "Service vendor"]}),
            "purchase_date": _f(DATE, "Purchase date", **{"x-header-aliases": ["Purchased", "Bought"]}),
            "warranty_end": _f(DATE, "Warranty end", **{"x-header-aliases": ["Warranty", "Warranty expires"]}),
            "contract_end": _f(DATE, "Service contract end", **{"x-header-aliases": ["Contract end", "Contract"]}),
            "maintenance_days": _f(DAYS, "Maintenance every (days)", **{"x-header-aliases": ["PM interval"]}),
            "last_maintained": _f(DATE, "Last maintained", **{"x-header-aliases": ["Last PM", "Last service"]}),
            "next_maintenance": _owned(DATE, "Next maintenance"),
            "calibration_days": _f(DAYS, "Calibrate every (days)", **{"x-header-aliases": ["Calibration interval"]}),
            "last_calibrated": _f(DATE, "Last calibrated", **{"x-header-aliases": ["Last calibration"]}),
            "next_calibration": _owned(DATE, "Next calibration"),
            "status": _f(
                TEXT,
                "Status",
                enum=["in service", "out of service", "retired"],
                **{"x-aliases": {"ok": "in service", "broken": "out of service", "down": "out of service"}},
            ),
        },
        "required": ["id", "asset"],
        "additionalProperties": False,
    }


def compliance_task() -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": "compliance_task",
        "description": "Recurring safety and compliance tasks (OSHA, CLIA, vaccine storage, fire safety).",
        "type": "object",
        "x-title": "Compliance tasks",
        "x-tab-aliases": ["Compliance", "Safety checks"],
        "x-primary-key": "id",
        "x-id-prefix": "CT",
        "properties": {
            "id": _f(TEXT, "ID", description="Assigned by clinicops when left blank; never reuse or edit it."),
            "task": _f(TEXT, "Task"),
            "standard": _f(TEXT, "Rule or standard", **{"x-header-aliases": ["Rule", "Standard", "Regulation"]}),
            "frequency": _f(TEXT, "Frequency", enum=list(FREQUENCIES), **{"x-aliases": {"yearly": "annual"}}),
            "owner_id": _f(TEXT, "Owner", **{"x-ref": "staff", "x-header-aliases": ["Responsible"]}),
            "last_done": _f(DATE, "Last done", **{"x-header-aliases": ["Done", "Completed"]}),
            "next_due": _owned(DATE, "Next due"),
        },
        "required": ["id", "task", "frequency"],
        "additionalProperties": False,
    }


def temperature_reading() -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": "temperature_reading",
        "description": "Vaccine storage unit readings, in degrees Celsius, as the CDC toolkit asks (twice a day).",
        "type": "object",
        "x-title": "Temperature log",
        "x-tab-aliases": ["Fridge log", "Temperature logs", "Temp log"],
        "x-primary-key": "id",
        "x-id-prefix": "TMP",
        "properties": {
            "id": _f(TEXT, "ID", description="Assigned by clinicops when left blank; never reuse or edit it."),
            "taken_at": _f({"type": "string", "format": "date-time"}, "Time", **{"x-header-aliases": ["Date/time"]}),
            "unit_id": _f(TEXT, "Unit", **{"x-ref": "equipment", "x-header-aliases": ["Fridge", "Storage unit"]}),
            "kind": _f(TEXT, "Kind", enum=["refrigerator", "freezer"], **{"x-aliases": {"fridge": "refrigerator"}}),
            "reading_c": _f({"type": "number"}, "Reading °C", **{"x-header-aliases": ["Temp", "Current °C"]}),
            "min_c": _f({"type": "number"}, "Min °C"),
            "max_c": _f({"type": "number"}, "Max °C"),
            "initials": _f(TEXT, "Initials", **{"x-header-aliases": ["By"]}),
            "action": _f(TEXT, "Action taken", **{"x-header-aliases": ["Action", "Excursion action"]}),
        },
        "required": ["id", "taken_at", "unit_id", "kind"],
        "additionalProperties": False,
    }
