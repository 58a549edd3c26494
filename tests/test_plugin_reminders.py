"""Appointment reminders: the rules (pure), the words (sandboxed templates, minimum PHI), the
at-most-once ledger (races, failures, a crash between send and record), STOP, no-show
tracking, and the acceptance run: the scheduled runner over a simulated clock across both
DST changes, delivering to a real SMTP server."""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest
import time_machine
from click.testing import CliRunner

from clinicops.core import operations
from clinicops.core.access import AccessEvent
from clinicops.core.cli import cli
from clinicops.core.clock import PinnedClock
from clinicops.core.hookspecs import hookimpl
from clinicops.core.plugin_manager import get_plugin_manager
from clinicops.core.practice import Practice
from clinicops.core.runner import Runner
from clinicops.plugins.reminders import ledger, noshows, planning
from clinicops.plugins.reminders.settings import SCHEMA, Settings

from .conftest import Clinic, write_config
from .smtp_server import SmtpServer, smtp_server

NY = ZoneInfo("America/New_York")
UTC = dt.UTC
STEP = dt.timedelta(minutes=15)
CH = ("sms", "email")


def clinicops() -> click.Group:
    """The command line as installed: the core commands plus those the plugins add."""
    group = click.Group(commands=dict(cli.commands))
    get_plugin_manager(None).hook.register_commands(cli=group)
    return group


def settings(**overrides: Any) -> Settings:
    return Settings.of({k: v["default"] for k, v in SCHEMA["properties"].items()} | overrides)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def appt(aid: str, start: dt.datetime, status: str = "scheduled", patient: str = "P1", **more: Any) -> dict[str, Any]:
    return {"id": aid, "patient_id": patient, "provider_id": "PR1", "start": utc_text(start), "status": status, **more}


PATIENT = {"id": "P1", "email": "p1@example.org", "phone": "+16175550101", "reminder_consent": "both"} | {
    "preferred_channel": "email"
}


