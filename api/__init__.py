"""clinicops's public plugin API: everything a plugin imports, from one place.

A plugin, built in or third-party, imports from ``clinicops`` and nothing deeper::

    from clinicops import Alert, hookimpl

    @hookimpl
    def collect_alerts(practice):
        return [Alert(key="hello", message=f"{practice.name} says hello", severity="info")]

The names below are stable: they keep their meaning across minor releases. Anything
under ``clinicops.core`` or ``clinicops.connectors`` is the engine's own and may change.
``docs/plugins.md`` documents every hook and every argument.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from clinicops.core import private_files
from clinicops.core.access import AccessEvent
from clinicops.core.alerts import SEVERITIES, Alert, days_text
from clinicops.core.coercion.identifiers import npi_check_digit
from clinicops.core.errors import ClinicopsError, NotFound
from clinicops.core.hookspecs import hookimpl
from clinicops.core.local_time import shown as local_time
from clinicops.core.notify import Attachment, Channel, Delivery, Message
from clinicops.core.plugin_storage import PluginStorage, StorageError
from clinicops.core.practice import PracticeView
from clinicops.core.problems import FieldProblem
from clinicops.core.render import table as render_table
from clinicops.core.report_sections import Chart, Definition, Figure, ReportPeriod, ReportSection, Series
from clinicops.core.sync_report import ChangeSet
from clinicops.core.tasks import ScheduledTask, StatusSection

try:
    __version__ = version("clinicops")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "SEVERITIES",
    "AccessEvent",
    "Alert",
    "Attachment",
    "ChangeSet",
    "Channel",
    "Chart",
    "ClinicopsError",
    "Definition",
    "Delivery",
    "FieldProblem",
    "Figure",
    "Message",
    "NotFound",
    "PluginStorage",
    "PracticeView",
    "ReportPeriod",
    "ReportSection",
    "ScheduledTask",
    "Series",
    "StatusSection",
    "StorageError",
    "__version__",
    "collect_report",
    "days_text",
    "friendly",
    "hookimpl",
    "json_option",
    "local_time",
    "npi_check_digit",
    "open_practice",
    "practice_option",
    "private_files",
    "render_report",
    "render_table",
    "report_period",
]

# The command-line helpers a plugin's commands share with the core's, so both read alike;
# loaded on first use, as the CLI itself loads plugins.
_CLI_HELPERS = ("friendly", "json_option", "open_practice", "practice_option")
# The report's figures and page, loaded on first use: drawing charts needs matplotlib.
_REPORT = {
    "collect_report": ("clinicops.core.metrics", "collect"),
    "report_period": ("clinicops.core.metrics", "period_for"),
    "render_report": ("clinicops.core.report_page", "render"),
}


def __getattr__(name: str) -> object:
    if name in _REPORT:
        from importlib import import_module

        module, attribute = _REPORT[name]
        return getattr(import_module(module), attribute)
    if name in _CLI_HELPERS:
        from clinicops.core import cli

        return getattr(cli, name)
    raise AttributeError(f"module 'clinicops' has no attribute {name!r}")
