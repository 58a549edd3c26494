"""The scheduled runner: what runs when (pure, on a fake clock), the same rules in APScheduler
and cron, surviving a failing sync, never two syncs at once, and a clean stop on SIGTERM."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from click.testing import CliRunner

from clinicops.core.cli import cli
from clinicops.core.clock import PinnedClock
from clinicops.core.config import ConfigError
from clinicops.core.practice import Practice
from clinicops.core.runner import PracticeTimeFormatter, Runner, due, fire_times, parse_schedule, plan
from clinicops.core.tasks import ScheduledTask

from .conftest import Clinic, write_config

NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def noop(practice: object) -> None:
    return None


TASKS = {
    "reminders": [ScheduledTask("send-reminders", run=noop, every_minutes=5)],
    "email": [ScheduledTask("daily-digest", run=noop, daily_at="07:00")],
    "reviews": [ScheduledTask("nudge", run=noop, every_minutes=45, office_hours_only=True)],
}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


# --------------------------------------------------------------------------- the schedule


def test_schedule_defaults_are_every_5_minutes_in_office_hours_on_weekdays() -> None:
    s = parse_schedule({})
    assert (s.sync_every_minutes, s.office_start, s.office_end, s.days) == (5, 480, 1080, frozenset(range(5)))
    [sync] = plan(s, {})[0].rules
    assert sync.cron_fields() == ("*/5", "8-17", "1-5")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"sync_every_minutes": 7}, "schedule.sync_every_minutes: 7 minutes cannot be kept by the clock"),
        ({"office_hours": "18:00-08:00"}, "schedule.office_hours: the end (08:00) must come after the start"),
        ({"office_hours": "8-18"}, "schedule.office_hours: '8-18' does not match"),
        ({"days": "mon-fry"}, "schedule.days: 'mon-fry' is not a day or a range of days"),
        ({"sync_every": 5}, "schedule: Additional properties are not allowed"),
    ],
)
def test_a_bad_schedule_names_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_schedule(raw, "practice.toml")


def test_plan_turns_office_hours_and_tasks_into_cron_rules() -> None:
    s = parse_schedule({"office_hours": "08:30-17:15", "days": "mon-sat", "off_hours_every_minutes": 60})
    jobs = {j.id: [r.cron_fields() for r in j.rules] for j in plan(s, TASKS)}
    assert jobs["sync"] == [
        ("0", "0-7,18-23", "1-6"),
        ("0,30,35,40,45,50,55", "8", "1-6"),
        ("*/5", "9-16", "1-6"),
        ("0-10/5", "17", "1-6"),
        ("0", "*", "0"),
    ]
    assert jobs["reminders:send-reminders"] == [("*/5", "*", "*")]
    assert jobs["email:daily-digest"] == [("0", "7", "*")]
    assert jobs["reviews:nudge"] == [("30", "8", "1-6"), ("0,30", "9-16", "1-6"), ("0", "17", "1-6")]


def test_daily_task_keeps_wall_clock_time_across_both_dst_changes() -> None:
    [digest] = [j for j in plan(parse_schedule({}), TASKS) if j.id == "email:daily-digest"]
    fall = fire_times(digest.rules, local(2026, 10, 30, 12), local(2026, 11, 3, 12), NY)
    spring = fire_times(digest.rules, local(2027, 3, 12, 12), local(2027, 3, 16, 12), NY)
    assert [t.astimezone(NY).strftime("%a %H:%M %Z") for t in fall + spring] == [
        "Sat 07:00 EDT",
        "Sun 07:00 EST",
        "Mon 07:00 EST",
        "Tue 07:00 EST",
        "Sat 07:00 EST",
        "Sun 07:00 EDT",
        "Mon 07:00 EDT",
        "Tue 07:00 EDT",
    ]
    assert [t.hour for t in fall] == [11, 12, 12, 12]


def test_the_pure_rules_and_apscheduler_agree_on_every_fire_time_across_dst() -> None:
    s = parse_schedule({"office_hours": "08:30-17:15", "off_hours_every_minutes": 120})
    start, end = local(2026, 10, 29, 0), local(2026, 11, 4, 0)
    for job in plan(s, TASKS):
        triggers = [CronTrigger(timezone=NY, **rule.apscheduler_fields()) for rule in job.rules]
        theirs = set()
        for trigger in triggers:  # step in UTC: wall-clock arithmetic would loop in the repeated hour
            t = trigger.get_next_fire_time(None, start.astimezone(UTC) + dt.timedelta(seconds=1))
            while t is not None and t.astimezone(UTC) <= end.astimezone(UTC):
                theirs.add(t.astimezone(UTC))
                t = trigger.get_next_fire_time(t, t.astimezone(UTC) + dt.timedelta(seconds=1))
        ours = set(fire_times(job.rules, start, end, NY))
        assert ours == theirs, job.id


def test_due_coalesces_missed_fires_into_one_run_each() -> None:
    jobs = plan(parse_schedule({}), TASKS)
    monday_9 = local(2026, 11, 23, 9, 0)
    assert [j.id for j in due(jobs, monday_9 - dt.timedelta(hours=3), monday_9, NY)] == [
        "sync",
        "email:daily-digest",
        "reminders:send-reminders",
        "reviews:nudge",
    ]
    assert [j.id for j in due(jobs, None, local(2026, 11, 23, 9, 2), NY)] == []
    assert [j.id for j in due(jobs, None, local(2026, 11, 22, 9, 5), NY)] == ["reminders:send-reminders"]


def test_schedule_cron_prints_the_crontab_lines(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=["reminders", "email"], extra='\n[plugins.email]\ndigest_to = "m@x.example"\n')
    result = CliRunner().invoke(cli, ["schedule", "--cron", "-p", str(tmp_path)])
    assert result.exit_code == 0, result.output
    exe = result.output.splitlines()[2].split(" && ")[1].split(" ")[0]
    assert exe.endswith("clinicops")
    assert result.output.splitlines() == [
        "# clinicops: the practice's schedule (times are practice-local)",
        "CRON_TZ=America/New_York",
        f"*/5 8-17 * * 1-5 cd {tmp_path} && {exe} sync -s",
        f"0 2 * * * cd {tmp_path} && {exe} run --task access_log:verify-log",
        f"0 7 * * * cd {tmp_path} && {exe} run --task email:daily-digest",
        f"*/5 * * * * cd {tmp_path} && {exe} run --task reminders:send-reminders",
    ]
    table = CliRunner().invoke(cli, ["schedule", "-p", str(tmp_path)])
    rows = [" ".join(line.split()) for line in table.output.splitlines()]
    assert rows == [
        "Times are America/New_York.",
        "Job When",
        "sync minute */5, hour 8-17, mon,tue,wed,thu,fri",
        "access_log:verify-log minute 0, hour 2, daily",
        "email:daily-digest minute 0, hour 7, daily",
        "reminders:send-reminders minute */5, hour *, daily",
    ]


def test_bad_schedule_in_practice_toml_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    write_config(tmp_path, extra="\n[schedule]\nsync_every_minutes = 7\n")
    result = CliRunner().invoke(cli, ["schedule", "--cron", "-p", str(tmp_path)])
    assert result.exit_code == 1 and "7 minutes cannot be kept by the clock" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- running


def test_runner_survives_a_failing_sync_backs_off_and_recovers(
    xlsx_clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    write_config(xlsx_clinic.folder, extra="\n[schedule]\nbackoff_minutes = 1\nbackoff_max_minutes = 4\n")
    xlsx_clinic.reopen()
    workbook = xlsx_clinic.folder / "clinic.xlsx"
    good = workbook.read_bytes()
    workbook.write_bytes(b"this is not a workbook")
    runner = Runner(xlsx_clinic.practice)
    sync = runner.job("sync")
    t0 = dt.datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    caplog.set_level(logging.INFO, logger="clinicops.runner")
    outcomes = [runner.run_job(sync, t0 + dt.timedelta(minutes=m)) for m in (0, 0.5, 1, 2, 3, 6, 7, 11)]
    assert outcomes == ["failed", "backing-off", "failed", "backing-off", "failed", "backing-off", "failed", "failed"]
    assert runner.backoff.failures == 5 and runner.backoff.until == t0 + dt.timedelta(minutes=15)
    workbook.write_bytes(good)
    assert runner.run_job(sync, t0 + dt.timedelta(minutes=15)) == "ok"
    assert runner.backoff.failures == 0
    assert xlsx_clinic.record("patient", "P000001") is not None
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    cause = "sync failed (BackendError: Cannot read clinic.xlsx: invalid Zip archive"
    assert [m.startswith(cause) for m in failures] == [True] * 5
    assert [m.rsplit("; ", 1)[1] for m in failures] == ["next try in 60 s", "next try in 2 min"] + 3 * [
        "next try in 4 min"
    ]
    assert all("Hopper" not in m and "grace@" not in m for m in caplog.messages)


def test_a_sync_already_running_elsewhere_is_skipped_not_overlapped(xlsx_clinic: Clinic) -> None:
    lock = xlsx_clinic.folder / "data" / "sync.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    hold = f"import filelock; f = filelock.FileLock({str(lock)!r}); f.acquire(); print('held', flush=True); input()"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    runner = Runner(xlsx_clinic.practice)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert runner.run_job(runner.job("sync")) == "busy" and runner.backoff.failures == 0
    finally:
        holder.communicate("\n", timeout=10)
    assert runner.run_job(runner.job("sync")) == "ok"


def test_a_failing_task_is_logged_and_the_runner_carries_on(xlsx_clinic: Clinic) -> None:
    from clinicops.core.hookspecs import hookimpl

    calls: list[str] = []

    def boom(practice: object) -> None:
        calls.append("boom")
        raise ValueError("Grace Hopper")

    class Flaky:
        @hookimpl
        def register_tasks(self) -> list[ScheduledTask]:
            return [ScheduledTask("boom", run=boom, every_minutes=1)]

    xlsx_clinic.practice.pm.register(Flaky(), name="flaky")
    runner = Runner(xlsx_clinic.practice)
    now = dt.datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert runner.run_due(now) == {"sync": "ok", "flaky:boom": "failed"}
    assert runner.run_due(now + dt.timedelta(minutes=1)) == {"flaky:boom": "failed"}
    assert calls == ["boom", "boom"]


def test_run_task_runs_one_job_for_cron(xlsx_clinic: Clinic) -> None:
    folder = str(xlsx_clinic.folder)
    assert CliRunner().invoke(cli, ["run", "--task", "sync", "-p", folder]).exit_code == 0
    unknown = CliRunner().invoke(cli, ["run", "--task", "nope:nothing", "-p", folder])
    assert unknown.exit_code == 1
    assert "No scheduled job 'nope:nothing' (jobs: sync, access_log:verify-log)" in unknown.output


def test_sigterm_stops_clinicops_run_cleanly(xlsx_clinic: Clinic, pinned_store: Callable[[Path], str]) -> None:
    schedule = '\n[schedule]\nsync_every_minutes = 1\noffice_hours = "00:00-24:00"\n'
    write_config(xlsx_clinic.folder, extra=schedule + pinned_store(xlsx_clinic.folder))
    exe = shutil.which("clinicops") or str(Path(sys.executable).parent / "clinicops")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [exe, "run", "-p", str(xlsx_clinic.folder)], stderr=subprocess.PIPE, text=True, env=env, cwd=xlsx_clinic.folder
    )
    lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if "sync ok" in line:
            break
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    _, rest = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert time.monotonic() - sent < 5
    assert "received SIGTERM" in rest and rest.rstrip().endswith("runner stopped")
    assert "Traceback" not in "".join(lines) + rest
    assert xlsx_clinic.record("patient", "P000005") is not None


def test_the_runners_log_is_stamped_in_practice_time(xlsx_clinic: Clinic) -> None:
    pinned = PinnedClock(dt.datetime(2026, 12, 7, 1, 3, 53, tzinfo=dt.UTC), frozen=True)
    practice = Practice.open(xlsx_clinic.folder, clock=pinned)
    record = logging.LogRecord("clinicops.runner", logging.INFO, __file__, 1, "sync ok", None, None)
    line = PracticeTimeFormatter(practice, "%(asctime)s %(message)s").format(record)
    assert line == "2026-12-06 20:03:53 EST sync ok"
    practice.close()
