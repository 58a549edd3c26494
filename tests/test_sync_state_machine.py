"""The sync against a model of what staff meant, on the workbook and on Google Sheets: random
edits, syncs, crashes at each step of a sync and killed sync processes (see tests/sync_model.py).

The suite runs a bounded number of examples; ``benchmarks/soak.py`` runs the same machine
for thousands of steps.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

from .backend_gsheets import backend as gsheets_backend
from .conftest import xlsx_backend
from .sync_model import SyncModel

BOUNDED = settings(
    max_examples=8,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="clinicops-model-"))


class WorkbookModel(SyncModel):
    backend = staticmethod(xlsx_backend)
    folder_factory = staticmethod(_folder)
    kill_nine = True


class SheetsModel(SyncModel):
    backend = staticmethod(gsheets_backend)
    folder_factory = staticmethod(_folder)


TestWorkbookModel = WorkbookModel.TestCase
TestWorkbookModel.settings = BOUNDED
TestSheetsModel = SheetsModel.TestCase
TestSheetsModel.settings = BOUNDED
