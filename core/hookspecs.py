"""Every hook a clinicops plugin can implement.

Built-in plugins use these and nothing else, exactly like third-party ones. Each hook
is called with keyword arguments; implement only the ones you need and accept only the
arguments you use. ``practice`` is a :class:`clinicops.core.practice.PracticeView`.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("clinicops")
hookimpl = pluggy.HookimplMarker("clinicops")


@hookspec
def plugin_settings_schema() -> dict[str, Any] | None:
    """Return the JSON Schema of this plugin's ``[plugins.NAME]`` settings; defaults are applied from it."""


@hookspec
def register_schemas() -> list[dict[str, Any]] | None:
    """Return entity schemas this plugin adds, or extensions (same title) adding fields to an entity."""


@hookspec
def validate_record(practice: Any, entity: str, record: dict[str, Any]) -> list[Any] | None:
    """Return ``FieldProblem``s for a record that passed its schema; each holds the row back like a bad cell."""


@hookspec
def compute_fields(practice: Any, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """Return values for plugin-owned fields of a record that a sync just created or changed."""


@hookspec
def collect_alerts(practice: Any) -> list[Any] | None:
    """Return every ``Alert`` that holds now; the core opens new ones, keeps repeats and resolves the rest."""


@hookspec
def after_sync(practice: Any, changes: Any) -> None:
    """Called once a sync has committed, with its ``ChangeSet``, to act on what changed."""


@hookspec
def register_tasks(practice: Any) -> list[Any] | None:
    """Return ``ScheduledTask``s for the scheduled runner (reminders due, daily digests…)."""


@hookspec
def record_accessed(practice: Any, event: Any) -> None:
    """Called for every read, create, update, delete or export of a record that holds PHI."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands to the ``clinicops`` command group."""


@hookspec
def refresh_tables(practice: Any) -> None:
    """Recompute plugin-owned tables (summaries, suggestions) during a sync, before write-back."""


@hookspec
def register_channels(practice: Any) -> list[Any] | None:
    """Return notification ``Channel``s (email, SMS…) that other plugins can send ``Message``s through."""


@hookspec
def status_sections(practice: Any) -> list[Any] | None:
    """Return ``StatusSection``s for ``clinicops status`` (e.g. people with an expired required credential)."""
