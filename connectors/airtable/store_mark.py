"""The store's mark in a base: a line in the description of each table's Errors field.

Airtable keeps no settings of a base that a client may write, but every field has a
description (the Meta API's ``PATCH .../fields/{id}``), and the Errors field is one only
clinicops fills: its description already says so. The mark adds ``[clinicops store
<uuid>]``, the identity of the store that last synced the base (see
:mod:`clinicops.core.store_identity`). https://airtable.com/developers/web/api/update-field
"""

from __future__ import annotations

import re
from typing import Any

from pyairtable import Api

_MARK = re.compile(r"\s*\[clinicops store ([0-9a-f-]{36})\]")


def found(tables: list[dict[str, Any]]) -> str | None:
    """The first mark in any field's description of the base's ``tables`` (the Meta API's listing)."""
    for table in tables:
        for each in table.get("fields", ()):
            match = _MARK.search(each.get("description") or "")
            if match:
                return match.group(1)
    return None


def write(api: Api, base_id: str, table: dict[str, Any], field_name: str, identity: str) -> bool:
    """Mark the field ``field_name`` of ``table``; False when the table has no such field."""
    each = next((f for f in table.get("fields", ()) if f["name"] == field_name), None)
    if each is None:
        return False
    text = _MARK.sub("", each.get("description") or "")
    wanted = f"{text} [clinicops store {identity}]".strip()
    if wanted != each.get("description"):
        url = f"{api.base(base_id).urls.tables}/{table['id']}/fields/{each['id']}"
        api.patch(url, json={"description": wanted})
        each["description"] = wanted
    return True
