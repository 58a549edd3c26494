"""The Google Sheets backend: a practice's spreadsheet, synced through the real gspread client.

Configuration, in ``practice.toml``::

    [backend]
    type = "gsheets"
    spreadsheet_id = "1AbC…"                  # or the sheet's whole address
    credentials_file = "~/keys/clinic-sa.json"  # the service account key's path, or:
    # credentials_env = "CLINIC_SA_KEY"         # the name of an env var holding that path
    # endpoint_url = "http://127.0.0.1:8085"    # a standalone `clinicops emulator sheets`

Without ``credentials_file`` or ``credentials_env`` the path is taken from
``GOOGLE_APPLICATION_CREDENTIALS``. The key itself never goes into the config, and a key
file other users can read (mode & 0o077) is refused. Share the spreadsheet with the
service account's email as an editor. ``endpoint_url`` sends every request to another API
root, e.g. an emulator (no credentials are used then; see :mod:`.endpoint`).

Requests per sync, whatever the number of rows (the floor; ``docs/architecture.md#backends``):

- one ``values:batchGet`` for all tabs (``FORMULA`` rendering: unformatted values, dates
  as serial numbers, and a formula's text instead of its result);
- one metadata read (``spreadsheets.get`` with a field mask), made only when needed: to
  check cells that may hold a formula or a clinicops note, or for tab ids before a
  structural write;
- one ``values:batchUpdate`` (RAW) with every value written;
- one ``spreadsheets:batchUpdate`` with new tabs and columns, their look (frozen header,
  drop-downs, date and money formats, warning-only protection of plugin-owned columns),
  deleted and inserted rows, error notes and highlights.

A sync that changes nothing makes no write request. Two exceptions, both bounded: a
write over ~2 MB (a first export of tens of thousands of records into an empty sheet)
is split into several values requests; a spreadsheet missing one of the tabs costs one
refused batchGet and a listing of the tabs, once, before the tab is created. Failed
requests are retried (see :mod:`.retry`) and every attempt is counted in ``requests``.
"""

from __future__ import annotations

from .backend import GSheetsBackend
from .retry import RetryPolicy

__all__ = ["GSheetsBackend", "RetryPolicy"]
