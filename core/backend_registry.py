"""Backends are plugins too: found in the ``clinicops.backends`` entry-point group, opened with their own settings.

A practice names its backend by ``[backend] type``; the entry point of that name is a
:class:`~clinicops.connectors.base.Backend` subclass. The built-in ``xlsx``, ``gsheets``
and ``airtable`` arrive this way, and a third party adds one (a CSV folder, a SQL table)
by declaring an entry point in the same group. The rest of the ``[backend]`` table is
the connector's own settings, checked against its ``settings_schema`` when the practice's
config is read; the connector is handed only those settings and the few facts about the
practice it needs (:class:`~clinicops.connectors.base.BackendSetup`), never the config.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from clinicops.connectors.base import Backend, BackendError, BackendSetup
from clinicops.core.guests import describe

if TYPE_CHECKING:
    from clinicops.core.config import PracticeConfig

GROUP = "clinicops.backends"


def available_backends() -> dict[str, EntryPoint]:
    """type name -> entry point, for every installed backend."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def backend_class(kind: str) -> type[Backend]:
    """The connector a ``[backend] type`` names; one sentence when it is unknown or will not load."""
    found = available_backends()
    if kind not in found:
        raise BackendError(
            f"no backend of type '{kind}' is installed (installed: {', '.join(sorted(found)) or 'none'})"
        )
    try:
        cls = found[kind].load()
    except Exception as exc:
        raise BackendError(
            f"The backend '{kind}' ({found[kind].value}) could not be loaded ({describe(exc)}); reinstall it"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendError(f"The backend '{kind}' ({found[kind].value}) is not a clinicops Backend class")
    return cls


def settings_of(backend: dict[str, Any]) -> dict[str, Any]:
    """The connector's own settings: the ``[backend]`` table without its ``type``."""
    return {k: v for k, v in backend.items() if k != "type"}


def setup_for(config: PracticeConfig) -> BackendSetup:
    """What the practice's connector is told: its settings and where the practice lives."""
    return BackendSetup(
        settings=settings_of(config.backend),
        practice_name=config.name,
        root=config.root,
        data_dir=config.data_dir,
        timezone=config.timezone,
        date_order=config.date_order,
        keep_backups=config.backups,
    )


def open_backend(config: PracticeConfig) -> Backend:
    """The practice's backend, ready to read (the caller closes it)."""
    return backend_class(str(config.backend["type"])).open(setup_for(config))
