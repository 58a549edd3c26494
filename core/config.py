"""A practice's ``practice.toml``: who it is, where its sheets live, what is switched on.

Secrets never live here: a backend names the environment variable or the file that holds
its token, and clinicops reads it at the moment of use.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomlkit
from jsonschema import Draft202012Validator
from sqlalchemy.engine import make_url

from clinicops.connectors.base import BackendError
from clinicops.core.backend_registry import backend_class, settings_of
from clinicops.core.clock import clock_from_settings
from clinicops.core.errors import ClinicopsError
from clinicops.core.store_engine import default_schema, is_postgres

CONFIG_NAME = "practice.toml"

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["practice", "backend"],
    "additionalProperties": False,
    "properties": {
        "practice": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "timezone": {"type": "string"},
                "phone_region": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "date_order": {"enum": ["MDY", "DMY", "YMD"]},
            },
        },
        "backend": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "minLength": 1}},
        },
        "store": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "url": {"type": "string", "minLength": 1},
                "url_env": {"type": "string", "minLength": 1},
                "schema": {"type": "string", "pattern": "^[a-z_][a-z0-9_]{0,62}$"},
                "data_dir": {"type": "string"},
            },
        },
        "sync": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "entities": {"type": "array", "items": {"type": "string"}},
                "max_delete": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "backups": {"type": "integer", "minimum": 0},
                "actor": {"type": "string"},
            },
        },
        "schedule": {"type": "object"},
        "clock": {
            "type": "object",
            "additionalProperties": False,
            "maxProperties": 1,
            "properties": {
                "today": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
                "now": {"type": "string", "minLength": 10},
            },
        },
        "plugins": {
            "type": "object",
            "properties": {
                "enabled": {"type": "array", "items": {"type": "string"}},
                "disabled": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}


class ConfigError(ClinicopsError, ValueError):
    """A practice.toml that cannot be used; the message names the file and the key."""


# A key naming a secret's value (not where it lives: ``*_env`` and ``*_file`` are fine).
_SECRET_KEY = re.compile(r"token|secret|passw|pwd|key|credential|auth|bearer|cookie", re.IGNORECASE)
_SECRET_PLACE = re.compile(r"_(env|file)$")


def check_backend_keys(backend: dict[str, Any], file: Path) -> None:
    """Check ``[backend]`` against its connector's settings schema: a key it does not read is refused,
    named as the typo it is (``token_fiel``) or as a secret put in the wrong place."""
    kind = str(backend.get("type"))
    try:
        schema = backend_class(kind).settings_schema
    except BackendError as exc:
        raise ConfigError(f"{file}: backend.type: {exc}") from None
    settings = settings_of(backend)
    allowed = set(schema.get("properties", {}))
    for key in sorted(set(settings) - allowed):
        typo = difflib.get_close_matches(key, allowed, n=1, cutoff=0.8)
        if typo:
            raise ConfigError(f"{file}: backend.{key}: not a setting of the {kind} backend; did you mean {typo[0]}?")
        if _SECRET_KEY.search(key) and not _SECRET_PLACE.search(key):
            raise ConfigError(
                f"{file}: backend.{key}: secrets don't belong in practice.toml; "
                f"name an environment variable ({key}_env) or a file ({key}_file) instead"
            )
    errors = sorted(Draft202012Validator(schema).iter_errors(settings), key=lambda e: list(e.path))
    if not errors:
        return
    first = errors[0]
    if first.validator == "additionalProperties":
        unknown = sorted(set(settings) - allowed)
        raise ConfigError(
            f"{file}: backend.{unknown[0]}: not a setting of the {kind} backend "
            f"(it takes {', '.join(sorted(allowed)) or 'no settings'})"
        )
    where = ".".join(str(p) for p in first.path)
    raise ConfigError(f"{file}: backend{'.' + where if where else ''}: {first.message}")


@dataclass
class PracticeConfig:
    """The parsed, checked contents of one ``practice.toml``."""

    root: Path
    name: str
    timezone: ZoneInfo
    phone_region: str
    date_order: str
    backend: dict[str, Any]
    store_url: str
    data_dir: Path
    entities: list[str] | None
    max_delete: float
    backups: int
    actor: str
    enabled_plugins: list[str]
    disabled_plugins: list[str] = field(default_factory=list)
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    clock: dict[str, str] = field(default_factory=dict)
    # The practice's own schema when the store is on PostgreSQL (see core.store_engine).
    store_schema: str | None = None

    @property
    def schema_dir(self) -> Path:
        return self.root / "schemas"


def load_config(path: Path) -> PracticeConfig:
    """Read a practice folder (or its ``practice.toml``) and check every key."""
    path = Path(path)
    file = path / CONFIG_NAME if path.is_dir() else path
    if not file.exists():
        raise ConfigError(f"No {CONFIG_NAME} in {file.parent}; run 'clinicops init {file.parent}' first")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    return parse_config(raw, file)


def parse_config(raw: dict[str, Any], file: Path) -> PracticeConfig:
    errors = sorted(Draft202012Validator(CONFIG_SCHEMA).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path) or "top level"
        raise ConfigError(f"{file}: {where}: {first.message}")
    root = file.parent.resolve()
    practice = raw["practice"]
    tz_name = practice.get("timezone", "America/New_York")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{file}: practice.timezone: unknown time zone '{tz_name}'") from None
    store = raw.get("store", {})
    data_dir = _inside(root, store.get("data_dir", "data"), file, "store.data_dir")
    sync = raw.get("sync", {})
    plugins = dict(raw.get("plugins", {}))
    enabled = list(plugins.pop("enabled", []))
    disabled = list(plugins.pop("disabled", []))
    bad = [k for k, v in plugins.items() if not isinstance(v, dict)]
    if bad:
        raise ConfigError(f"{file}: plugins.{bad[0]}: plugin settings go in a [plugins.{bad[0]}] table")
    backend = dict(raw["backend"])
    check_backend_keys(backend, file)
    store_url = _store_url(store, data_dir, file)
    return PracticeConfig(
        root=root,
        name=practice["name"],
        timezone=tz,
        phone_region=practice.get("phone_region", "US"),
        date_order=practice.get("date_order", "MDY"),
        backend=backend,
        store_url=store_url,
        store_schema=store.get("schema", default_schema(root.name)) if is_postgres(store_url) else None,
        data_dir=data_dir,
        entities=sync.get("entities"),
        max_delete=float(sync.get("max_delete", 0.2)),
        backups=int(sync.get("backups", 10)),
        actor=sync.get("actor", "sync"),
        enabled_plugins=enabled,
        disabled_plugins=disabled,
        plugin_settings=plugins,
        schedule=dict(raw.get("schedule", {})),
        clock=_checked_clock(raw.get("clock", {}), tz, file),
    )


def _store_url(store: dict[str, Any], data_dir: Path, file: Path) -> str:
    """``[store] url``, or the URL in the environment variable ``url_env`` names (a URL with a
    password stays out of practice.toml); SQLite in ``data_dir`` when neither is set."""
    if "url" in store and "url_env" in store:
        raise ConfigError(f"{file}: store: set url or url_env, not both")
    if "url_env" in store:
        url = os.environ.get(store["url_env"], "")
        if not url:
            raise ConfigError(f"{file}: store.url_env: the environment variable {store['url_env']} is not set")
        return url
    url = str(store.get("url", f"sqlite:///{data_dir / 'clinicops.db'}"))
    if is_postgres(url) and make_url(url).password:
        raise ConfigError(
            f"{file}: store.url: a password doesn't belong in practice.toml; "
            "put the URL in an environment variable and name it with url_env"
        )
    return url


def _checked_clock(settings: dict[str, str], tz: ZoneInfo, file: Path) -> dict[str, str]:
    """The ``[clock]`` table, with its date or moment known to parse."""
    try:
        clock_from_settings(settings, tz)
    except ValueError as exc:
        key = next(iter(settings), "clock")
        raise ConfigError(f"{file}: clock.{key}: not a date or time clinicops can read ({exc})") from None
    return dict(settings)


def pin_clock(file: Path, day: date) -> None:
    """Add a ``[clock]`` table to a ``practice.toml`` so every later run sees ``day`` as today."""
    text = file.read_text(encoding="utf-8")
    if "\n[clock]" in text or text.startswith("[clock]"):
        raise ConfigError(f"{file}: the clock is already pinned; edit its [clock] table instead")
    pinned = (
        "\n# Every sync, report and task sees this date as today (remove the table to follow the real date).\n"
        f'[clock]\ntoday = "{day.isoformat()}"\n'
    )
    file.write_text(text.rstrip("\n") + "\n" + pinned, encoding="utf-8")


def replace_backend(file: Path, backend: dict[str, Any]) -> None:
    """Point a ``practice.toml`` at another backend: its ``[backend]`` table becomes ``backend``."""
    document = tomlkit.parse(file.read_text(encoding="utf-8"))
    table = tomlkit.table()
    for key, value in backend.items():
        table[key] = value
    document["backend"] = table
    file.write_text(tomlkit.dumps(document), encoding="utf-8")


def _inside(root: Path, value: str, file: Path, key: str) -> Path:
    """A folder named relative to the practice stays inside it; one elsewhere is named by an absolute path."""
    p = Path(value).expanduser()
    if p.is_absolute():
        return p.resolve()
    full = (root / p).resolve()
    if not full.is_relative_to(root):
        raise ConfigError(
            f"{file}: {key}: '{value}' is outside the practice folder; give an absolute path to keep it elsewhere"
        )
    return full