def plan_at(now: dt.datetime, appointments: list[dict[str, Any]], patient: dict[str, Any] = PATIENT, **kw: Any) -> list:
    due = planning.due(
        appointments,
        {patient["id"]: patient},
        now=now,
        tz=NY,
        settings=settings(**kw.pop("settings", {})),
        available=kw.pop("available", ("sms", "email")),
        taken=kw.pop("taken", set()),
    )
    return [(r.appointment_id, r.offset_minutes // 60, r.channel) for r in due]


# --------------------------------------------------------------------------- the rules, pure


def test_each_offset_comes_due_and_a_reminder_too_late_is_superseded() -> None:
    a = [appt("A1", local(2026, 11, 25, 10))]
    assert plan_at(local(2026, 11, 23, 9, 59), a) == []
    assert plan_at(local(2026, 11, 23, 10, 0), a) == [("A1", 48, "email")]
    assert plan_at(local(2026, 11, 25, 8, 0), a) == [("A1", 2, "email")]
    assert plan_at(local(2026, 11, 25, 10, 0), a) == []


def test_quiet_hours_defer_a_reminder_until_they_end_but_never_past_the_start() -> None:
    early = [appt("A1", local(2026, 11, 25, 8, 30)), appt("A2", local(2026, 11, 25, 8, 0))]
    assert plan_at(local(2026, 11, 25, 7, 45), early) == []
    assert plan_at(local(2026, 11, 25, 8, 0), early) == [("A1", 2, "email")]
    assert plan_at(local(2026, 11, 24, 22, 0), [appt("A3", local(2026, 11, 26, 22))]) == []
    assert plan_at(local(2026, 11, 24, 22, 0), [appt("A3", local(2026, 11, 26, 22))], settings={"quiet_hours": ""}) == [
        ("A3", 48, "email")
    ]


@pytest.mark.parametrize("status", ["cancelled", "completed", "checked-in", "no-show"])
def test_a_closed_appointment_is_never_reminded(status: str) -> None:
    assert plan_at(local(2026, 11, 25, 9), [appt("A1", local(2026, 11, 25, 10), status)]) == []


@pytest.mark.parametrize(
    ("patient", "available", "fallback", "expected"),
    [
        ({"reminder_consent": "both", "preferred_channel": "sms"}, ("sms", "email"), True, "sms"),
        ({"reminder_consent": "both", "preferred_channel": "email"}, ("sms", "email"), True, "email"),
        ({"reminder_consent": "email", "preferred_channel": "sms"}, ("sms", "email"), True, "email"),
        ({"reminder_consent": "email", "preferred_channel": "sms"}, ("sms", "email"), False, None),
        ({"reminder_consent": "sms", "preferred_channel": "phone"}, ("sms", "email"), True, "sms"),
        ({"reminder_consent": "sms", "preferred_channel": "sms"}, ("email",), True, None),
        ({"reminder_consent": "none", "preferred_channel": "sms"}, ("sms", "email"), True, None),
        ({"preferred_channel": "email"}, ("sms", "email"), True, None),
        ({"reminder_consent": "both", "preferred_channel": "sms", "phone": None}, ("sms", "email"), True, "email"),
    ],
)
def test_channel_is_the_preferred_one_and_only_ever_a_consented_one(
    patient: dict[str, Any], available: tuple[str, ...], fallback: bool, expected: str | None
) -> None:
    person = {"id": "P1", "email": "p1@example.org", "phone": "+16175550101"} | patient
    choice = planning.choose_channel(person, available, fallback)
    assert (choice[0] if choice else None) == expected


def test_the_ledger_keys_on_the_start_so_a_moved_appointment_gets_fresh_reminders() -> None:
    now = local(2026, 11, 23, 12)
    [first] = planning.due(
        [appt("A1", local(2026, 11, 25, 11))],
        {"P1": PATIENT},
        now=now,
        tz=NY,
        settings=settings(),
        available=CH,
        taken=set(),
    )
    taken = {first.slot}
    moved = [appt("A1", local(2026, 11, 25, 11, 30))]
    assert plan_at(now, [appt("A1", local(2026, 11, 25, 11))], taken=taken) == []
    assert plan_at(now, moved, taken=taken) == [("A1", 48, "email")]
    assert first.key == "reminder:A1:2026-11-25T16:00:00Z:2880m:email"


# --------------------------------------------------------------------------- no-shows, pure


def test_no_show_rate_per_provider_per_week_counts_only_visits_that_were_due() -> None:
    week_46 = [
        appt("A1", local(2026, 11, 9, 9), "no-show", provider_id="PR1"),
        appt("A2", local(2026, 11, 10, 9), "completed", provider_id="PR1"),
        appt("A3", local(2026, 11, 11, 9), "checked-in", provider_id="PR1"),
        appt("A4", local(2026, 11, 12, 9), "cancelled", provider_id="PR1"),
        appt("A5", local(2026, 11, 13, 9), "completed", provider_id="PR2"),
    ]
    week_47 = [
        appt("A6", local(2026, 11, 16, 9), "no-show", provider_id="PR2"),
        appt("A7", local(2026, 11, 22, 23, 30), "no-show", provider_id="PR2"),  # Sunday night, local
        appt("A8", local(2026, 11, 20, 9), "scheduled", provider_id="PR2"),
    ]
    old = [appt("A9", local(2026, 10, 1, 9), "no-show", provider_id="PR1")]
    rows = noshows.weekly_rates(week_46 + week_47 + old, NY, local(2026, 11, 23, 12), weeks=3)
    assert [(r.week, r.provider_id, r.no_shows, r.kept, r.rate) for r in rows] == [
        ("2026-W46", "PR1", 1, 2, pytest.approx(1 / 3)),
        ("2026-W46", "PR2", 0, 1, 0.0),
        ("2026-W46", "all", 1, 3, 0.25),
        ("2026-W47", "PR2", 2, 0, 1.0),
        ("2026-W47", "all", 2, 0, 1.0),
    ]


def test_overdue_and_repeat_no_shows_on_a_fixture() -> None:
    now = local(2026, 11, 23, 12)
    rows = [
        appt("A1", local(2026, 11, 23, 10), duration_min=30),
        appt("A2", local(2026, 11, 23, 11), "confirmed", duration_min=15),
        appt("A3", local(2026, 11, 20, 9), "completed"),
        *[appt(f"N{i}", local(2026, 11, 2 + i, 9), "no-show", patient="P7") for i in range(3)],
        *[appt(f"M{i}", local(2025, 1, 2 + i, 9), "no-show", patient="P8") for i in range(3)],
    ]
    assert [a["id"] for a in noshows.overdue(rows, now, dt.timedelta(minutes=60))] == ["A1"]
    [repeat] = noshows.repeat_no_shows(rows, now, dt.timedelta(days=365), 3)
    assert (repeat.patient_id, repeat.count, repeat.last) == ("P7", 3, local(2026, 11, 4, 9))


# --------------------------------------------------------------------------- a practice


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def email_settings(port: int) -> str:
    server = f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    return f'\n[plugins.email]\n{server}from_address = "desk@clinic.example.org"\n'


def reminder_clinic(
    clinic: Clinic, appointments: list[dict[str, Any]], extra: str, plugins: tuple[str, ...] = ("reminders", "email")
) -> Runner:
    """The fixture clinic with these appointment rows, the plugins on, synced; a runner for it."""
    write_config(clinic.folder, plugins=list(plugins), extra=extra, entities=["provider", "patient", "appointment"])
    clinic.reopen()
    clinic.sheet.append("Appointments", appointments)
    clinic.sync()
    return Runner(clinic.practice)


def visit(aid: str, patient: str, start: dt.datetime, status: str = "scheduled", **more: Any) -> dict[str, Any]:
    row = {"ID": aid, "Patient": patient, "Provider": "PR000001", "Start": start.replace(tzinfo=None), "Status": status}
    return row | {"Minutes": 30} | more


def alerts_of(clinic: Clinic, plugin: str = "reminders") -> dict[str, str]:
    return {a["id"]: a["message"] for a in clinic.records("alert") if a["plugin"] == plugin and a["status"] == "open"}


def test_message_names_practice_provider_local_time_and_never_the_reason(xlsx_clinic: Clinic, smtp: SmtpServer) -> None:
    rows = [visit("A000001", "P000001", local(2026, 11, 25, 14, 30), Type="telehealth", Reason="Chest pain, R07.9")]
    extra = email_settings(smtp.port) + '\n[plugins.reminders]\npractice_phone = "(617) 555-0100"\n'
    events: list[AccessEvent] = []

    class Log:
        @hookimpl
        def record_accessed(self, event: AccessEvent) -> None:
            events.append(event)

    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False):
        runner = reminder_clinic(xlsx_clinic, rows, extra)
        xlsx_clinic.practice.pm.register(Log())
        assert runner.run_job(runner.job("reminders:send-reminders")) == "ok"
    [read] = [e for e in events if e.action == "read"]
    assert (read.source, read.entity, read.record_id) == ("plugin:reminders", "patient", "P000001")
    assert (read.fields, read.purpose) == (("email",), "appointment reminder")
    assert [(e.action, e.entity, e.fields) for e in events if e.action != "read"] == [
        ("update", "appointment", ("reminder_sent_at",))
    ]
    [got] = smtp.messages
    assert got.rcpt == ("grace@example.org",)
    assert got.subject == "Appointment reminder: Wednesday, November 25, 2026 at 2:30 PM EST"
    assert got.body == (
        "Hello,\n\nThis is a reminder of your telehealth (video) visit with Dr. Ada Lovelace at Test Clinic:\n\n"
        "    Wednesday, November 25, 2026 at 2:30 PM EST\n    (30 minutes)\n\n"
        "To confirm, cancel or reschedule, call us at (617) 555-0100.\n\n"
        "If you no longer want appointment reminders, please let the front desk know.\n\nTest Clinic\n"
    )
    assert "Chest" not in got.body + got.subject and "R07" not in got.body


def test_visit_type_is_left_out_when_configured_off(xlsx_clinic: Clinic, smtp: SmtpServer) -> None:
    rows = [visit("A000001", "P000001", local(2026, 11, 25, 14, 30), Type="procedure", Reason="Mole removal")]
    extra = email_settings(smtp.port) + "\n[plugins.reminders]\ninclude_type = false\n"
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False):
        runner = reminder_clinic(xlsx_clinic, rows, extra)
        runner.run_job(runner.job("reminders:send-reminders"))
    [got] = smtp.messages
    assert "reminder of your appointment with Dr. Ada Lovelace" in got.body
    assert "procedure" not in got.body.lower() and "mole" not in got.body.lower()


