"""Every hook a clinicops plugin can implement.

Built-in plugins use these and nothing else, exactly like third-party ones. Each hook
is called with keyword arguments; implement only the ones you need and accept only the
arguments you use. ``docs/plugins.md`` says for each hook when it runs, in which
transaction, whether it runs during ``--dry-run``, and what every argument holds; a test
keeps the two in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from clinicops.core.access import AccessEvent
    from clinicops.core.alerts import Alert
    from clinicops.core.notify import Channel
    from clinicops.core.plugin_storage import PluginStorage
    from clinicops.core.practice import PracticeView
    from clinicops.core.problems import FieldProblem
    from clinicops.core.report_sections import ReportPeriod, ReportSection
    from clinicops.core.sync_report import ChangeSet
    from clinicops.core.tasks import ScheduledTask, StatusSection

hookspec = pluggy.HookspecMarker("clinicops")
hookimpl = pluggy.HookimplMarker("clinicops")


@hookspec
def plugin_settings_schema() -> dict[str, Any] | None:
    """Return the JSON Schema of this plugin's ``[plugins.NAME]`` settings; defaults are applied from it."""


@hookspec
def register_schemas() -> list[dict[str, Any]] | None:
    """Return entity schemas this plugin adds, or extensions (same title) adding fields to an entity."""


@hookspec
def validate_record(practice: PracticeView, entity: str, record: dict[str, Any]) -> list[FieldProblem] | None:
    """Return ``FieldProblem``s for a record that passed its schema; each holds the row back like a bad cell."""


@hookspec
def compute_fields(practice: PracticeView, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """Return values for plugin-owned fields of a record that a sync just created or changed."""


@hookspec
def collect_alerts(practice: PracticeView) -> list[Alert] | None:
    """Return every ``Alert`` that holds now; the core opens new ones, keeps repeats and resolves the rest."""


@hookspec
def after_sync(practice: PracticeView, changes: ChangeSet) -> None:
    """Called once a sync has committed, with its ``ChangeSet``, to act on what changed."""


@hookspec
def register_tasks(practice: PracticeView) -> list[ScheduledTask] | None:
    """Return ``ScheduledTask``s for the scheduled runner (reminders due, daily digests…)."""


@hookspec
def records_accessed(practice: PracticeView, events: list[AccessEvent]) -> None:
    """Called with every read, create, update, delete or export of records that hold PHI, in
    batches: a sync reports the accesses of its merge in one call."""


@hookspec
def record_accessed(practice: PracticeView, event: AccessEvent) -> None:
    """Deprecated, kept for older plugins: called once per event of each ``records_accessed`` batch."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the ``clinicops`` command group."""


@hookspec
def refresh_tables(practice: PracticeView) -> None:
    """Recompute plugin-owned tables (summaries, suggestions) during a sync, before write-back."""


@hookspec
def register_channels(practice: PracticeView) -> list[Channel] | None:
    """Return notification ``Channel``s (email, SMS…) that other plugins can send ``Message``s through."""


@hookspec
def prepare_storage(storage: PluginStorage) -> None:
    """Create this plugin's own tables in the practice's store: call ``storage.prepare(metadata)``."""


@hookspec
def status_sections(practice: PracticeView) -> list[StatusSection] | None:
    """Return ``StatusSection``s for ``clinicops status`` (e.g. people with an expired required credential)."""


@hookspec
def report_sections(practice: PracticeView, period: ReportPeriod) -> list[ReportSection] | None:
    """Return ``ReportSection``s (figures with definitions, chart data) for the manager's report and Dashboard."""
