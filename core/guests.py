"""Plugins are guests: one plugin's failure never stops a sync or another plugin.

Every hook the engine calls during a sync goes through :class:`Guests`, which calls each
plugin on its own. A plugin that raises is left out of that hook's answers, named in a
``core`` alert (``core: plugin billing failed in collect_alerts: KeyError at
checks.py:41``) and logged with its traceback; the records and the other plugins carry
on. The alert names the exception's type and place, never its text, which may quote a
patient's cell.

The access log's ``records_accessed`` is deliberately not guarded: an access that cannot
be logged must stop the work that made it.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from clinicops.core.alerts import Alert

log = logging.getLogger("clinicops.plugins")

TRACE = bool(os.environ.get("CLINICOPS_TRACE_PLUGINS"))
"""``CLINICOPS_TRACE_PLUGINS=1`` logs every hook call of a sync with the time it took."""

CORE = "core"
"""The name core alerts are filed under, as if core were a plugin that is always on."""


@dataclass(frozen=True)
class PluginFailure:
    plugin: str
    hook: str
    error: str  # the exception's type and where it was raised

    def alert(self) -> Alert:
        return Alert(
            key=f"plugin-failed:{self.plugin}:{self.hook}",
            severity="critical",
            message=f"core: plugin {self.plugin} failed in {self.hook}: {self.error}. The sync completed without "
            f"that part of {self.plugin}; the log has the details. Update or disable the plugin.",
        )


def describe(exc: BaseException) -> str:
    """An exception as ``KeyError at checks.py:41``: its type and the innermost place it was raised."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else ""
    return f"{type(exc).__name__}{where}"


@dataclass
class Guests:
    """Calls hooks plugin by plugin and remembers which plugin failed where."""

    pm: pluggy.PluginManager
    failures: list[PluginFailure] = field(default_factory=list)

    def call(self, hook: str, **kwargs: Any) -> dict[str, Any]:
        """plugin name -> its answer, for every plugin implementing ``hook`` that did not fail."""
        out: dict[str, Any] = {}
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            started = time.perf_counter()
            try:
                out[impl.plugin_name] = impl.function(**args)
            except Exception as exc:
                self.failed(impl.plugin_name, hook, exc)
            if TRACE:
                log.info("%s.%s took %.1f ms", impl.plugin_name, hook, (time.perf_counter() - started) * 1000)
        return out

    def failed(self, plugin: str, hook: str, exc: Exception) -> None:
        failure = PluginFailure(plugin, hook, describe(exc))
        if failure not in self.failures:
            self.failures.append(failure)
        stack = "".join(traceback.format_tb(exc.__traceback__))
        log.error("plugin %s failed in %s (%s)\n%s", plugin, hook, failure.error, stack)

    def refused(self, plugin: str, hook: str, reason: str) -> None:
        """A plugin answered with something it may not do (a value for a field it does not own)."""
        failure = PluginFailure(plugin, hook, reason)
        if failure not in self.failures:
            self.failures.append(failure)
            log.warning("plugin %s in %s: %s", plugin, hook, reason)

    def failed_plugins(self, hook: str) -> set[str]:
        return {f.plugin for f in self.failures if f.hook == hook}

    def alerts(self) -> list[Alert]:
        return [f.alert() for f in self.failures]