def test_practice_templates_override_the_wording_and_an_unsafe_one_fails_safely(
    xlsx_clinic: Clinic, smtp: SmtpServer
) -> None:
    folder = xlsx_clinic.folder / "templates"
    folder.mkdir()
    (folder / "reminder_email_subject.j2").write_text("See you {{ appointment.date }}, {{ appointment.time }}")
    (folder / "reminder_email.j2").write_text("Config: {{ ''.__class__.__mro__[1].__subclasses__() }}")
    rows = [visit("A000001", "P000001", local(2026, 11, 25, 14, 30), Reason="Chest pain")]
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False):
        runner = reminder_clinic(xlsx_clinic, rows, email_settings(smtp.port))
        runner.run_job(runner.job("reminders:send-reminders"))
        xlsx_clinic.sync()
    [got] = smtp.messages
    assert got.subject == "See you Wednesday, November 25, 2026, 2:30 PM"
    assert got.body.startswith("Hello,\n\nThis is a reminder of your appointment") and "class" not in got.body
    message = alerts_of(xlsx_clinic)["reminders:template-reminder_email"]
    assert "reminder_email.j2 cannot be used (SecurityError: access to attribute '__class__'" in message


def test_smtp_not_set_up_is_never_counted_as_sent_and_is_retried(xlsx_clinic: Clinic, smtp: SmtpServer) -> None:
    rows = [visit("A000001", "P000001", local(2026, 11, 25, 14, 30))]
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False) as clock:
        retries = "\n[plugins.reminders]\nmax_attempts = 2\n"
        runner = reminder_clinic(xlsx_clinic, rows, retries)
        runner.run_job(runner.job("reminders:send-reminders"))
        xlsx_clinic.sync()
        assert xlsx_clinic.record("appointment", "A000001").get("reminder_sent_at") is None
        [failed] = alerts_of(xlsx_clinic).values()
        assert "48 h reminder for appointment A000001 by email was not sent (SMTP is not set up" in failed
        assert failed.endswith("it will be tried again.")
        clock.shift(dt.timedelta(minutes=5))
        runner.run_job(runner.job("reminders:send-reminders"))
        clock.shift(dt.timedelta(minutes=5))
        runner.run_job(runner.job("reminders:send-reminders"))  # two attempts made: no third
        xlsx_clinic.sync()
        [gave_up] = alerts_of(xlsx_clinic).values()
        assert gave_up.endswith("gave up after 2 attempts.")
        with xlsx_clinic.practice.view() as view:
            [row] = ledger.rows(view.storage("reminders"))
        assert (row.state, row.attempts) == ("failed", 2)
        write_config(xlsx_clinic.folder, plugins=["reminders", "email"], extra=email_settings(smtp.port) + retries)
        xlsx_clinic.reopen()
        runner = Runner(xlsx_clinic.practice)
        runner.run_job(runner.job("reminders:send-reminders"))
        assert smtp.messages == []  # the server works now, but the reminder was given up
        resolved = CliRunner().invoke(
            clinicops(), ["reminders", "resolve", str(row.id), "--not-sent", "-p", str(xlsx_clinic.folder)]
        )
        assert resolved.exit_code == 0, resolved.output
        runner.run_job(runner.job("reminders:send-reminders"))
        runner.run_job(runner.job("reminders:send-reminders"))
        xlsx_clinic.sync()
    assert len(smtp.messages) == 1
    assert alerts_of(xlsx_clinic) == {}
    assert xlsx_clinic.record("appointment", "A000001")["reminder_sent_at"] == utc_text(local(2026, 11, 23, 15, 10))


