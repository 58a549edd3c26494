"""Alerts: what plugins want a person to look at, kept as ``alert`` records.

A plugin's ``collect_alerts`` returns every alert that holds *now*. Reconciling that
against the store opens new alerts, leaves repeats alone (no churn, no duplicates every
sync) and resolves the ones no longer reported. Alerts of a plugin that has been
switched off are removed (tombstoned, so still in history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENTITY = "alert"
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Alert:
    """One condition a plugin reports. ``key`` is stable while the condition lasts."""

    key: str
    message: str
    severity: str = "warning"
    entity: str | None = None
    record_id: str | None = None

    def alert_id(self, plugin: str) -> str:
        return f"{plugin}:{self.key}"


def reconcile(
    current: dict[str, dict[str, Any]],
    reported: dict[str, list[Alert]],
    enabled: set[str],
    *,
    now: str,
    failed: frozenset[str] | set[str] = frozenset(),
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """New data for alert records that must change, and ids to remove.

    ``current`` maps alert id -> stored alert data (not deleted); ``reported`` maps plugin
    name -> what it reports now; ``enabled`` are the plugins switched on; ``now`` is the
    practice clock's moment, stamped on alerts seen for the first time. The alerts of a
    plugin in ``failed`` (it raised instead of reporting) stay exactly as they were: a plugin
    that could not look is no evidence that its conditions were resolved.
    """
    changes: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for plugin, alerts in reported.items():
        for alert in alerts or []:
            if alert.severity not in SEVERITIES:
                raise ValueError(f"plugin {plugin}: alert severity must be one of {', '.join(SEVERITIES)}")
            alert_id = alert.alert_id(plugin)
            if alert_id in seen:
                continue
            seen.add(alert_id)
            old = current.get(alert_id)
            data: dict[str, Any] = {
                "id": alert_id,
                "severity": alert.severity,
                "plugin": plugin,
                "message": alert.message,
                "status": "open",
                "first_seen": now,
            }
            if alert.entity:
                data["entity"] = alert.entity
            if alert.record_id:
                data["record_id"] = alert.record_id
            if old:
                data["first_seen"] = old.get("first_seen", now)
                if old.get("status") in ("open", "acknowledged"):
                    data["status"] = old["status"]
            if old != data:
                changes[alert_id] = data
    removed: list[str] = []
    for alert_id, old in current.items():
        if alert_id in seen or old.get("plugin") in failed:
            continue
        if old.get("plugin") not in enabled:
            removed.append(alert_id)
        elif old.get("status") != "resolved":
            changes[alert_id] = {**old, "status": "resolved", "resolved_at": now}
    return changes, removed


def days_text(n: int) -> str:
    """``1 day``, ``3 days``: alert messages are read by people."""
    return f"{n} day{'' if abs(n) == 1 else 's'}"
