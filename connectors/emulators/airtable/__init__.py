"""A faithful loopback emulator of the Airtable Web API (records and Meta API).

It follows Airtable's documented behaviour rather than convenience — response shapes,
status codes, error bodies, the 10-records-per-write and 100-records-per-page limits,
omitted empty fields, typecast, and the 5 requests/s per base rate limit with its
30-second penalty — so a connector that passes against it also works against Airtable::

    from clinicops.connectors.emulators.airtable import AirtableEmulator
    from pyairtable import Api

    with AirtableEmulator() as emulator:
        api = Api("any-token", endpoint_url=emulator.endpoint_url)
        base = api.create_base("wspPractice", "Clinic", tables=[...])

Bases are created through ``POST /v0/meta/bases``, as with the real service; any
non-empty ``workspaceId`` is accepted.
"""

from .app import RequestLogEntry
from .clock import FakeClock
from .server import AirtableEmulator, serve

__all__ = ["AirtableEmulator", "FakeClock", "RequestLogEntry", "serve"]
