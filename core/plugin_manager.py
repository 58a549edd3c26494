"""Finding, enabling and checking plugins.

Built-in and third-party plugins arrive the same way, through the ``clinicops``
entry-point group. A practice switches them on by name in ``practice.toml``; each
plugin's settings are checked against the schema it declares, with defaults filled in.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

import pluggy
from jsonschema import Draft202012Validator, validators

from clinicops.core import hookspecs
from clinicops.core.errors import ClinicopsError
from clinicops.core.guests import describe

GROUP = "clinicops"

# Plugins a practice may not switch off, and why: they serve a legal duty.
ESSENTIAL: dict[str, str] = {
    "access_log": "the HIPAA access log is required by 45 CFR 164.312(b) audit controls",
}


class PluginError(ClinicopsError, ValueError):
    """A plugin that cannot be enabled as configured; the message names it."""


def available_plugins() -> dict[str, Any]:
    """name -> entry point, for every installed plugin (only those named in
    ``CLINICOPS_LOAD_PLUGINS`` when it is set; an empty value loads none)."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    only = os.environ.get("CLINICOPS_LOAD_PLUGINS")
    if only is None:
        return found
    wanted = {n.strip() for n in only.split(",") if n.strip()}
    return {name: ep for name, ep in found.items() if name in wanted}


def load_plugin(name: str, ep: Any) -> Any:
    """Import one plugin; a plugin that cannot be imported is one sentence naming it."""
    try:
        return ep.load()
    except Exception as exc:
        raise PluginError(
            f"The plugin '{name}' ({ep.value}) could not be loaded ({describe(exc)}); "
            "reinstall it, or remove it from plugins.enabled"
        ) from exc


def loadable_plugins(names: Iterable[str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The installed plugins (or those of ``names``) that import, and one sentence per one that does not."""
    available = available_plugins()
    out: dict[str, Any] = {}
    problems: list[str] = []
    for name in sorted(available if names is None else set(names) & set(available)):
        try:
            out[name] = load_plugin(name, available[name])
        except PluginError as exc:
            problems.append(str(exc))
    return out, problems


def get_plugin_manager(enabled: Iterable[str] | None = None, disabled: Iterable[str] = ()) -> pluggy.PluginManager:
    """A fresh manager with the named plugins (all installed ones if None) plus essentials.

    Essential plugins are always on; naming one in ``disabled`` is refused with the reason.
    """
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for name in disabled:
        if name in ESSENTIAL:
            raise PluginError(f"The plugin '{name}' cannot be disabled: {ESSENTIAL[name]}")
    available = available_plugins()
    wanted = (set(available) if enabled is None else set(enabled)) - set(disabled)
    unknown = sorted(wanted - set(available))
    if unknown:
        raise PluginError(
            f"Unknown plugin '{unknown[0]}' in plugins.enabled (installed: {', '.join(sorted(available)) or 'none'})"
        )
    for name, ep in sorted(available.items()):
        if name in wanted or name in ESSENTIAL:
            pm.register(load_plugin(name, ep), name=name)
        else:
            pm.set_blocked(name)
    pm.check_pending()
    return pm


def block(pm: pluggy.PluginManager, name: str) -> None:
    """Switch a plugin off, refusing the essential ones with the reason."""
    if name in ESSENTIAL:
        raise PluginError(f"The plugin '{name}' cannot be disabled: {ESSENTIAL[name]}")
    pm.set_blocked(name)


def call_each(pm: pluggy.PluginManager, hook: str, **kwargs: Any) -> dict[str, Any]:
    """Call one hook plugin by plugin, to know which plugin answered what."""
    caller = getattr(pm.hook, hook)
    out: dict[str, Any] = {}
    for impl in caller.get_hookimpls():
        args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
        out[impl.plugin_name] = impl.function(**args)
    return out


def plugin_hooks(pm: pluggy.PluginManager) -> dict[str, list[str]]:
    """plugin name -> the hooks it implements."""
    out: dict[str, list[str]] = {}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        out[name] = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    return out


def _with_defaults() -> type:
    """A validator class that fills in ``default`` values while it validates."""
    base = Draft202012Validator

    def set_defaults(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(key, copy.deepcopy(sub["default"]))
        yield from base.VALIDATORS["properties"](validator, properties, instance, schema)

    return validators.extend(base, {"properties": set_defaults})


_DefaultingValidator = _with_defaults()


def resolve_settings(pm: pluggy.PluginManager, configured: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each enabled plugin's settings, checked against its schema, defaults applied."""
    schemas = call_each(pm, "plugin_settings_schema")
    enabled = {name for name, plugin in pm.list_name_plugin() if plugin is not None}
    stray = sorted(set(configured) - enabled)
    if stray:
        raise PluginError(
            f"[plugins.{stray[0]}] is configured but '{stray[0]}' is not enabled; "
            f"add it to plugins.enabled or remove the section"
        )
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(enabled):
        settings = copy.deepcopy(configured.get(name, {}))
        schema = schemas.get(name) or {"type": "object"}
        errors = sorted(_DefaultingValidator(schema).iter_errors(settings), key=lambda e: list(e.path))
        if errors:
            err = errors[0]
            key = ".".join(str(p) for p in err.path)
            where = f"plugins.{name}.{key}" if key else f"plugins.{name}"
            raise PluginError(f"Bad setting {where}: {err.message}")
        out[name] = settings
    return out
