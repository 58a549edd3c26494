"""The Airtable backend (pyairtable ≥ 3): a practice's tables in an Airtable base.

- ``config``: the ``[backend]`` settings (``base_id``, ``token_env`` or ``token_file``,
  ``endpoint_url``) and the paced pyairtable client they make;
- ``credentials``: the token, read from an environment variable or an owner-only file;
- ``fields``: which Airtable field type each column gets, and values both ways;
- ``layout``: creating missing tables and fields through the Meta API, dropping nothing;
- ``pacing`` and ``transport``: 5 requests a second per base, 429 as a 30 s penalty,
  503 retried with backoff;
- ``backend``: reads at 100 records a request and writes at 10, at the request floor.
"""

from .backend import AirtableBackend

__all__ = ["AirtableBackend"]
