"""What the ``records_accessed`` hook is told: who touched which record, how and why.

Field names only, never values: an access log must not become a second copy of the PHI.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AccessEvent:
    actor: str
    role: str
    source: str  # "sync:<backend>", "cli", "plugin:<name>"
    action: str  # create, read, update, delete, export, restore
    entity: str
    record_id: str
    fields: tuple[str, ...] = field(default_factory=tuple)
    purpose: str = "operations"
    outcome: str = "success"
