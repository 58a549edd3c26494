"""The fleet's Celery application: its tasks, and the beat's tick.

``clinicops.sync`` syncs one practice (see :mod:`.serial` for why never two at once);
``clinicops.task`` runs one of a practice's scheduled plugin tasks under the same lock;
``clinicops.tick``, sent by the beat every ``tick_seconds``, reads the fleet's practices
afresh from Redis and enqueues what each one's ``[schedule]`` made due since it last
looked, by the practice's clock (the same rules ``clinicops run`` follows). A practice
already waiting in the queue is not queued twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Celery

from clinicops.core import operations, runner
from clinicops.core.errors import ClinicopsError
from clinicops.core.fleet import quota, serial
from clinicops.core.fleet.registry import Fleet
from clinicops.core.fleet.settings import FleetSettings
from clinicops.core.practice import Practice

log = logging.getLogger("clinicops.fleet")


def make_app(settings: FleetSettings) -> Celery:
    app = Celery("clinicops", broker=settings.redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.queue,
        task_ignore_result=True,
        # A dead worker's task is looked for every few seconds (not kombu's default of every
        # ~100 s), so it is delivered again soon after its visibility timeout.
        broker_transport_options={
            "visibility_timeout": settings.visibility_seconds,
            "unacked_restore_interval": max(1, min(10, int(settings.visibility_seconds / 2))),
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        # A tick still queued when the next is sent is dropped: the next one looks at the same span.
        beat_schedule={
            "clinicops-tick": {
                "task": "clinicops.tick",
                "schedule": settings.tick_seconds,
                "options": {"expires": settings.tick_seconds},
            }
        },
        worker_hijack_root_logger=False,
    )

    @app.task(name="clinicops.sync", bind=True, max_retries=None)
    def sync(self: Any, name: str, queued_at: float | None = None, watching: bool = False) -> str:
        outcome = sync_practice(Fleet(settings), name, queued_at, watching)
        if outcome == "watching":  # the lock is held: look again once a dead holder's lock would have lapsed
            raise self.retry(countdown=settings.lock_seconds, kwargs={"watching": True})
        return outcome

    @app.task(name="clinicops.task", bind=True, max_retries=None)
    def task(self: Any, name: str, job_id: str) -> str:
        outcome = run_task(Fleet(settings), name, job_id)
        if outcome == "busy":  # the practice is in a sync: give the worker back, try again later
            raise self.retry(countdown=settings.lock_seconds)
        return outcome

    @app.task(name="clinicops.tick")
    def tick() -> dict[str, list[str]]:
        return enqueue_due(Fleet(settings), app)

    return app


def enqueue_sync(fleet: Fleet, app: Celery, name: str) -> bool:
    """Queue a sync of ``name`` unless one is waiting in the queue already; whether one was queued."""
    now = fleet.now()
    # The mark lapses after a visibility timeout, so a task lost with a flushed queue cannot block the practice.
    if not fleet.redis.set(fleet.key("queued", name), f"{now}", nx=True, ex=int(fleet.settings.visibility_seconds)):
        return False
    app.send_task("clinicops.sync", args=[name, now], queue=fleet.settings.queue)
    return True


def sync_practice(fleet: Fleet, name: str, queued_at: float | None, watching: bool = False) -> str:
    """Sync ``name`` as often as asked (see :mod:`.serial`); ``watching`` is a request looking
    again, which asks for no sync of its own."""
    if not watching:
        fleet.redis.delete(fleet.key("queued", name))
        serial.want(fleet, name)
    folder = fleet.practices().get(name)
    if folder is None:
        serial.unwatch(fleet, name)
        return "removed"
    waits = [queued_at]

    def once() -> None:
        with quota.serving(name):
            _sync_once(fleet, name, folder, waits.pop() if waits else None)

    ran = serial.sync_while_wanted(fleet, name, once)
    if ran is None and serial.watch(fleet, name, watching):
        return "watching"
    if watching:
        serial.unwatch(fleet, name)
    outcome = "synced" if ran else "coalesced"
    fleet.redis.hincrby(fleet.key("requests"), outcome)
    return outcome


def _sync_once(fleet: Fleet, name: str, folder: str, queued_at: float | None) -> None:
    started = fleet.now()
    wait = round(started - queued_at, 3) if queued_at else None
    fleet.record(name, {"state": "syncing", "queue_wait_s": wait})
    practice = Practice.open(folder)
    outcome: dict[str, Any] = {"state": "idle", "queue_wait_s": wait}
    try:
        report = operations.sync(practice)
        outcome |= {"result": "ok", "changes": report.total_changes, "error": None}
    except ClinicopsError as exc:
        outcome |= {"result": "failed", "error": str(exc)}
    except Exception as exc:  # a bug: named by type only, its message may hold a cell's value
        outcome |= {"result": "failed", "error": f"{type(exc).__name__} (a bug: run 'clinicops sync' there to see it)"}
        log.error("sync of %s failed: %s", name, type(exc).__name__)  # no traceback: its values may be PHI
    try:
        critical = operations.alerts(practice, severity="critical", open_only=True)
        outcome |= {"critical_alerts": len(critical), "last_sync": practice.now().isoformat(timespec="seconds")}
    finally:
        practice.close()
    outcome["duration_s"] = round(fleet.now() - started, 3)
    fleet.record(name, outcome)
    fleet.finished(name, outcome["result"] == "ok")
    log.info("sync of %s: %s in %.1f s", name, outcome["result"], outcome["duration_s"])


def run_task(fleet: Fleet, name: str, job_id: str) -> str:
    folder = fleet.practices().get(name)
    if folder is None:
        return "removed"
    with serial.practice_lock(fleet, name, wait=False) as held, quota.serving(name):
        if not held:
            return "busy"
        practice = Practice.open(folder)
        try:
            work = runner.Runner(practice)
            return work.run_job(work.job(job_id))
        finally:
            practice.close()


def enqueue_due(fleet: Fleet, app: Celery) -> dict[str, list[str]]:
    """Per practice, the jobs its schedule made due since the beat last looked, now queued."""
    queued: dict[str, list[str]] = {}
    for name, folder in fleet.practices().items():
        try:
            queued[name] = _due_for(fleet, app, name, folder)
        except Exception as exc:
            fleet.record(name, {"schedule_error": str(exc) if isinstance(exc, ClinicopsError) else type(exc).__name__})
    return queued


def _due_for(fleet: Fleet, app: Celery, name: str, folder: str) -> list[str]:
    practice = Practice.open(folder)
    try:
        jobs = runner.plan_for(practice)
        now, tz = practice.now(), practice.config.timezone
    finally:
        practice.close()
    seen = fleet.redis.getset(fleet.key("last_look", name), now.isoformat())
    since = dt.datetime.fromisoformat(seen) if seen else None
    due = runner.due(jobs, since, now, tz)
    for job in due:
        if job.is_sync:
            enqueue_sync(fleet, app, name)
        else:
            app.send_task("clinicops.task", args=[name, job.id], queue=fleet.settings.queue)
    sync_job = next(job for job in jobs if job.is_sync)
    upcoming = runner.fire_times(sync_job.rules, now + dt.timedelta(minutes=1), now + dt.timedelta(days=1), tz)
    fleet.record(name, {"next_run": upcoming[0].isoformat() if upcoming else None, "schedule_error": None})
    return [job.id for job in due]
