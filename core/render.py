"""Human-readable output for the CLI: short tables and one line per problem."""

from __future__ import annotations

import re
from typing import Any

from clinicops.core.sync_report import EntityReport, SyncReport

NUMBER = re.compile(r"^[-+$]?[\d,]+(\.\d+)?%?$")  # right-aligned, like a spreadsheet does


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def fmt(r: list[str]) -> str:
        return "  ".join(c.rjust(w) if NUMBER.match(c) else c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()

    return "\n".join(["  " + fmt(cells[0]), *("  " + fmt(r) for r in cells[1:])])


def sync_summary(report: SyncReport, titles: dict[str, str], max_errors: int = 25) -> str:
    verb = "Would sync" if report.dry_run else "Synced"
    seconds = report.timings.get("total", report.timings.get("plan", 0.0))
    lines = [
        f"{verb} {report.practice} ({report.backend.split(':', 1)[0]}) in {seconds:.1f} s, "
        f"{report.requests} backend call{'s' if report.requests != 1 else ''}"
        + ("" if report.wrote or report.dry_run else ", nothing to write"),
        "",
    ]
    rows = []
    for name, er in report.entities.items():
        rows.append(
            [
                titles.get(name, name),
                er.created,
                er.updated,
                er.deleted,
                er.unchanged,
                len(er.conflicts),
                len(er.errors),
            ]
        )
    lines.append(table(["Table", "created", "updated", "deleted", "unchanged", "conflicts", "errors"], rows))
    named = [line for name, er in report.entities.items() if (line := _which(titles.get(name, name), er))]
    if named:
        lines += ["", *named]
    conflicts = [(name, c) for name, er in report.entities.items() for c in er.conflicts]
    if conflicts:
        lines += ["", "Conflicts (both sides changed a field; the owner's value was kept, the other is in history):"]
        for name, c in conflicts[:max_errors]:
            lines.append(
                f"  {titles.get(name, name)} {c['id']}, {c['field']}: "
                f"kept the {c['winner']} value {c['kept']!r}, lost {c['lost']!r}"
            )
    errors = report.errors
    if errors:
        lines += ["", "Cells to fix (the typed value stays in the sheet, with a note; the rest of each table synced):"]
        lines += [f"  {e.line()}" for e in errors[:max_errors]]
        if len(errors) > max_errors:
            lines.append(f"  … and {len(errors) - max_errors} more (see the Errors column, or --json)")
    notes = [n for er in report.entities.values() for n in er.notes]
    lines += [f"Note: {n}" for n in notes]
    lines += [f"Plugin failed: {m}" for m in report.plugin_failures]
    lines += [
        "",
        f"Alerts: {report.alerts_open} open ({report.alerts_opened} new, {report.alerts_resolved} resolved) — "
        "see the Alerts tab or 'clinicops status'",
    ]
    return "\n".join(lines)


def few(items: list[str], limit: int = 5) -> str:
    """``P000004, P000005`` or ``P000001, P000002, P000003, … (12 in all)``."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, … ({len(items)} in all)"


def _which(title: str, er: EntityReport) -> str:
    """``Patients: created P000004, P000005; held back P000002 (row 3), row 7``: a few of each."""
    parts = [f"{kind} {few(er.ids[kind])}" for kind in ("created", "updated", "deleted") if er.ids.get(kind)]
    held = [f"{h['id']} (row {h['row']})" if h["id"] else f"row {h['row']}" for h in er.held]
    if held:
        parts.append(f"held back {few(held)}")
    return f"  {title}: " + "; ".join(parts) if parts else ""


def alerts_table(alerts: list[dict[str, Any]], limit: int = 40) -> str:
    rows = [
        [a.get("severity", ""), a.get("plugin", ""), a.get("status", ""), a.get("message", "")] for a in alerts[:limit]
    ]
    text = table(["Severity", "plugin", "status", "message"], rows)
    if len(alerts) > limit:
        text += f"\n  … and {len(alerts) - limit} more in the Alerts tab"
    return text


def alert_counts(counts: dict[str, dict[str, int]]) -> str:
    """Open alerts as a table: a row per plugin (oldest alert first), a column per severity."""
    rows = [[plugin, c.get("critical", 0), c.get("warning", 0), c.get("info", 0)] for plugin, c in counts.items()]
    return table(["Plugin", "critical", "warning", "info"], rows)


def alerts_by_plugin(alerts: list[dict[str, Any]], per_plugin: int = 2) -> str:
    """A count per plugin, then the most pressing few of each: a first look at everything."""
    by_plugin: dict[str, list[dict[str, Any]]] = {}
    for alert in alerts:
        by_plugin.setdefault(alert.get("plugin", ""), []).append(alert)
    counts = ", ".join(f"{name} {len(items)}" for name, items in sorted(by_plugin.items(), key=lambda kv: -len(kv[1])))
    sample = [a for items in by_plugin.values() for a in items[:per_plugin]]
    lines = [
        f"Open alerts by plugin: {counts}",
        table(
            ["Severity", "plugin", "status", "message"],
            [[a.get("severity", ""), a.get("plugin", ""), a.get("status", ""), a.get("message", "")] for a in sample],
        ),
    ]
    return "\n".join(lines)


def adoption(found: dict[str, Any]) -> str:
    """The proposal and the first sync's preview, one table, then each tab's bindings and problems."""
    rows = [
        [
            t["tab"],
            t["entity"] or "(left alone)",
            t["import"],
            t["held_back"],
            ", ".join(t["missing_required"]) or "-",
        ]
        for t in found["tabs"]
    ]
    lines = [table(["Tab", "entity", "would import", "held back", "required, no column"], rows)]
    for t in found["tabs"]:
        if not t["entity"]:
            continue
        lines += ["", f"{t['tab']} → {t['entity']}"]
        lines += [f"  {header!r} → {name}" for name, header in t["columns"].items()]
        lines += [f"  {header!r} → {', '.join(names)} (split at the comma)" for header, names in t["split"].items()]
        lines += [f"  {' + '.join(map(repr, cols))} → {name} (date and time)" for name, cols in t["joined"].items()]
        if t["unmapped"]:
            lines.append(f"  left to the staff: {', '.join(map(repr, t['unmapped']))}")
        lines += [f"  held back: {r['rows']} row(s), {r['reason']}" for r in t["held_reasons"][:5]]
    return "\n".join(lines)
