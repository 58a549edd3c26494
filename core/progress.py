"""A sign of life for long work: a spinner on stderr saying what is being done.

Shown only to a person at a terminal, and only once the work has taken about two seconds
(a quick sync stays as quiet as before); never with ``-s``, never into a pipe, a cron mail
or a log. The report itself still goes to stdout as before.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from rich.console import Console

DELAY_SECONDS = 2.0


class Progress:
    def __init__(self, enabled: bool = True, *, delay: float = DELAY_SECONDS, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.delay = delay
        self.text = "Working…"
        self._status: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        if self.enabled:
            self._timer = threading.Timer(self.delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _show(self) -> None:
        with self._lock:
            if self._timer is None:
                return
            self._status = self.console.status(self.text)
            self._status.start()

    def update(self, text: str) -> None:
        with self._lock:
            self.text = text
            if self._status is not None:
                self._status.update(text)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._status is not None:
                self._status.stop()
                self._status = None


class ReportingBackend:
    """A backend that tells ``progress`` when it reads and writes; everything else passes through."""

    def __init__(self, backend: Any, progress: Progress, where: str) -> None:
        self._backend = backend
        self._progress = progress
        self._where = where

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def read(self, specs: Any) -> Any:
        self._progress.update(f"Reading {self._where}…")
        tables = self._backend.read(specs)
        self._progress.update("Checking every row and merging it into the store…")
        return tables

    def write(self, writes: Any, *args: Any, **kwargs: Any) -> Any:
        self._progress.update(f"Writing back to {self._where}…")
        return self._backend.write(writes, *args, **kwargs)
