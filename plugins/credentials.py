"""Credential expiry: licenses, DEA registrations, board certifications, CPR/BLS, HIPAA and
OSHA training.

Each credential is warned about at every threshold it crosses (90, 60, 30 days by
default) and when it has expired. One alert per credential at a time, at the tightest
threshold reached, so a lapsing license is never silent and never repeated every sync.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops.core.alerts import Alert
from clinicops.core.hookspecs import hookimpl

NAME = "credentials"

KIND_NAMES = {
    "license": "state license",
    "dea": "DEA registration",
    "board-certification": "board certification",
    "cpr-bls": "CPR/BLS certification",
    "acls": "ACLS certification",
    "hipaa-training": "HIPAA training",
    "osha-training": "OSHA bloodborne-pathogens training",
    "malpractice": "malpractice insurance",
}


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "warn_days": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 730},
                "minItems": 1,
                "default": [90, 60, 30],
                "description": "Days before expiry at which to warn.",
            },
            "include_optional": {
                "type": "boolean",
                "default": True,
                "description": "Also warn about credentials not marked required.",
            },
        },
    }


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings = practice.settings(NAME)
    thresholds = sorted(set(settings["warn_days"]))
    today = practice.today()
    holders = _holders(practice)
    alerts = []
    for cred in practice.records("credential"):
        expires = cred.get("expires")
        if not expires:
            continue
        if cred.get("required") is False and not settings["include_optional"]:
            continue
        left = (dt.date.fromisoformat(expires) - today).days
        what = KIND_NAMES.get(cred.get("kind", ""), cred.get("kind", "credential"))
        who = holders.get((cred.get("holder_type"), cred.get("holder_id")), cred.get("holder_id", "?"))
        if left < 0:
            alerts.append(
                Alert(
                    key=f"{cred['id']}:expired",
                    severity="critical",
                    message=f"{who}'s {what} expired on {expires} ({-left} days ago)",
                    entity="credential",
                    record_id=cred["id"],
                )
            )
            continue
        reached = [t for t in thresholds if left <= t]
        if not reached:
            continue
        window = min(reached)
        alerts.append(
            Alert(
                key=f"{cred['id']}:within-{window}d",
                severity="warning" if window <= 30 else "info",
                message=f"{who}'s {what} expires on {expires} (in {left} days)",
                entity="credential",
                record_id=cred["id"],
            )
        )
    return alerts


def _holders(practice: Any) -> dict[tuple[str, str], str]:
    out = {}
    for kind in ("provider", "staff"):
        for rec in practice.records(kind):
            name = " ".join(p for p in (rec.get("first_name"), rec.get("last_name")) if p)
            suffix = f", {rec['credentials']}" if rec.get("credentials") else ""
            out[(kind, rec["id"])] = f"{name}{suffix} ({rec['id']})"
    return out
