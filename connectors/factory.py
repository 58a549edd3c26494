"""Choosing and opening a practice's backend from its config."""

from __future__ import annotations

from typing import Any

from clinicops.connectors.base import Backend, BackendError
from clinicops.connectors.xlsx import XlsxBackend
from clinicops.core.config import PracticeConfig, resolve_path

DEFAULT_WORKBOOK = "clinic.xlsx"


def open_backend(config: PracticeConfig, **options: Any) -> Backend:
    """The configured backend, ready to read; options are backend-specific (e.g. ``emulate``)."""
    kind = config.backend["type"]
    if kind == "xlsx":
        path = resolve_path(config, config.backend.get("path", DEFAULT_WORKBOOK))
        return XlsxBackend(path, backup_dir=config.data_dir / "backups", keep_backups=config.backups)
    raise BackendError(f"The '{kind}' backend is not available in this installation")
