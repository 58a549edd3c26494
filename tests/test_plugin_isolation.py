"""A plugin is a guest: when one fails, the sync and every other plugin carry on, and people are told."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from clinicops import Alert, FieldProblem, hookimpl

from .conftest import Clinic


class Flaky:
    """A plugin whose hooks fail while ``broken`` is set."""

    def __init__(self) -> None:
        self.broken = False

    def _maybe_fail(self) -> None:
        if self.broken:
            {}["severity"]  # the KeyError a plugin author meets when a dict lacks a key

    @hookimpl
    def collect_alerts(self, practice: Any) -> list[Alert]:
        self._maybe_fail()
        return [Alert(key="always", message="flaky's standing alert", severity="info")]


def alerts_by_plugin(clinic: Clinic, plugin: str) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in clinic.records("alert") if a["plugin"] == plugin}


def test_a_plugin_raising_in_collect_alerts_leaves_the_sync_complete_and_is_named(
    xlsx_clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = Flaky()
    xlsx_clinic.practice.pm.register(flaky, name="flaky")
    xlsx_clinic.sync()
    assert alerts_by_plugin(xlsx_clinic, "flaky")["flaky:always"]["status"] == "open"

    flaky.broken = True
    xlsx_clinic.sheet.append("Patients", [{"First name": "Ada", "Last name": "Byron", "Date of birth": "12/10/1815"}])
    with caplog.at_level(logging.ERROR, logger="clinicops.plugins"):
        report = xlsx_clinic.sync()
    assert report.entity("patient").created == 1  # the records synced
    # what the plugin said before stays as it was: a plugin that could not look resolves nothing
    assert alerts_by_plugin(xlsx_clinic, "flaky")["flaky:always"]["status"] == "open"
    [core] = alerts_by_plugin(xlsx_clinic, "core").values()
    assert core["id"] == "core:plugin-failed:flaky:collect_alerts"
    assert core["severity"] == "critical" and core["status"] == "open"
    assert core["message"].startswith(
        "core: plugin flaky failed in collect_alerts: KeyError at test_plugin_isolation.py"
    )
    assert report.plugin_failures == [core["message"]]
    assert any(r["Plugin"] == "core" for r in xlsx_clinic.sheet.rows("Alerts"))
    assert "plugin flaky failed in collect_alerts" in caplog.text and "Traceback" not in caplog.text
    assert "_maybe_fail" in caplog.text  # the stack is in the log for whoever fixes the plugin

    flaky.broken = False
    xlsx_clinic.sync()
    assert alerts_by_plugin(xlsx_clinic, "core")["core:plugin-failed:flaky:collect_alerts"]["status"] == "resolved"


def test_other_plugins_keep_working_while_one_fails_in_every_hook(xlsx_clinic: Clinic) -> None:
    class Broken:
        @hookimpl
        def validate_record(self, practice: Any, entity: str, record: dict[str, Any]) -> list[FieldProblem]:
            raise RuntimeError("validate")

        @hookimpl
        def compute_fields(self, practice: Any, entity: str, record: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("compute")

        @hookimpl
        def refresh_tables(self, practice: Any) -> None:
            raise RuntimeError("refresh")

        @hookimpl
        def after_sync(self, practice: Any, changes: Any) -> None:
            raise RuntimeError("after")

    class Fine:
        @hookimpl
        def collect_alerts(self, practice: Any) -> list[Alert]:
            return [Alert(key="n", message=f"{len(practice.records('patient'))} patients", severity="info")]

    xlsx_clinic.practice.pm.register(Broken(), name="broken")
    xlsx_clinic.practice.pm.register(Fine(), name="fine")
    report = xlsx_clinic.sync()
    assert report.entity("patient").created == 5 and report.entity("patient").errors == []
    assert alerts_by_plugin(xlsx_clinic, "fine")["fine:n"]["message"] == "5 patients"
    failed = {a["id"].rsplit(":", 1)[1] for a in alerts_by_plugin(xlsx_clinic, "core").values()}
    assert failed == {"validate_record", "compute_fields", "refresh_tables", "after_sync"}
    assert len(report.plugin_failures) == 4