def test_a_dry_run_sync_before_any_reminder_leaves_everything_working(xlsx_clinic: Clinic, smtp: SmtpServer) -> None:
    write_config(xlsx_clinic.folder, plugins=["reminders", "email", "sms"], extra=email_settings(smtp.port))
    xlsx_clinic.reopen()
    xlsx_clinic.sheet.append("Appointments", [visit("A000001", "P000001", local(2026, 11, 25, 14, 30))])
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False):
        xlsx_clinic.sync(dry_run=True)
        xlsx_clinic.sync()
        runner = Runner(xlsx_clinic.practice)
        assert set(runner.run_due().values()) == {"ok"}
        xlsx_clinic.sync(dry_run=True)
        xlsx_clinic.sync()
    assert len(smtp.messages) == 1
    assert xlsx_clinic.record("appointment", "A000001")["reminder_sent_at"] == "2026-11-23T20:00:00Z"


def test_two_processes_racing_for_the_same_reminder_send_it_once(xlsx_clinic: Clinic, smtp: SmtpServer) -> None:
    rows = [visit(f"A00000{i}", "P000001", local(2026, 11, 25, 10 + i)) for i in range(1, 5)]
    smtp.on_message = lambda received: time.sleep(0.05)
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False):
        reminder_clinic(xlsx_clinic, rows, email_settings(smtp.port))
        practices = [Practice.open(xlsx_clinic.folder) for _ in range(2)]
        runners = [Runner(p) for p in practices]
        start = threading.Barrier(2)

        def race(runner: Runner) -> None:
            start.wait()
            runner.run_job(runner.job("reminders:send-reminders"))

        threads = [threading.Thread(target=race, args=(r,)) for r in runners]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        later = planning.Reminder(
            "A9", "P000001", "PR000001", "2026-11-30T15:00:00Z", dt.timedelta(hours=2), "email", "x"
        )
        claims = []
        for p in practices:
            with p.view() as view:
                claims.append(ledger.reserve(view.storage("reminders"), later, view.now(), 5))
    ids = sorted(m.message["Message-ID"] for m in smtp.messages)
    assert len(ids) == 4 and len(set(ids)) == 4
    assert claims[0] is not None and claims[1] is None


