"""The emulator on a loopback socket: ``AirtableEmulator`` for tests, ``serve`` for the CLI.

Standard library only (``http.server.ThreadingHTTPServer``). Point any client at
``endpoint_url`` — ``pyairtable.Api(token, endpoint_url=emulator.endpoint_url)`` needs no
patching. Connections are kept alive (HTTP/1.1), as a ``requests`` session expects.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TextIO

from .app import AirtableApp, RequestLogEntry
from .clock import Clock


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: AirtableApp) -> None:
        super().__init__(address, _Handler)
        self.app = app


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: Headers and body go out in separate writes; without TCP_NODELAY each answer on a
    #: kept-alive connection would wait ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.app.handle(self.command, self.path, self.headers.get("Authorization"), body)
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded in the app's log, not printed to stderr."""


class AirtableEmulator:
    """A loopback Airtable Web API server with fault injection and a request log.

    ``tokens`` lists the bearer tokens accepted (``None`` accepts any non-empty token).
    ``per_base_rps`` / ``per_token_rps`` are Airtable's limits; ``None`` switches one
    off. ``clock`` (seconds, ``time.monotonic`` by default) drives rate limits, their
    ``penalty_seconds`` and iterator timeouts; pass a :class:`FakeClock` to test them
    without sleeping.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = time.monotonic,
        tokens: Iterable[str] | None = None,
        per_base_rps: int | None = 5,
        per_token_rps: int | None = 50,
        penalty_seconds: float = 30,
        *,
        iterator_ttl_seconds: float = 300.0,
    ) -> None:
        self.host = host
        self.port = port
        self.clock = clock
        self.app = AirtableApp(
            clock=clock,
            tokens=tokens,
            per_base_rps=per_base_rps,
            per_token_rps=per_token_rps,
            penalty_seconds=penalty_seconds,
            iterator_ttl_seconds=iterator_ttl_seconds,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> AirtableEmulator:
        """Listen (port 0 picks a free port) and serve on a background thread."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = _Server((self.host, self.port), self.app)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="airtable-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; idempotent."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> AirtableEmulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """``http://HOST:PORT`` — what ``pyairtable.Api(..., endpoint_url=)`` takes."""
        if self._server is None:
            raise RuntimeError("start the emulator first")
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[RequestLogEntry]:
        """Every request so far, oldest first."""
        return self.app.requests

    def clear_requests(self) -> None:
        self.app.clear_requests()

    def fail_next(self, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (a 429 starts the penalty)."""
        self.app.fail_next(status, times)

    def delete_field(self, base_id: str, table: str, name: str) -> None:
        """Delete a field with its values, as staff do in Airtable's UI — the Web API cannot."""
        self.app.delete_field(base_id, table, name)

    def add_computed_field(
        self,
        base_id: str,
        table: str,
        name: str,
        field_type: str,
        referenced_fields: list[str] | None = None,
    ) -> str:
        """Add a ``createdTime`` or ``lastModifiedTime`` field, as staff do in Airtable's
        UI — the Web API cannot create these types. Returns the new field's id."""
        return self.app.add_computed_field(base_id, table, name, field_type, referenced_fields)


def describe(entry: RequestLogEntry) -> str:
    """One log line per request; the query string is left out (it can hold patient data)."""
    return (
        f"{entry.time:.3f} {entry.method} {entry.path} {entry.status} "
        f"in={entry.bytes_in}B out={entry.bytes_out}B "
        f"records_in={entry.records_in} records_out={entry.records_out}"
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tokens: Iterable[str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Run the emulator in the foreground until Ctrl-C or SIGTERM.

    The first line written is the base URL (flushed at once, so a parent process can read
    it); one line per request follows.
    """
    stream = out if out is not None else sys.stdout
    emulator = AirtableEmulator(host, port, tokens=tokens)
    emulator.app.on_request = lambda entry: print(describe(entry), file=stream, flush=True)
    stopping = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stopping.set())
    emulator.start()
    try:
        print(emulator.endpoint_url, file=stream, flush=True)
        while not stopping.wait(0.2):
            pass
    finally:
        emulator.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
