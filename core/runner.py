"""The scheduled runner: sync on the practice's schedule and run plugins' scheduled tasks.

Two halves, so the schedule can be tested with a fake clock:

- *What runs when* is pure. :func:`plan` turns the ``[schedule]`` table and the plugins'
  ``ScheduledTask``\\s into :class:`Job`\\s, each a few crontab-like :class:`Rule`\\s in the
  practice's local time; :func:`fire_times` lists when a job fires in a span of time and
  :func:`due` which jobs fired since the last look (coalesced, as a scheduler would).
- *Running* is :class:`Runner` (one job at a time, a failing sync backs off exponentially
  and the runner carries on) and :func:`serve`, which hands the very same rules to
  APScheduler as cron triggers in the practice's time zone (``max_instances=1``,
  ``coalesce=True``, one worker thread, so two syncs never overlap; the practice's sync
  lock is the second line of defence) and stops cleanly on SIGTERM or SIGINT.

:func:`crontab` prints the same rules as crontab lines, for practices that prefer cron.
Logs name jobs, outcomes and exception types, never record contents.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator

from clinicops.core import operations
from clinicops.core.clock import SystemClock
from clinicops.core.config import ConfigError
from clinicops.core.errors import NotFound
from clinicops.core.plugin_manager import call_each
from clinicops.core.practice import Practice
from clinicops.core.sync import SyncBusy, SyncError
from clinicops.core.tasks import ScheduledTask

log = logging.getLogger("clinicops.runner")

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# Intervals a cron minute/hour field can express exactly (``*/n`` from midnight).
INTERVALS = tuple(n for n in range(1, 61) if 60 % n == 0) + tuple(
    n for n in range(120, MINUTES_PER_DAY + 1, 60) if MINUTES_PER_DAY % n == 0
)
LOOKBACK = dt.timedelta(hours=24)  # a runner woken after a long sleep catches up once, not day by day
HHMM = r"([01]\d|2[0-3]):[0-5]\d"

SCHEDULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "sync_every_minutes": {
            "type": "integer",
            "minimum": 1,
            "maximum": MINUTES_PER_DAY,
            "default": 5,
            "description": "Sync this often in office hours (a divisor of 60, or whole hours dividing 24).",
        },
        "office_hours": {
            "type": "string",
            "pattern": f"^{HHMM}-({HHMM}|24:00)$",
            "default": "08:00-18:00",
            "description": "Practice-local; the end is excluded.",
        },
        "days": {"type": "string", "minLength": 3, "default": "mon-fri", "description": "mon-fri, mon,wed,fri, daily"},
        "off_hours_every_minutes": {
            "type": "integer",
            "minimum": 0,
            "maximum": MINUTES_PER_DAY,
            "default": 0,
            "description": "Also sync this often outside office hours and on other days; 0: never.",
        },
        "backoff_minutes": {"type": "number", "exclusiveMinimum": 0, "default": 1, "description": "First wait."},
        "backoff_max_minutes": {"type": "number", "exclusiveMinimum": 0, "default": 60, "description": "Longest."},
        "sync_at_start": {
            "type": "boolean",
            "default": True,
            "description": "Sync, then run interval tasks, as soon as 'clinicops run' starts.",
        },
    },
}


# --------------------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class Schedule:
    """The checked ``[schedule]`` table. Office hours are minutes of the day, end excluded."""

    sync_every_minutes: int = 5
    office_start: int = 8 * 60
    office_end: int = 18 * 60
    days: frozenset[int] = frozenset(range(5))  # 0 = Monday
    off_hours_every_minutes: int = 0
    backoff_minutes: float = 1.0
    backoff_max_minutes: float = 60.0
    sync_at_start: bool = True


def parse_schedule(raw: dict[str, Any], where: str = "practice.toml") -> Schedule:
    """The ``[schedule]`` table checked, with defaults; a mistake names the key."""
    raw = dict(raw)
    errors = sorted(Draft202012Validator(SCHEDULE_SCHEMA).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        key = ".".join(str(p) for p in errors[0].path)
        raise ConfigError(f"{where}: schedule{'.' + key if key else ''}: {errors[0].message}")
    values = {k: raw.get(k, spec["default"]) for k, spec in SCHEDULE_SCHEMA["properties"].items()}
    for key in ("sync_every_minutes", "off_hours_every_minutes"):
        n = values[key]
        if n and n not in INTERVALS:
            raise ConfigError(
                f"{where}: schedule.{key}: {n} minutes cannot be kept by the clock; "
                f"use one of {', '.join(map(str, INTERVALS))}"
            )
    start_text, end_text = values["office_hours"].split("-")
    start, end = _minute_of_day(start_text), _minute_of_day(end_text)
    if end <= start:
        raise ConfigError(f"{where}: schedule.office_hours: the end ({end_text}) must come after the start")
    if values["backoff_max_minutes"] < values["backoff_minutes"]:
        raise ConfigError(f"{where}: schedule.backoff_max_minutes: must be at least backoff_minutes")
    try:
        days = parse_days(values["days"])
    except ValueError as exc:
        raise ConfigError(f"{where}: schedule.days: {exc}") from None
    return Schedule(
        sync_every_minutes=values["sync_every_minutes"],
        office_start=start,
        office_end=end,
        days=days,
        off_hours_every_minutes=values["off_hours_every_minutes"],
        backoff_minutes=float(values["backoff_minutes"]),
        backoff_max_minutes=float(values["backoff_max_minutes"]),
        sync_at_start=values["sync_at_start"],
    )


def parse_days(text: str) -> frozenset[int]:
    """``mon-fri``, ``mon,wed,fri``, ``sat-sun`` or ``daily`` as weekday numbers (0 = Monday)."""
    text = text.strip().lower()
    if text in ("daily", "*", "all"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        ends = [p.strip()[:3] for p in part.split("-")]
        if len(ends) > 2 or any(e not in DAY_NAMES for e in ends):
            raise ValueError(f"'{part.strip()}' is not a day or a range of days like mon-fri")
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(days)


def _minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


# --------------------------------------------------------------------------- rules and jobs


@dataclass(frozen=True)
class Rule:
    """One crontab-like line in practice-local time: it fires on these minutes, hours and weekdays."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    weekdays: tuple[int, ...]  # 0 = Monday

    def matches(self, local: dt.datetime) -> bool:
        return local.minute in self.minutes and local.hour in self.hours and local.weekday() in self.weekdays

    def cron_fields(self) -> tuple[str, str, str]:
        """minute, hour and day-of-week as crontab writes them (Sunday = 0)."""
        cron_days = sorted((d + 1) % 7 for d in self.weekdays)
        return _compress(self.minutes, 0, 59), _compress(self.hours, 0, 23), _compress(cron_days, 0, 6)

    def apscheduler_fields(self) -> dict[str, str]:
        """The same rule for APScheduler's ``CronTrigger`` (day names, Monday first)."""
        days = ",".join(DAY_NAMES[d] for d in self.weekdays)
        return {"minute": _compress(self.minutes, 0, 59), "hour": _compress(self.hours, 0, 23), "day_of_week": days}