def test_an_sms_reminder_goes_through_the_file_outbox_and_a_stop_reply_ends_them(xlsx_clinic: Clinic) -> None:
    rows = [visit("A000001", "P000002", local(2026, 11, 25, 14, 30), Reason="Asthma review")]
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False) as clock:
        runner = reminder_clinic(xlsx_clinic, rows, "", plugins=("reminders", "sms"))
        runner.run_job(runner.job("reminders:send-reminders"))
        inbox = xlsx_clinic.folder / "data" / "sms" / "inbox.jsonl"
        inbox.write_text(json.dumps({"id": "r1", "from": "+16175550102", "body": "STOP"}) + "\n")
        runner.run_job(runner.job("sms:receive"))
        clock.move_to(local(2026, 11, 25, 12, 30))
        runner.run_job(runner.job("reminders:send-reminders"))
        xlsx_clinic.sync()
    [text, confirmation] = [
        json.loads(line) for line in (xlsx_clinic.folder / "data" / "sms" / "outbox.jsonl").read_text().splitlines()
    ]
    assert text["to"] == "+16175550102" and text["key"].endswith(":2880m:sms")
    assert text["body"] == (
        "Test Clinic: reminder of your appointment with Dr. Ada Lovelace, Wed Nov 25, 2:30 PM EST. To change it, "
        "call the office. Reply STOP to opt out."
    )
    assert confirmation["body"] == "Test Clinic: you will get no more texts from us. Reply START to get them again."
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "none"
    [row] = [r for r in xlsx_clinic.sheet.rows("Patients") if r["MRN"] == "P000002"]
    assert row["Reminder consent"] == "none"


