"""Real fleet processes for the fleet's tests: ``clinicops worker`` and ``clinicops beat`` as
subprocesses on the Redis named by ``CLINICOPS_TEST_REDIS_URL``, each test in a fleet of its own."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EXE = shutil.which("clinicops") or str(Path(sys.executable).parent / "clinicops")


class FleetProcesses:
    """Workers and a beat of one fleet; everything started is stopped (and its keys deleted) at the end."""

    def __init__(self, redis_url: str, logs: Path) -> None:
        self.name = f"t{secrets.token_hex(4)}"
        self.logs = logs
        self.env = {
            **os.environ,
            "CLINICOPS_FLEET": self.name,
            "CLINICOPS_REDIS_URL": redis_url,
            "CLINICOPS_FLEET_TICK_SECONDS": "1",
            "CLINICOPS_FLEET_LOCK_SECONDS": "3",
            "CLINICOPS_FLEET_VISIBILITY_SECONDS": "15",  # longer than a task's wait for the lock and its sync
            "PYTHONUNBUFFERED": "1",
        }
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{args[0]}-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [EXE, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "--pool", "solo")

    def beat(self) -> subprocess.Popen[bytes]:
        return self.start("beat", "--schedule-file", str(self.logs / "beat-state"))

    def clinicops(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, *args], env=self.env, capture_output=True, text=True, timeout=60)

    @staticmethod
    def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(proc)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.logs.glob("*.log")))


@contextmanager
def fleet_processes(redis_url: str, logs: Path) -> Iterator[FleetProcesses]:
    import redis

    logs.mkdir(parents=True, exist_ok=True)
    processes = FleetProcesses(redis_url, logs)
    try:
        yield processes
    finally:
        processes.stop()
        client = redis.Redis.from_url(redis_url)
        queue = f"clinicops.{processes.name}"
        bindings = client.scan_iter(f"_kombu.binding*.{queue}")
        keys = [*client.scan_iter(f"clinicops:{processes.name}:*"), *bindings, queue]
        client.delete(*keys)


def wait_for(what: Callable[[], Any], timeout: float, message: Callable[[], str], every: float = 0.2) -> Any:
    """Poll ``what`` every ``every`` seconds until it is truthy; fail with ``message()`` after ``timeout``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = what()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(message())
