"""Choosing and opening a practice's backend from its config."""

from __future__ import annotations

from typing import Any

from clinicops.connectors.base import Backend, BackendError
from clinicops.connectors.xlsx import XlsxBackend
from clinicops.core.config import PracticeConfig, resolve_path

DEFAULT_WORKBOOK = "clinic.xlsx"


def open_backend(config: PracticeConfig, **options: Any) -> Backend:
    """The configured backend, ready to read.

    ``emulate=True`` points a Google Sheets or Airtable practice at a loopback emulator
    started for this process, so the whole path can be tried without an account.
    """
    kind = config.backend["type"]
    if kind == "xlsx":
        if options.get("emulate"):
            raise BackendError("--emulate is for the gsheets and airtable backends; the workbook needs no account")
        path = resolve_path(config, config.backend.get("path", DEFAULT_WORKBOOK))
        return XlsxBackend(path, backup_dir=config.data_dir / "backups", keep_backups=config.backups, root=config.root)
    if kind == "gsheets":
        from clinicops.connectors.gsheets import GSheetsBackend

        return GSheetsBackend.from_config(config, **options)
    if kind == "airtable":
        from clinicops.connectors.airtable import AirtableBackend

        return AirtableBackend.from_config(config, **options)
    raise BackendError(f"Unknown backend type '{kind}' in practice.toml (use xlsx, gsheets or airtable)")
