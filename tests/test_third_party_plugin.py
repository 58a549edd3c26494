"""A plugin nobody here wrote, built from docs/plugins.md alone and installed as its own distribution.

It is laid out in a folder on ``PYTHONPATH`` the way pip installs a distribution (its module
and a ``.dist-info`` with the ``clinicops`` entry point), and driven through the real
``clinicops`` command in subprocesses: a setting, a table of its own, a field of its own
filled in for records that existed before it was switched on, an alert, a scheduled task
and a command of its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl

from .sheet_drivers import XlsxDriver
from .test_plugin_loading import install

CLINICOPS = str(Path(sys.executable).parent / "clinicops")

INITIALS = '''
"""Initials: a third-party plugin for clinicops, written from docs/plugins.md."""

import click
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from clinicops import Alert, ScheduledTask, hookimpl, open_practice, practice_option

NAME = "initials"
metadata = MetaData()
runs = Table(
    "initials_runs", metadata, Column("id", Integer, primary_key=True), Column("what", String(16)), Column("n", Integer)
)


@hookimpl
def plugin_settings_schema():
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {"greeting": {"type": "string", "default": "Hello"}},
    }


@hookimpl
def register_schemas():
    initials = {"type": "string", "x-title": "Initials", "x-owner": "plugin"}
    return [{"title": "patient", "properties": {"initials": initials}}]


@hookimpl
def prepare_storage(storage):
    storage.prepare(metadata)


@hookimpl
def compute_fields(entity, record):
    if entity != "patient":
        return None
    return {"initials": (record.get("first_name", "")[:1] + record.get("last_name", "")[:1]).upper()}


@hookimpl
def collect_alerts(practice):
    count = len(practice.records("patient"))
    greeting = practice.settings(NAME)["greeting"]
    return [Alert(key="count", message=f"{greeting}: {count} patients", severity="info")]


@hookimpl
def after_sync(practice, changes):
    created = len(changes.store_created.get("patient", []))
    practice.storage(NAME).execute(insert(runs).values(what="sync", n=created))


def tally(practice):
    practice.storage(NAME).execute(insert(runs).values(what="task", n=len(practice.records("patient"))))


@hookimpl
def register_tasks(practice):
    return [ScheduledTask("tally", run=tally, daily_at="06:00")]


@hookimpl
def register_commands(cli):
    @cli.command(name="initials-runs")
    @practice_option
    def initials_runs(practice_dir):
        """What the initials plugin recorded. Example: clinicops initials-runs"""
        practice = open_practice(practice_dir)
        with practice.view() as view:
            for row in view.storage(NAME).execute(select(runs).order_by(runs.c.id)):
                click.echo(f"{row.what} {row.n}")
'''


def clinicops(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([CLINICOPS, *args], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def enable(folder: Path, settings: str) -> None:
    config = folder / "practice.toml"
    text = re.sub(r"(?m)^enabled = \[", 'enabled = ["initials", ', config.read_text(), count=1)
    config.write_text(text + settings)


def test_a_third_party_plugin_uses_every_part_of_the_public_api(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(
        site,
        "clinicops-initials",
        {"clinicops_initials": textwrap.dedent(INITIALS)},
        {"initials": "clinicops_initials"},
    )
    folder = tmp_path / "practice"
    clinicops(site, "init", str(folder), "--name", "Initials Clinic")
    XlsxDriver(folder / "clinic.xlsx").append(
        "Patients",
        [
            {"First name": "Grace", "Last name": "Hopper", "Date of birth": "12/9/1956"},
            {"First name": "Alan", "Last name": "Turing", "Date of birth": "6/23/1962"},
        ],
    )
    clinicops(site, "sync", "-p", str(folder), "-s")  # before the plugin: two patients, no initials

    enable(folder, '\n[plugins.initials]\ngreeting = "Good morning"\n')
    listed = {
        e["name"]: e for e in json.loads(clinicops(site, "plugins", "--json", "-p", str(folder)).stdout)["plugins"]
    }
    assert listed["initials"]["enabled"] is True
    XlsxDriver(folder / "clinic.xlsx").append(
        "Patients", [{"First name": "Ada", "Last name": "Lovelace", "Date of birth": "12/10/1985"}]
    )
    report = json.loads(clinicops(site, "sync", "-p", str(folder), "--json").stdout)
    assert report["plugin_failures"] == []

    book = openpyxl.load_workbook(folder / "clinic.xlsx")
    patients = book["Patients"]
    headers = [c.value for c in patients[1]]
    shown = {
        (row[headers.index("First name")], row[headers.index("Initials")])
        for row in patients.iter_rows(min_row=2, values_only=True)
    }
    assert shown == {("Grace", "GH"), ("Alan", "AT"), ("Ada", "AL")}  # the first two filled in afterwards
    alerts = book["Alerts"]
    alert_headers = [c.value for c in alerts[1]]
    messages = [row[alert_headers.index("Message")] for row in alerts.iter_rows(min_row=2, values_only=True)]
    assert "Good morning: 3 patients" in messages  # the setting, in the plugin's alert

    clinicops(site, "run", "--task", "initials:tally", "-p", str(folder))
    assert clinicops(site, "initials-runs", "-p", str(folder)).stdout == "sync 1\ntask 3\n"