def test_no_show_tracking_on_the_demo_practice(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    operations.create_demo(folder, today=dt.date(2026, 11, 23))
    config = (folder / "practice.toml").read_text()
    (folder / "practice.toml").write_text(re.sub(r"(?m)^enabled = \[", 'enabled = ["reminders", ', config, count=1))
    practice = Practice.open(folder, clock=PinnedClock(local(2026, 11, 23, 7, 0), frozen=True))
    operations.sync(practice)
    info = operations.status(practice)
    mine = {a["id"].split(":", 1)[1]: a for a in operations.alerts(practice, plugin="reminders", open_only=True)}
    repeats = sorted(k for k in mine if k.startswith("repeat-no-show-"))
    assert repeats == ["repeat-no-show-P000024", "repeat-no-show-P000118", "repeat-no-show-P000168"]
    assert "Patient P000024 missed 3 appointments in the last 365 days" in mine[repeats[0]]["message"]
    overdue = [a for k, a in mine.items() if k.startswith("overdue-")]
    assert len(overdue) == 5 and all("is past and still 'scheduled'" in a["message"] for a in overdue)
    sections = {s["title"]: s for s in info["sections"]}
    assert [r[0] for r in sections["Patients with 3+ no-shows"]["rows"]] == ["P000024", "P000118", "P000168"]
    rates = sections["No-show rate per provider and week"]["rows"]
    with practice.view() as view:
        appointments = view.records("appointment")
    for week, who, missed, seen, _ in rates:
        mine_ = [
            a
            for a in appointments
            if (who == "practice" or a["provider_id"] == who)
            and noshows.iso_week(planning.parse_start(a["start"]).astimezone(NY).date()) == week
        ]
        assert missed == sum(a["status"] == "no-show" for a in mine_)
        assert seen == sum(a["status"] in ("completed", "checked-in") for a in mine_)
    assert sorted({r[0] for r in rates}) == ["2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"]

    without = re.sub(r"(?ms)^\[plugins\.reminders\]\n.*?(?=^\[)", "", config.replace('"reminders", ', ""))
    assert "reminders" not in without
    (folder / "practice.toml").write_text(without)
    later = PinnedClock(local(2026, 11, 23, 7, 5), frozen=True)
    operations.sync(Practice.open(folder, clock=later))
    alerts = operations.alerts(Practice.open(folder, clock=later), open_only=True)
    assert alerts and not [a for a in alerts if a["plugin"] == "reminders"]


def test_plugins_json_lists_the_reminder_and_channel_plugins_with_their_hooks() -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    hooks = {e["name"]: e["hooks"] for e in json.loads(result.output)["plugins"]}
    assert hooks["reminders"] == [
        "collect_alerts",
        "compute_fields",
        "plugin_settings_schema",
        "prepare_storage",
        "register_commands",
        "register_schemas",
        "register_tasks",
        "report_sections",
        "status_sections",
    ]
    assert hooks["email"] == [
        "collect_alerts",
        "plugin_settings_schema",
        "prepare_storage",
        "register_channels",
        "register_tasks",
    ]
    assert hooks["sms"] == sorted([*hooks["email"], "refresh_tables", "register_commands"])


# --------------------------------------------------------------------------- the acceptance run

CRASH = """
import datetime as dt, sys, time_machine
from clinicops.core.practice import Practice
from clinicops.core.runner import Runner
with time_machine.travel(dt.datetime.fromisoformat(sys.argv[2]), tick=False):
    runner = Runner(Practice.open(sys.argv[1]))
    runner.run_job(runner.job("reminders:send-reminders"))
print("finished without being stopped")
"""

DST_PATIENTS = [
    ("P000101", "consent email", "email", "email"),
    ("P000102", "no consent", "none", "email"),
    ("P000103", "moved visit", "both", "email"),
    ("P000104", "cancelled visit", "email", "email"),
    ("P000105", "withdraws consent", "email", "email"),
    ("P000106", "8 am visit", "email", "email"),
    ("P000107", "crash victim", "email", "email"),
    ("P000108", "spring 8:30", "email", "email"),
    ("P000109", "spring 7:30", "email", "email"),
    ("P000110", "sms only, no sms plugin", "sms", "sms"),
    ("P000111", "cancelled after 48 h", "email", "email"),
]

DST_VISITS = [
    visit("A000101", "P000101", local(2026, 11, 2, 9, 0)),
    visit("A000102", "P000102", local(2026, 11, 2, 10, 0)),
    visit("A000103", "P000103", local(2026, 11, 3, 14, 30)),
    visit("A000104", "P000104", local(2026, 11, 3, 11, 0), "cancelled"),
    visit("A000105", "P000105", local(2026, 11, 3, 15, 0), "confirmed"),
    visit("A000106", "P000106", local(2026, 11, 2, 8, 0)),
    visit("A000110", "P000110", local(2026, 11, 3, 9, 0)),
    visit("A000111", "P000111", local(2026, 11, 3, 13, 0)),
    visit("A000107", "P000107", local(2027, 3, 15, 9, 0)),
    visit("A000108", "P000108", local(2027, 3, 16, 8, 30)),
    visit("A000109", "P000109", local(2027, 3, 16, 7, 30)),
]


def email_of(patient: str) -> str:
    return f"{patient.lower()}@example.org"


def test_runner_over_both_dst_changes_delivers_exactly_the_expected_reminders(
    xlsx_clinic: Clinic, smtp: SmtpServer, pinned_store: Callable[[Path], str]
) -> None:
    clinic = xlsx_clinic
    clinic.sheet.append(
        "Patients",
        [
            {
                "MRN": mrn,
                "First name": "Test",
                "Last name": note.title(),
                "Date of birth": "1/2/1980",
                "Email": email_of(mrn),
                "Phone": f"+1 617 555 0{mrn[-3:]}",
                "Reminder consent": consent,
                "Preferred contact": preferred,
            }
            for mrn, note, consent, preferred in DST_PATIENTS
        ],
    )
    schedule = '\n[schedule]\nsync_every_minutes = 120\noffice_hours = "08:00-18:00"\ndays = "mon-fri"\n'
    with time_machine.travel(local(2026, 10, 30, 12, 0), tick=False) as clock:
        runner = reminder_clinic(clinic, DST_VISITS, email_settings(smtp.port) + schedule + pinned_store(clinic.folder))

        def staff_edits_on_monday(now: dt.datetime) -> None:
            rows = {
                r.get("ID") or r.get("MRN"): r["_row"]
                for tab in ("Appointments", "Patients")
                for r in clinic.sheet.rows(tab)
            }
            clinic.sheet.edit("Appointments", rows["A000103"], "Start", dt.datetime(2026, 11, 3, 16, 30))
            clinic.sheet.edit("Appointments", rows["A000111"], "Status", "cancelled")
            clinic.sheet.edit("Patients", rows["P000105"], "Reminder consent", "none")

        crashed: list[int] = []

        def crash_between_send_and_record(now: dt.datetime) -> None:
            proc = subprocess.Popen(
                [sys.executable, "-c", CRASH, str(clinic.folder), now.isoformat()],
                stdout=subprocess.PIPE,
                text=True,
            )

            def kill_the_sender(received: Any) -> None:
                if email_of("P000107") in received.rcpt and proc.returncode is None:
                    os.kill(proc.pid, signal.SIGKILL)

            smtp.on_message = kill_the_sender
            out, _ = proc.communicate(timeout=60)
            smtp.on_message = None
            assert proc.returncode == -signal.SIGKILL and "finished" not in out
            crashed.append(proc.pid)

        def simulate(start: dt.datetime, end: dt.datetime, events: dict[dt.datetime, Callable[..., None]]) -> None:
            now = start
            while now <= end:
                clock.move_to(now)
                if now in events:
                    events[now](now)
                runner.run_due(now)
                now = (now.astimezone(UTC) + STEP).astimezone(NY)

        simulate(local(2026, 10, 30, 12), local(2026, 11, 3, 18), {local(2026, 11, 2, 10): staff_edits_on_monday})
        assert clinic.record("appointment", "A000103")["reminder_sent_at"] == utc_text(local(2026, 11, 3, 14, 30))
        simulate(local(2027, 3, 12, 12), local(2027, 3, 16, 12), {local(2027, 3, 13, 8): crash_between_send_and_record})
        assert crashed
        clinic.sync()
        stuck = {k: m for k, m in alerts_of(clinic).items() if k.endswith("-unknown")}

    received = sorted(
        (
            m.rcpt[0].split("@")[0].upper(),
            m.subject.removeprefix("Appointment reminder: "),
            m.at.astimezone(NY).strftime("%a %b %d %H:%M %Z"),
        )
        for m in smtp.messages
    )
    assert received == sorted(
        [
            ("P000101", "Monday, November 2, 2026 at 9:00 AM EST", "Sat Oct 31 10:00 EDT"),
            ("P000101", "Monday, November 2, 2026 at 9:00 AM EST", "Mon Nov 02 08:00 EST"),
            ("P000103", "Tuesday, November 3, 2026 at 2:30 PM EST", "Sun Nov 01 14:30 EST"),
            ("P000103", "Tuesday, November 3, 2026 at 4:30 PM EST", "Mon Nov 02 10:00 EST"),
            ("P000103", "Tuesday, November 3, 2026 at 4:30 PM EST", "Tue Nov 03 14:30 EST"),
            ("P000105", "Tuesday, November 3, 2026 at 3:00 PM EST", "Sun Nov 01 15:00 EST"),
            ("P000106", "Monday, November 2, 2026 at 8:00 AM EST", "Sat Oct 31 09:00 EDT"),
            ("P000111", "Tuesday, November 3, 2026 at 1:00 PM EST", "Sun Nov 01 13:00 EST"),
            ("P000107", "Monday, March 15, 2027 at 9:00 AM EDT", "Sat Mar 13 08:00 EST"),
            ("P000107", "Monday, March 15, 2027 at 9:00 AM EDT", "Mon Mar 15 08:00 EDT"),
            ("P000108", "Tuesday, March 16, 2027 at 8:30 AM EDT", "Sun Mar 14 08:30 EDT"),
            ("P000108", "Tuesday, March 16, 2027 at 8:30 AM EDT", "Tue Mar 16 08:00 EDT"),
            ("P000109", "Tuesday, March 16, 2027 at 7:30 AM EDT", "Sun Mar 14 08:00 EDT"),
        ]
    )
    assert all(8 <= m.at.astimezone(NY).hour < 21 for m in smtp.messages)
    assert len({m.message["Message-ID"] for m in smtp.messages}) == len(smtp.messages)
    assert not smtp.to(email_of("P000102")) and not smtp.to(email_of("P000104")) and not smtp.to(email_of("P000110"))

    [(key, message)] = stuck.items()
    assert "48 h reminder for appointment A000107 by email may or may not have reached the patient" in message
    row_id = key.split("-")[1]
    result = CliRunner().invoke(clinicops(), ["reminders", "resolve", row_id, "--sent", "-p", str(clinic.folder)])
    assert result.exit_code == 0 and "is now 'sent'" in result.output
    with time_machine.travel(local(2027, 3, 16, 12, 5), tick=False):
        clinic.sync()
    assert not any(k.endswith("-unknown") for k in alerts_of(clinic))
    by_id = {r["ID"]: r for r in clinic.sheet.rows("Appointments")}
    assert by_id["A000108"]["Reminder sent"] == dt.datetime(2027, 3, 16, 8, 0)
    assert collections.Counter(m.rcpt[0] for m in smtp.messages)[email_of("P000107")] == 2


def test_reminders_list_shows_practice_time_and_json_keeps_utc(xlsx_clinic: Clinic) -> None:
    rows = [visit("A000001", "P000001", local(2026, 11, 25, 14, 30))]
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False):
        runner = reminder_clinic(xlsx_clinic, rows, "\n[plugins.reminders]\nmax_attempts = 1\n")
        runner.run_job(runner.job("reminders:send-reminders"))
        folder = str(xlsx_clinic.folder)
        shown = CliRunner().invoke(clinicops(), ["reminders", "list", "-p", folder])
        listed = CliRunner().invoke(clinicops(), ["reminders", "list", "-p", folder, "--json"])
    assert shown.exit_code == 0, shown.output
    assert "A000001    2026-11-25 14:30 EST" in shown.output
    assert json.loads(listed.output)["reminders"][0]["start"] == "2026-11-25T19:30:00Z"
