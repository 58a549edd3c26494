"""The emulated Airtable API as one function of a request: no sockets here.

``AirtableApp.handle`` takes method, request target, ``Authorization`` header and body,
and answers status and JSON bytes. In order it applies: injected faults, authentication,
rate limits, the 16,000-character URL limit, then routing to the Meta API (``meta``) or
the records API (``listing``, ``writes``). Every request, answered or refused, is logged.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from . import errors, listing, meta
from .clock import Clock
from .model import Account, Base, Table, new_id
from .ratelimit import RateLimiter
from .writes import TableWriter

#: Airtable rejects request URLs longer than this; clients must use POST listRecords.
MAX_URL_LENGTH = 16000
#: The origin the URL limit counts in, so lengths match what a client measures.
AIRTABLE_ORIGIN = "https://api.airtable.com"

_log = logging.getLogger(__name__)
_BEARER = re.compile(r"Bearer\s+(\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RequestLogEntry:
    """One request as the emulator saw it.

    ``time`` is read from the injected clock; ``query`` is the decoded query string;
    ``records_in`` counts the records a write carried (or ids a delete named) and
    ``records_out`` the records the answer held.
    """

    time: float
    method: str
    path: str
    query: dict[str, list[str]]
    base_id: str | None
    table: str | None
    status: int
    bytes_in: int
    bytes_out: int
    records_in: int
    records_out: int


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


@dataclass(frozen=True)
class _Target:
    """The parts of a request target that routing and rate limiting need."""

    path: str
    segments: list[str]
    query: dict[str, list[str]]
    base_id: str | None
    table: str | None


def _parse_target(target: str) -> _Target:
    """Split on ``/`` before decoding, so an encoded ``/`` stays inside a table name."""
    raw_path, _, query_string = target.partition("?")
    raw = raw_path.split("/")[1:]
    if raw and raw[-1] == "":
        raw.pop()
    segments = [unquote(each) for each in raw]
    base_id = table = None
    if len(segments) >= 2 and segments[0] == "v0":
        if segments[1] == "meta":
            if len(segments) >= 4 and segments[2] == "bases":
                base_id = segments[3]
                table = segments[5] if len(segments) >= 6 else None
        else:
            base_id = segments[1]
            table = segments[2] if len(segments) >= 3 else None
    return _Target(
        path=raw_path,
        segments=segments,
        query=parse_qs(query_string, keep_blank_values=True),
        base_id=base_id,
        table=table,
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body, parse_constant=_reject_constant)
    except ValueError:
        raise errors.invalid_body() from None
    if not isinstance(parsed, dict):
        raise errors.invalid_request("The request body must be a JSON object")
    return parsed


def _records_in(method: str, target: _Target, body: bytes) -> int:
    if method == "DELETE":
        ids = target.query.get("records[]", []) + target.query.get("records", [])
        return len(ids) or (1 if len(target.segments) == 4 else 0)
    if method not in ("POST", "PATCH", "PUT") or not body:
        return 0
    try:
        parsed = json.loads(body)
    except ValueError:
        return 0
    if isinstance(parsed, dict):
        if isinstance(parsed.get("records"), list):
            return len(parsed["records"])
        if "fields" in parsed:
            return 1
    return 0


def _records_out(payload: Any) -> int:
    if not isinstance(payload, dict):
        return 0
    if isinstance(payload.get("records"), list):
        return len(payload["records"])
    return 1 if str(payload.get("id", "")).startswith("rec") else 0


class AirtableApp:
    """The emulated API's state and request handling; thread-safe (one request at a time)."""

    def __init__(
        self,
        *,
        clock: Clock,
        tokens: Iterable[str] | None = None,
        per_base_rps: int | None = 5,
        per_token_rps: int | None = 50,
        penalty_seconds: float = 30.0,
        iterator_ttl_seconds: float = 300.0,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.clock = clock
        self.tokens = frozenset(tokens) if tokens is not None else None
        self.account = Account()
        self.limiter = RateLimiter(per_base_rps, per_token_rps, penalty_seconds)
        self.iterators = listing.Iterators(iterator_ttl_seconds)
        self.wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self.on_request: Callable[[RequestLogEntry], None] | None = None
        self._faults: deque[int] = deque()
        self._log: list[RequestLogEntry] = []
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()

    # Test controls.

    def fail_next(self, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status``; a 429 starts the penalty."""
        if not 400 <= status <= 599 or times < 1:
            raise ValueError("fail_next takes an error status (400-599) and times >= 1")
        with self._lock:
            self._faults.extend([status] * times)

    @property
    def requests(self) -> list[RequestLogEntry]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    # Handling.

    def handle(self, method: str, target: str, authorization: str | None, body: bytes) -> Response:
        """Answer one request."""
        method = method.upper()
        parsed = _parse_target(target)
        with self._lock:
            now = self.clock()
            try:
                payload = self._answer(method, target, parsed, authorization, body, now)
                status = 200
            except errors.ApiError as error:
                payload, status = error.body(), error.status
            except Exception:
                _log.exception("the Airtable emulator failed on %s %s", method, parsed.path)
                failure = errors.forced(500)
                payload, status = failure.body(), failure.status
            encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            entry = RequestLogEntry(
                time=now,
                method=method,
                path=parsed.path,
                query=parsed.query,
                base_id=parsed.base_id,
                table=parsed.table,
                status=status,
                bytes_in=len(body),
                bytes_out=len(encoded),
                records_in=_records_in(method, parsed, body),
                records_out=_records_out(payload) if status == 200 else 0,
            )
            self._log.append(entry)
        if self.on_request is not None:
            self.on_request(entry)
        return Response(status, encoded)

    def _token(self, authorization: str | None) -> str:
        match = _BEARER.match(authorization or "")
        if match is None or (self.tokens is not None and match.group(1) not in self.tokens):
            raise errors.authentication_required()
        return match.group(1)

    def _answer(
        self,
        method: str,
        target: str,
        parsed: _Target,
        authorization: str | None,
        body: bytes,
        now: float,
    ) -> Any:
        if self._faults:
            status = self._faults.popleft()
            if status == 429:
                token = _BEARER.match(authorization or "")
                self.limiter.penalize(parsed.base_id, token.group(1) if token else "", now)
            raise errors.forced(status)
        token = self._token(authorization)
        if not self.limiter.admit(parsed.base_id, token, now):
            raise errors.rate_limited()
        if len(AIRTABLE_ORIGIN) + len(target) > MAX_URL_LENGTH:
            raise errors.invalid_request(
                f"The request URL is longer than {MAX_URL_LENGTH} characters; "
                "list records with POST .../listRecords instead"
            )
        segments = parsed.segments
        if len(segments) < 2 or segments[0] != "v0":
            raise errors.route_not_found()
        if segments[1] == "meta":
            return self._meta(method, segments[2:], parsed.query, body, token)
        return self._records(method, segments[1:], parsed.query, body, now)

    def _meta(
        self,
        method: str,
        path: list[str],
        query: dict[str, list[str]],
        body: bytes,
        token: str,
    ) -> Any:
        route = (method, len(path), path[0] if path else "", path[2] if len(path) > 2 else "")
        field_route = len(path) > 4 and path[4] == "fields"
        if route == ("GET", 1, "whoami", ""):
            return {"id": self._users.setdefault(token, new_id("usr"))}
        if route == ("GET", 1, "bases", ""):
            return meta.list_bases(self.account, query)
        if route == ("POST", 1, "bases", ""):
            return meta.create_base(self.account, _json_body(body))
        if route[2] != "bases" or route[3] != "tables":
            raise errors.route_not_found()
        if method == "GET" and len(path) == 3:
            return meta.base_schema(self.account.get_base(path[1]), query)
        if method == "POST" and len(path) == 3:
            return meta.create_table(self.account.get_base(path[1]), _json_body(body))
        if method == "PATCH" and len(path) == 4:
            base = self.account.get_base(path[1])
            return meta.update_table(base, base.get_table(path[3]), _json_body(body))
        if method == "POST" and len(path) == 5 and field_route:
            base = self.account.get_base(path[1])
            return meta.create_field(base, base.get_table(path[3]), _json_body(body))
        if method == "PATCH" and len(path) == 6 and field_route:
            base = self.account.get_base(path[1])
            return meta.update_field(base.get_table(path[3]), path[5], _json_body(body))
        raise errors.route_not_found()

    def _table(self, base_id: str, table: str) -> tuple[Base, Table]:
        base = self.account.get_base(base_id)
        return base, base.get_table(table)

    def _records(
        self,
        method: str,
        path: list[str],
        query: dict[str, list[str]],
        body: bytes,
        now: float,
    ) -> Any:
        if len(path) == 2 and method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            base, table = self._table(path[0], path[1])
            writer = TableWriter(base, table, self.wall_clock())
            if method == "GET":
                request = listing.query_from_params(query)
                return listing.list_records(base, table, request, self.iterators, now)
            if method == "POST":
                return writer.create(_json_body(body))
            if method == "DELETE":
                return writer.delete(query.get("records[]", []) + query.get("records", []))
            return writer.update(_json_body(body), replace=method == "PUT")
        if len(path) == 3 and path[2] == "listRecords" and method == "POST":
            base, table = self._table(path[0], path[1])
            request = listing.query_from_body(_json_body(body), query)
            return listing.list_records(base, table, request, self.iterators, now)
        if len(path) == 3 and method in ("GET", "PATCH", "PUT", "DELETE"):
            base, table = self._table(path[0], path[1])
            if method == "GET":
                return listing.get_record(base, table, path[2], query)
            writer = TableWriter(base, table, self.wall_clock())
            if method == "DELETE":
                return writer.delete_one(path[2])
            return writer.update_one(path[2], _json_body(body), replace=method == "PUT")
        raise errors.route_not_found()

    def delete_field(self, base_id: str, table: str, name: str) -> None:
        """Delete a field as staff would in the UI."""
        with self._lock:
            _, found = self._table(base_id, table)
            meta.delete_field(found, name)

    def add_computed_field(
        self,
        base_id: str,
        table: str,
        name: str,
        field_type: str,
        referenced_fields: list[str] | None = None,
    ) -> str:
        """Add a createdTime/lastModifiedTime field as staff would in the UI; its id."""
        with self._lock:
            _, found = self._table(base_id, table)
            return meta.add_computed_field(found, name, field_type, referenced_fields).id
