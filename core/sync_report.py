"""What a sync did (or, dry-run, would do), for people and for scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clinicops.core.problems import CellProblem


@dataclass
class EntityReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    errors: list[CellProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=dict)  # created / updated / deleted -> record ids
    held: list[dict[str, Any]] = field(default_factory=list)  # rows held back: {"id": id or None, "row": n}

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "errors": [e.as_dict() for e in self.errors],
            "notes": self.notes,
            "ids": {kind: self.ids.get(kind, []) for kind in ("created", "updated", "deleted")},
            "held": self.held,
        }


@dataclass
class ChangeSet:
    """What a sync changed, given to ``after_sync``: in the store, and in the backend's tabs, apart.

    Each is entity name -> record ids. The store's side counts every record whose version
    the sync's transaction changed (from the sheet, a delete, a plugin's table or alert);
    the sheet's side counts rows the write-back appended, changed or removed. A first sync
    onto a new, empty backend appends every record and creates none in the store.
    """

    store_created: dict[str, list[str]] = field(default_factory=dict)
    store_updated: dict[str, list[str]] = field(default_factory=dict)
    store_deleted: dict[str, list[str]] = field(default_factory=dict)
    sheet_appended: dict[str, list[str]] = field(default_factory=dict)
    sheet_updated: dict[str, list[str]] = field(default_factory=dict)
    sheet_removed: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, entity: str, record_id: str) -> None:
        """One id under ``kind``, one of the six fields' names (``store_created``, ``sheet_appended``…)."""
        getattr(self, kind).setdefault(entity, []).append(record_id)

    def is_empty(self) -> bool:
        return not (
            self.store_created
            or self.store_updated
            or self.store_deleted
            or self.sheet_appended
            or self.sheet_updated
            or self.sheet_removed
        )

    # Earlier names, kept so plugins written before the split read the store's side.
    @property
    def created(self) -> dict[str, list[str]]:
        """Deprecated: ``store_created``."""
        return self.store_created

    @property
    def updated(self) -> dict[str, list[str]]:
        """Deprecated: ``store_updated``."""
        return self.store_updated

    @property
    def deleted(self) -> dict[str, list[str]]:
        """Deprecated: ``store_deleted``."""
        return self.store_deleted

    def as_dict(self) -> dict[str, dict[str, list[str]]]:
        return {
            "store": {"created": self.store_created, "updated": self.store_updated, "deleted": self.store_deleted},
            "sheet": {"appended": self.sheet_appended, "updated": self.sheet_updated, "removed": self.sheet_removed},
        }


@dataclass
class SyncReport:
    practice: str
    backend: str
    dry_run: bool
    entities: dict[str, EntityReport] = field(default_factory=dict)
    requests: int = 0
    wrote: bool = False
    alerts_open: int = 0
    alerts_opened: int = 0
    alerts_resolved: int = 0
    changes: ChangeSet = field(default_factory=ChangeSet)
    timings: dict[str, float] = field(default_factory=dict)
    backend_stats: dict[str, Any] = field(default_factory=dict)
    plugin_failures: list[str] = field(default_factory=list)

    def entity(self, name: str) -> EntityReport:
        return self.entities.setdefault(name, EntityReport())

    @property
    def errors(self) -> list[CellProblem]:
        return [e for r in self.entities.values() for e in r.errors]

    @property
    def total_changes(self) -> int:
        return sum(r.created + r.updated + r.deleted for r in self.entities.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "practice": self.practice,
            "backend": self.backend,
            "dry_run": self.dry_run,
            "entities": {k: v.as_dict() for k, v in self.entities.items()},
            "errors": [e.as_dict() for e in self.errors],
            "requests": self.requests,
            "backend_stats": self.backend_stats,
            "wrote": self.wrote,
            "alerts": {"open": self.alerts_open, "opened": self.alerts_opened, "resolved": self.alerts_resolved},
            "plugin_failures": self.plugin_failures,
        }