@dataclass(frozen=True)
class Job:
    """Something the runner does on a schedule: the sync, or one plugin's task."""

    id: str  # "sync" or "<plugin>:<task name>"
    rules: tuple[Rule, ...]
    plugin: str | None = None
    task: ScheduledTask | None = field(default=None, compare=False)

    @property
    def is_sync(self) -> bool:
        return self.task is None

    @property
    def runs_at_start(self) -> bool:
        """Interval jobs catch up when the runner starts; a daily job waits for its hour."""
        return self.task is None or self.task.daily_at is None


def plan(schedule: Schedule, tasks: dict[str, list[ScheduledTask]]) -> list[Job]:
    """Every job the runner keeps: the sync, then each plugin's tasks, in a stable order."""
    office = _office_minutes(schedule)
    sync: dict[int, set[int]] = {}
    for day in range(7):
        if day in schedule.days:
            sync[day] = {m for m in office if m % schedule.sync_every_minutes == 0}
        if schedule.off_hours_every_minutes:
            step = schedule.off_hours_every_minutes
            outside = set(range(MINUTES_PER_DAY)) - (office if day in schedule.days else set())
            sync.setdefault(day, set()).update(m for m in outside if m % step == 0)
    jobs = [Job("sync", rules_for(sync))]
    for plugin in sorted(tasks):
        for task in tasks[plugin]:
            jobs.append(Job(f"{plugin}:{task.name}", _task_rules(task, schedule, office), plugin, task))
    return jobs


