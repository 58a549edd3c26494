"""``serve``: run the emulator in the foreground (``clinicops emulator sheets``).

The base URL is the first line on stdout, flushed at once, so a parent process or a
script can read it and point its client there; each request is then logged on its own
line. Ctrl-C or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from .emulator import SheetsEmulator
from .log import LoggedRequest


def serve(host: str = "127.0.0.1", port: int = 0) -> None:
    """Serve until interrupted; print the base URL first, then one line per request."""
    stopping = threading.Event()

    def log(entry: LoggedRequest) -> None:
        print(entry.line(), flush=True)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_signal)
    emulator = SheetsEmulator(host=host, port=port, on_request=log)
    emulator.start()
    try:
        print(emulator.base_url, flush=True)
        while not stopping.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sys.stdout.flush()
