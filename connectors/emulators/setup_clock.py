"""An emulator clock for making many practices before a timed run.

The emulators count quotas per minute of their clock. While practices are being made, a
minute passes on every call, so setting up spends no quota; once the run starts, the clock
follows real time from a fresh minute on, until the next setup. The fleet's quota tests and its
benchmark use it.
"""

from __future__ import annotations

import time


class SetupThenRealTime:
    """Seconds on the emulator's clock: a minute per call until :meth:`run`, real time after."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.started: float | None = None

    def __call__(self) -> float:
        if self.started is None:
            self.offset += 61.0
            return self.offset
        return self.offset + time.monotonic() - self.started

    def run(self) -> None:
        """From now on, real time, starting a minute after the last setup call."""
        self.offset += 61.0
        self.started = time.monotonic()

    def setup(self) -> None:
        """Back to a minute per call, a minute after now: another set of practices is to be made."""
        self.offset, self.started = self() + 61.0, None