def _office_minutes(schedule: Schedule) -> set[int]:
    return set(range(schedule.office_start, schedule.office_end))


def _task_rules(task: ScheduledTask, schedule: Schedule, office: set[int]) -> tuple[Rule, ...]:
    days = schedule.days if task.office_hours_only else frozenset(range(7))
    window = office if task.office_hours_only else set(range(MINUTES_PER_DAY))
    if task.daily_at:
        at = _minute_of_day(task.daily_at)
        minutes = {at} & window if task.office_hours_only else {at}
    else:
        step = clock_interval(task.every_minutes or 60)
        minutes = {m for m in window if m % step == 0}
    return rules_for({day: set(minutes) for day in days})


def clock_interval(minutes: int) -> int:
    """The longest interval the clock can keep that is no longer than asked: a task runs at least as often."""
    return max(n for n in INTERVALS if n <= max(1, minutes))


def rules_for(per_day: dict[int, set[int]]) -> tuple[Rule, ...]:
    """The fewest crontab-like rules that fire at exactly these minutes of each weekday."""
    by_pattern: dict[frozenset[int], list[int]] = {}
    for day, minutes in sorted(per_day.items()):
        if minutes:
            by_pattern.setdefault(frozenset(minutes), []).append(day)
    rules = []
    for minutes_of_day, days in by_pattern.items():
        by_minutes: dict[tuple[int, ...], list[int]] = {}
        for hour in range(24):
            in_hour = tuple(sorted(m - hour * 60 for m in minutes_of_day if m // 60 == hour))
            if in_hour:
                by_minutes.setdefault(in_hour, []).append(hour)
        rules.extend(Rule(minutes, tuple(hours), tuple(days)) for minutes, hours in by_minutes.items())
    return tuple(rules)


def _compress(values: Iterable[int], low: int, high: int) -> str:
    """A sorted set of numbers as a cron field: ``*``, ``*/5``, ``8-17``, ``30-55/5`` or a list."""
    v = sorted(set(values))
    if v == list(range(low, high + 1)):
        return "*"
    if len(v) > 2:
        step = v[1] - v[0]
        if all(b - a == step for a, b in itertools.pairwise(v)):
            if v[0] == low and v[-1] + step > high and step > 1:
                return f"*/{step}"
            return f"{v[0]}-{v[-1]}" if step == 1 else f"{v[0]}-{v[-1]}/{step}"
    runs: list[list[int]] = []
    for n in v:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs)


def fire_times(rules: Iterable[Rule], start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[dt.datetime]:
    """Every minute in ``(start, end]`` (aware times) at which one of the rules fires, in UTC.

    Each UTC minute is turned into wall-clock time, so DST is honoured: a minute the
    clocks skip never fires, and one they repeat fires at both of its instants.
    """
    rules = tuple(rules)
    t = start.astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    end = end.astimezone(dt.UTC)
    out = []
    while t <= end:
        local = t.astimezone(tz)
        if any(r.matches(local) for r in rules):
            out.append(t)
        t += dt.timedelta(minutes=1)
    return out


def due(jobs: Iterable[Job], since: dt.datetime | None, now: dt.datetime, tz: ZoneInfo) -> list[Job]:
    """Jobs that fired in ``(since, now]``, each once however often (a first look checks ``now`` only)."""
    start = now - dt.timedelta(minutes=1) if since is None else max(since, now - LOOKBACK)
    return [job for job in jobs if fire_times(job.rules, start, now, tz)]


# --------------------------------------------------------------------------- cron


def crontab(jobs: Iterable[Job], practice_dir: Path, tz: ZoneInfo, executable: str = "clinicops") -> list[str]:
    """Crontab lines that do what the runner does: ``clinicops sync -s`` and ``clinicops run --task``.

    ``CRON_TZ`` makes cronie and Vixie cron read the times in the practice's zone; on a
    cron without it, the server's own zone must be the practice's.
    """
    where = shlex.quote(str(practice_dir))
    lines = ["# clinicops: the practice's schedule (times are practice-local)", f"CRON_TZ={tz.key}"]
    for job in jobs:
        command = "sync -s" if job.is_sync else f"run --task {shlex.quote(job.id)}"
        for rule in job.rules:
            minute, hour, days = rule.cron_fields()
            lines.append(f"{minute} {hour} * * {days} cd {where} && {executable} {command}")
    return lines


# --------------------------------------------------------------------------- running


@dataclass
class Backoff:
    """Exponential backoff after failures: base, 2×base, 4×base … up to a ceiling."""

    base: dt.timedelta
    ceiling: dt.timedelta
    failures: int = 0
    until: dt.datetime | None = None

    def blocked(self, now: dt.datetime) -> bool:
        return self.until is not None and now < self.until

    def failed(self, now: dt.datetime) -> dt.timedelta:
        self.failures += 1
        delay = min(self.base * 2 ** (self.failures - 1), self.ceiling)
        self.until = now + delay
        return delay

    def succeeded(self) -> None:
        self.failures, self.until = 0, None


def collect_tasks(practice: Practice) -> dict[str, list[ScheduledTask]]:
    """Each enabled plugin's scheduled tasks, by plugin name."""
    with practice.view(source="runner", actor="runner") as view:
        found = call_each(practice.pm, "register_tasks", practice=view)
    return {plugin: list(tasks or []) for plugin, tasks in found.items() if tasks}


class Runner:
    """Runs jobs one at a time: a failing sync is logged and backed off, never fatal."""

    def __init__(self, practice: Practice) -> None:
        self.practice = practice
        self.tz = practice.config.timezone
        self.schedule = parse_schedule(practice.config.schedule, str(practice.config.root / "practice.toml"))
        self.jobs = plan(self.schedule, collect_tasks(practice))
        self.backoff = Backoff(
            dt.timedelta(minutes=self.schedule.backoff_minutes), dt.timedelta(minutes=self.schedule.backoff_max_minutes)
        )
        self._one_at_a_time = threading.Lock()
        self._last_look: dt.datetime | None = None

    def job(self, job_id: str) -> Job:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise NotFound(f"No scheduled job '{job_id}' (jobs: {', '.join(j.id for j in self.jobs)})")

    def run_due(self, now: dt.datetime | None = None) -> dict[str, str]:
        """Run every job that fired since the last look; job id -> outcome. A fake clock drives this."""
        now = now or self.practice.now()
        jobs = due(self.jobs, self._last_look, now, self.tz)
        self._last_look = now
        return {job.id: self.run_job(job, now) for job in jobs}

    def run_job(self, job: Job, now: dt.datetime | None = None) -> str:
        """Run one job now: ``ok``, ``failed``, ``busy`` (another sync holds the lock) or ``backing-off``."""
        with self._one_at_a_time:
            now = now or self.practice.now()
            return self._sync_once(now) if job.is_sync else self._task_once(job)

    def _sync_once(self, now: dt.datetime) -> str:
        if self.backoff.blocked(now):
            log.info("sync skipped: backing off after %d failure(s) until %s", self.backoff.failures, self._at(now))
            return "backing-off"
        started = time.perf_counter()
        try:
            report = operations.sync(self.practice)
        except SyncBusy:
            log.info("sync skipped: another sync of this practice is running")
            return "busy"
        except Exception as exc:
            delay = self.backoff.failed(now)
            log.error("sync failed (%s); next try in %s", _describe(exc), _minutes(delay))
            return "failed"
        self.backoff.succeeded()
        seconds = time.perf_counter() - started
        log.info("sync ok: %d change(s), %d open alert(s), %.1f s", report.total_changes, report.alerts_open, seconds)
        return "ok"

    def _task_once(self, job: Job) -> str:
        assert job.task is not None and job.plugin is not None
        try:
            with self.practice.view(source=f"plugin:{job.plugin}", actor=job.plugin) as view:
                job.task.run(view)
        except Exception as exc:
            log.error("task %s failed (%s); it runs again at its next time", job.id, _describe(exc))
            return "failed"
        log.info("task %s ok", job.id)
        return "ok"

    def _at(self, now: dt.datetime) -> str:
        until = self.backoff.until or now
        return until.astimezone(self.tz).strftime("%H:%M:%S")


def _describe(exc: BaseException) -> str:
    """An exception for the log: our own errors are written to be shown; others by type and place only,
    as their text may quote a cell."""
    if isinstance(exc, (SyncError, ConfigError)) or type(exc).__module__.startswith("clinicops.connectors"):
        return f"{type(exc).__name__}: {exc}"
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else ""
    return f"{type(exc).__name__}{where}"


def _minutes(delay: dt.timedelta) -> str:
    seconds = delay.total_seconds()
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def serve(practice: Practice, *, stop: threading.Event | None = None, install_signals: bool = True) -> None:
    """Run in the foreground until SIGTERM/SIGINT (or ``stop`` is set), then finish the running job and return."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    runner = Runner(practice)
    stop = stop or threading.Event()
    tz = runner.tz
    scheduler = BackgroundScheduler(
        timezone=tz,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 15 * 60},
    )
    # APScheduler fires on the machine's clock; the jobs it runs read the practice's.
    start_now = SystemClock().now().astimezone(tz)
    for job in runner.jobs:
        if not job.rules:
            continue
        triggers = [CronTrigger(timezone=tz, **rule.apscheduler_fields()) for rule in job.rules]
        trigger = triggers[0] if len(triggers) == 1 else OrTrigger(triggers)
        # Catch up at start: the sync first, so the tasks then work on fresh data.
        first = start_now + dt.timedelta(seconds=0 if job.is_sync else 1)
        if not (runner.schedule.sync_at_start and job.runs_at_start):
            first = None
        options: dict[str, Any] = {"next_run_time": first} if first else {}
        scheduler.add_job(runner.run_job, trigger, args=[job], id=job.id, name=job.id, **options)
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, _frame: _stop(stop, signum))
    scheduler.start()
    log.info(
        "runner started for %s (%s): %s", practice.config.name, tz.key, ", ".join(j.id for j in runner.jobs if j.rules)
    )
    while not stop.wait(0.5):
        pass
    log.info("stopping: waiting for the running job to finish")
    scheduler.shutdown(wait=True)
    log.info("runner stopped")


def _stop(stop: threading.Event, signum: int) -> None:
    log.info("received %s", signal.Signals(signum).name)
    stop.set()


def describe(rule: Rule) -> str:
    """A rule for people, cron-style with day names: ``*/5 8-17 mon,tue,wed,thu,fri``."""
    minute, hour, _ = rule.cron_fields()
    days = "daily" if len(rule.weekdays) == 7 else ",".join(DAY_NAMES[d] for d in rule.weekdays)
    return f"minute {minute}, hour {hour}, {days}"


def plan_for(practice: Practice) -> list[Job]:
    """The jobs ``clinicops run`` would keep for this practice."""
    schedule = parse_schedule(practice.config.schedule, str(practice.config.root / "practice.toml"))
    return plan(schedule, collect_tasks(practice))


def executable() -> str:
    """The ``clinicops`` command by full path, as cron's short PATH may not find it."""
    beside = Path(sys.executable).parent / "clinicops"
    if beside.exists():
        return shlex.quote(str(beside))
    found = shutil.which("clinicops")
    return shlex.quote(found) if found else "clinicops"


class PracticeTimeFormatter(logging.Formatter):
    """Log lines stamped with the practice's clock, in its zone with the zone's abbreviation
    (``2026-12-06 20:03:53 EST``): the office reads the runner's log in its own time."""

    def __init__(self, practice: Practice, fmt: str) -> None:
        super().__init__(fmt)
        self.practice = practice

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = self.practice.clock.now().astimezone(self.practice.config.timezone)
        return moment.strftime(datefmt or "%Y-%m-%d %H:%M:%S %Z")


def configure_logging(verbose: bool = False, practice: Practice | None = None) -> None:
    """Timestamped lines on standard error (practice time when given); APScheduler's chatter only with ``verbose``."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.INFO, format=fmt, force=True)
    if practice is not None:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(PracticeTimeFormatter(practice, fmt))
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)
