"""One sync of a practice at a time across the whole fleet, and syncs asked for meanwhile coalesced.

A practice's work runs under its lock in Redis, which the holder renews while it works; a
worker that dies stops renewing, and the lock lapses ``lock_seconds`` later. Whoever asks
for a sync first sets the practice's *wanted* flag, then tries the lock: the holder
clears the flag each time it starts a sync and syncs again if it was set meanwhile, so any
number of requests made during a sync become one more sync, never a pile of them.

A request that finds the lock held does not wait for it: it leaves the flag for the holder
and gives its worker back at once, so a practice whose sync takes many minutes (a
50,000-row import) never ties up a second worker that small practices' syncs are queued
for. The holder looks at the flag once more after releasing the lock, so a request made
just as it finished is never lost. In case the holder is dead (its lock not lapsed yet),
one such request per practice becomes its *watcher*: it is tried again a lock's lapse
later, without asking for another sync, and syncs if the flag is still set.

A delivered task is acknowledged only when it returns (``acks_late``), so a
task whose worker was killed is delivered again (and the beat's next tick queues the
practice anew): the practice converges through the sync's own crash safety, and the lock,
which lapses once its dead holder stops renewing it, keeps that second delivery from
overlapping anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from clinicops.core.fleet.registry import Fleet


@contextmanager
def practice_lock(fleet: Fleet, name: str, wait: bool = True) -> Iterator[bool]:
    """Hold the practice's lock (renewed in the background) for the block; yields False if it
    could not be had at once (``wait=False``) or within one lapse of the lock (its holder is
    alive and working)."""
    seconds = fleet.settings.lock_seconds
    lock = fleet.redis.lock(fleet.key("lock", name), timeout=seconds, blocking_timeout=seconds + 5, thread_local=False)
    if not lock.acquire(blocking=wait):
        yield False
        return
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(lock, stop, seconds / 3), daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        lock.release()


def _renew(lock: Any, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        lock.reacquire()


def want(fleet: Fleet, name: str) -> None:
    fleet.redis.set(fleet.key("wanted", name), "1")


def watch(fleet: Fleet, name: str, watching: bool) -> bool:
    """Whether this request (the practice's lock held by another) should look again later: the
    first to ask since the last watcher finished, or the watcher itself."""
    key, seconds = fleet.key("watch", name), int(fleet.settings.lock_seconds * 3) + 1
    return bool(fleet.redis.set(key, "1", ex=seconds, nx=not watching))


def unwatch(fleet: Fleet, name: str) -> None:
    fleet.redis.delete(fleet.key("watch", name))


def sync_while_wanted(fleet: Fleet, name: str, sync: Callable[[], None]) -> int | None:
    """Under the practice's lock: sync as long as someone asked since the last one began; how
    many ran, or None if another holds the lock (it syncs again for us, as long as it lives)."""
    ran = 0
    wanted = fleet.key("wanted", name)
    while True:
        with practice_lock(fleet, name, wait=False) as held:
            if not held:
                return ran or None  # the flag is set, and the holder looks at it after releasing
            while fleet.redis.getdel(wanted):
                sync()
                ran += 1
        if not fleet.redis.exists(wanted):
            return ran
