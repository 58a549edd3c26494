"""``clinicops adopt``: the proposal for a practice's own tabs, a preview of the first sync, and accepting it.

Nothing is written until :func:`accept`: the preview is a dry-run sync with the proposed
column map held in memory.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from clinicops.connectors.discover import read_tabs
from clinicops.core import private_files
from clinicops.core.adopt import TabProposal, propose
from clinicops.core.backend_registry import open_backend
from clinicops.core.config import CONFIG_NAME
from clinicops.core.practice import Practice
from clinicops.core.sync import SyncEngine
from clinicops.core.sync_report import SyncReport

NEW_CONFIG = """\
# clinicops practice configuration. Secrets never go here: name an env var or a file.

[practice]
name = {name}
timezone = {timezone}     # IANA name; times typed in the sheets are in this zone

[backend]
{backend}

[sync]
entities = []             # the adopted tabs' entities; 'clinicops adopt' fills this in

[plugins]
enabled = []
"""


@dataclass
class Adoption:
    """What adopt found and what the first sync would do."""

    tabs: list[TabProposal]
    preview: SyncReport
    held_reasons: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # entity -> (reason, rows)

    def as_dict(self) -> dict[str, Any]:
        out = []
        for tab in self.tabs:
            er = self.preview.entities.get(tab.entity or "")
            counts = {"import": er.created if er else 0, "held_back": len(er.held) if er else 0}
            reasons = [{"reason": r, "rows": n} for r, n in self.held_reasons.get(tab.entity or "", [])]
            out.append({**tab.as_dict(), **counts, "held_reasons": reasons})
        return {"tabs": out}


def write_config(folder: Path, name: str, timezone: str, backend: str) -> None:
    """A new practice.toml for an adopted workbook, Sheet or base (never over an existing one)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = NEW_CONFIG.format(name=json.dumps(name), timezone=json.dumps(timezone), backend=backend)
    (folder / CONFIG_NAME).write_text(text, encoding="utf-8")


def examine(practice: Practice) -> Adoption:
    """Propose bindings for every tab and preview the first sync with them (nothing is written)."""
    skip = practice.computed_entities
    candidates = [e for e in practice.registry if e.name not in skip]
    tables = read_tabs(open_backend(practice.config))
    tabs = propose(candidates, tables, practice.coerce_context)
    _hold(practice, tabs)
    report = SyncEngine(practice, open_backend(practice.config), dry_run=True).run()
    reasons = {
        name: Counter(f"{e.column}: {e.problem}" for e in er.errors if e.row > 1).most_common()
        for name, er in report.entities.items()
    }
    return Adoption(tabs, report, reasons)


def _hold(practice: Practice, tabs: list[TabProposal]) -> None:
    """Put the proposal in the practice's column map and entity list, in memory only."""
    adopted = [t for t in tabs if t.entity]
    for tab in adopted:
        practice.column_map.set(str(tab.entity), tab.tab_map(practice.registry[str(tab.entity)]))
    practice.config.entities = [str(t.entity) for t in adopted]


def accept(practice: Practice, adoption: Adoption) -> None:
    """Write the column map and the adopted entities; the next sync works on the practice's layout."""
    _hold(practice, adoption.tabs)
    practice.column_map.changed = True
    practice.column_map.save()
    path = practice.config.root / CONFIG_NAME
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    sync = doc.get("sync")
    if not isinstance(sync, dict):
        sync = tomlkit.table()
        doc["sync"] = sync
    sync["entities"] = list(practice.config.entities or [])
    private_files.replace_text(path, tomlkit.dumps(doc))
