"""The four Sheets calls a sync uses, through gspread's HTTP client, counted and retried.

gspread's ``Spreadsheet`` object fetches the whole metadata when it is made and again on
``worksheets()``; those hidden calls would break the request floor, so the connector
calls gspread's ``HTTPClient`` with gspread's own URLs instead, adding a field mask and
``prettyPrint=false`` so answers carry only what is used. Every attempt is counted
(``requests``, per call kind), and the bytes that crossed the wire are summed from the
session's responses, for ``sync --json`` and the benchmark.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import gspread
import requests
from gspread import urls
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .. import quota
from .retry import RetryPolicy, Where, explain, transient

#: (connect, read) seconds; Google itself gives up on a request after 180 s.
TIMEOUT = (15.0, 180.0)
COMPACT = {"prettyPrint": "false"}


class SheetsApi:
    """One spreadsheet's API calls at the floor: metadata, values batchGet/batchUpdate, batchUpdate."""

    def __init__(
        self,
        client: gspread.Client,
        spreadsheet_id: str,
        account: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.http = client.http_client
        self.http.set_timeout(TIMEOUT)
        self.spreadsheet_id = spreadsheet_id
        self.account = account
        self.retry = retry or RetryPolicy()
        self.requests = 0
        self.by_kind: Counter[str] = Counter()
        self.retries = 0
        self.waited = 0.0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.http.session.hooks.setdefault("response", []).append(self._measure)
        # What this spreadsheet's requests draw on of Google's quotas, shared fleet-wide when a gate is installed.
        self._quota_scope = {"project": quota.google_project(account), "user": account or "default"}

    def _measure(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        body = response.request.body
        self.bytes_sent += len(body) if body else 0
        self.bytes_received += len(response.content)

    def _note_retry(self, state: RetryCallState) -> None:
        self.retries += 1
        self.waited += state.upcoming_sleep

    def _call(self, kind: str, method: str, url: str, *, writing: bool, safe_to_repeat: bool = True, **kw: Any) -> Any:
        """One API call with retries; a permanent failure becomes a ``BackendError`` sentence."""
        tries = 0

        def attempt() -> Any:
            nonlocal tries
            tries += 1
            self.waited += quota.before_request("sheets", kind="write" if writing else "read", **self._quota_scope)
            self.requests += 1
            self.by_kind[kind] += 1
            try:
                return self.http.request(method, url, **kw).json()
            except gspread.exceptions.APIError as exc:
                if exc.response is not None and exc.response.status_code == 429:
                    quota.refused("sheets")
                raise

        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self.retry.wait,
            sleep=self.retry.sleep,
            retry=retry_if_exception(lambda exc: transient(exc, safe_to_repeat)),
            before_sleep=self._note_retry,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except (gspread.exceptions.APIError, requests.RequestException) as exc:
            raise explain(exc, Where(self.spreadsheet_id, self.account, writing, tries)) from None

    def metadata(self, fields: str, ranges: list[str] | None = None) -> dict[str, Any]:
        """``GET spreadsheets/{id}`` with a field mask (and grid data only for ``ranges``)."""
        params: dict[str, Any] = {**COMPACT, "fields": fields}
        if ranges:
            params["ranges"] = ranges
        return self._call("metadata", "get", urls.SPREADSHEET_URL % self.spreadsheet_id, writing=False, params=params)

    def values_batch_get(self, ranges: list[str]) -> list[dict[str, Any]]:
        """``values:batchGet`` of every range at once: unformatted values, serial dates, formula text."""
        params = {
            **COMPACT,
            "ranges": ranges,
            "valueRenderOption": "FORMULA",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
            "fields": "valueRanges(range,values)",
        }
        url = urls.SPREADSHEET_VALUES_BATCH_URL % self.spreadsheet_id
        return list(self._call("values_get", "get", url, writing=False, params=params).get("valueRanges", []))

    def values_batch_update(self, data: list[dict[str, Any]]) -> None:
        """``values:batchUpdate`` with ``valueInputOption=RAW``: text is stored as text, never parsed."""
        body = {"valueInputOption": "RAW", "data": data}
        url = urls.SPREADSHEET_VALUES_BATCH_UPDATE_URL % self.spreadsheet_id
        params = {**COMPACT, "fields": "totalUpdatedCells"}
        self._call("values_update", "post", url, writing=True, params=params, json=body)

    def batch_update(self, batch: list[dict[str, Any]], safe_to_repeat: bool) -> None:
        """``spreadsheets:batchUpdate``: tabs, formats, notes, validation, protection, rows."""
        url = urls.SPREADSHEET_BATCH_UPDATE_URL % self.spreadsheet_id
        params = {**COMPACT, "fields": "spreadsheetId"}
        self._call(
            "batch_update",
            "post",
            url,
            writing=True,
            safe_to_repeat=safe_to_repeat,
            params=params,
            json={"requests": batch},
        )

    def stats(self) -> dict[str, Any]:
        """Figures for ``sync --json``."""
        return {
            "spreadsheet_id": self.spreadsheet_id,
            "requests_by_kind": dict(self.by_kind),
            "retries": self.retries,
            "retry_wait_s": round(self.waited, 3),
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
        }
