"""The HTTP/1.1 listener: stdlib ``ThreadingHTTPServer`` on a loopback port.

It only moves bytes: every request is handed to one ``handle`` callable that returns
status, headers and body, so the API logic never touches sockets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: How often the serving loop checks for ``stop()``; short so tests tear down fast.
POLL_SECONDS = 0.02

Handle = Callable[[str, str, Mapping[str, str], bytes], tuple[int, dict[str, str], bytes]]


class _Server(ThreadingHTTPServer):
    """Threads per connection; idle keep-alive connections never block shutdown."""

    daemon_threads = True
    block_on_close = False


def _handler_class(handle: Handle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ESF"
        sys_version = ""
        disable_nagle_algorithm = True

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _serve(self) -> None:
            body = self._read_body()
            status, headers, payload = handle(self.command, self.path, self.headers, body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

        def log_message(self, format: str, *args: object) -> None:
            """Silence the stdlib's stderr access log; the emulator keeps its own."""

    return Handler


class LoopbackServer:
    """A background HTTP server bound to ``host:port`` (port 0 picks a free one)."""

    def __init__(self, host: str, port: int, handle: Handle) -> None:
        self._server = _Server((host, port), _handler_class(handle))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name="sheets-emulator",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port)."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve requests on a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
