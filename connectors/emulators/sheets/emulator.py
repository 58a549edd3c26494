"""``SheetsEmulator``: the Sheets API v4 (and the Drive calls gspread makes) on loopback.

Each request passes the same gates as at Google, in the same order: injected faults,
authentication, the per-minute quotas, access to the spreadsheet, then the method
itself. Every answer is logged so tests can count calls and inspect what was sent.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import drive
from .errors import ApiError, invalid
from .faults import FaultPlan
from .fields import parse_mask, select
from .log import LoggedRequest
from .params import Query, check_query, one
from .quota import QuotaTracker
from .routes import Route, route
from .service import SheetsService
from .transport import LoopbackServer

JSON_TYPE = "application/json; charset=UTF-8"


class SheetsEmulator:
    """A loopback Google Sheets API v4 server for tests and ``clinicops emulator sheets``.

    Use as a context manager, or ``start()``/``stop()``. ``clock`` (seconds, e.g.
    ``time.monotonic``) drives the per-minute quotas, so a test can advance it instead
    of sleeping. ``on_request`` is called with each ``LoggedRequest`` as it is answered.

    A defect in the emulator itself answers 500 INTERNAL, as Google would, and keeps the
    traceback in ``internal_errors`` so a test can tell it from an injected failure.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
        read_quota_per_minute: int = 300,
        write_quota_per_minute: int = 300,
        user_quota_per_minute: int = 60,
        require_auth: bool = False,
        on_request: Callable[[LoggedRequest], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.clock = clock
        self.require_auth = require_auth
        self.on_request = on_request
        self.requests: list[LoggedRequest] = []
        self.internal_errors: list[str] = []
        self.service = SheetsService()
        self._quota = QuotaTracker(clock, read_quota_per_minute, write_quota_per_minute, user_quota_per_minute)
        self._faults = FaultPlan(user_quota_per_minute)
        self._denied: set[str] = set()
        self._lock = threading.RLock()
        self._server: LoopbackServer | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        host, port = self._server.address
        return f"http://{host}:{port}"

    def start(self) -> SheetsEmulator:
        """Bind the port and serve in the background."""
        if self._server is None:
            self._server = LoopbackServer(self.host, self.port, self.handle)
            self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving; the stored spreadsheets are kept until the object goes away."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def fail_next(
        self,
        status: int = 429,
        times: int = 1,
        *,
        kind: str | None = None,
        message: str | None = None,
    ) -> None:
        """Fail the next ``times`` requests with ``status`` and Google's error body for it.

        ``kind`` (``"read"`` or ``"write"``) limits the failure to that kind of request;
        ``message`` overrides the documented message. Statuses: 400, 401, 403, 404, 409,
        429, 500, 501, 503, 504.
        """
        self._faults.add(status, times, kind, message)

    def clear_faults(self) -> None:
        """Disarm failures armed with ``fail_next`` that have not fired yet."""
        self._faults.clear()

    def deny(self, spreadsheet_id: str) -> None:
        """Answer 403 PERMISSION_DENIED for this spreadsheet, as for one not shared with us."""
        with self._lock:
            self._denied.add(spreadsheet_id)

    def allow(self, spreadsheet_id: str) -> None:
        """Undo ``deny``."""
        with self._lock:
            self._denied.discard(spreadsheet_id)

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: (status, headers, body)."""
        parts = urlsplit(target)
        query: Query = parse_qs(parts.query, keep_blank_values=True)
        found: Route | None = None
        extra: dict[str, str] = {}
        try:
            found = route(method, parts.path)
            status, payload = self._serve(found, query, headers, body)
        except ApiError as error:
            status, payload = error.code, error.body()
            extra = dict(error.headers)
        except Exception:
            self.internal_errors.append(traceback.format_exc())
            status, payload = 500, ApiError(500).body()
        pretty = (one(query, "prettyPrint") or "true").lower() != "false"
        data = b"" if payload is None else _encode(payload, pretty)
        response_headers = {"Content-Type": JSON_TYPE, **extra} if data else dict(extra)
        if status == 401:
            response_headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
        entry = LoggedRequest(
            method=method,
            path=parts.path,
            query=query,
            status=status,
            kind=found.kind if found else ("read" if method == "GET" else "write"),
            api=found.api if found else "sheets",
            spreadsheet_id=found.spreadsheet_id if found else None,
            request_bytes=len(body),
            response_bytes=len(data),
            time=self.clock(),
            body=body,
            response=data,
        )
        with self._lock:
            self.requests.append(entry)
        if self.on_request is not None:
            self.on_request(entry)
        return status, response_headers, data

    def _user(self, headers: Mapping[str, str]) -> str | None:
        value = headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None

    def _serve(self, found: Route, query: Query, headers: Mapping[str, str], body: bytes) -> tuple[int, Any]:
        fault = self._faults.take(found.kind)
        if fault is not None:
            raise fault
        user = self._user(headers)
        if self.require_auth and user is None:
            raise ApiError(401)
        if found.api == "sheets":
            self._quota.charge(found.kind, user or "anonymous")
        if found.spreadsheet_id is not None and found.spreadsheet_id in self._denied:
            raise ApiError(403)
        if found.allowed_query is not None:
            check_query(query, found.allowed_query)
        payload = _decode(body) if _has_body(found) else None
        with self._lock:
            result = self._call(found, query, payload)
        if found.method == "drive.files.delete":
            return 204, None
        fields = one(query, "fields")
        if fields is not None and found.method != "spreadsheets.get" and found.api == "sheets":
            result = select(result, parse_mask(fields))
        return 200, result

    def _call(self, found: Route, query: Query, payload: Any) -> Any:
        service = self.service
        sid = found.spreadsheet_id or ""
        rng = found.range_text or ""
        calls: dict[str, Callable[[], Any]] = {
            "spreadsheets.create": lambda: service.create(payload),
            "spreadsheets.get": lambda: service.get(sid, query),
            "spreadsheets.batchUpdate": lambda: service.batch_update(sid, payload),
            "values.get": lambda: service.values_get(sid, rng, query),
            "values.batchGet": lambda: service.values_batch_get(sid, query),
            "values.update": lambda: service.values_update(sid, rng, query, payload),
            "values.append": lambda: service.values_append(sid, rng, query, payload),
            "values.clear": lambda: service.values_clear(sid, rng, payload),
            "values.batchUpdate": lambda: service.values_batch_update(sid, payload),
            "values.batchClear": lambda: service.values_batch_clear(sid, payload),
            "drive.files.create": lambda: drive.create(service, payload, query),
            "drive.files.list": lambda: drive.list_files(service, query),
            "drive.files.get": lambda: drive.get(service, sid, query),
            "drive.files.delete": lambda: drive.delete(service, sid),
        }
        return calls[found.method]()


def _has_body(found: Route) -> bool:
    """True for methods whose request carries a JSON body."""
    return found.kind == "write" and found.method != "drive.files.delete"


def _decode(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid(f"Invalid JSON payload received. {error}") from error


def _encode(payload: Any, pretty: bool) -> bytes:
    if pretty:
        return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
