"""The local workbook backend: read with python-calamine, written in place (see :mod:`.backend`)."""

from clinicops.connectors.xlsx.backend import WorkbookMissing, XlsxBackend, lock_files

__all__ = ["WorkbookMissing", "XlsxBackend", "lock_files"]
