"""A row's fingerprint is the MD5 of its cells' ``repr``, whichever MD5 computes it: the hashes a
store kept from earlier syncs keep matching the rows nobody touched."""

from __future__ import annotations

import datetime as dt
import hashlib

from clinicops.core.row_parser import content_hash


def test_a_rows_fingerprint_is_the_md5_of_its_cells_as_written() -> None:
    row = ["P000001", "Zoë", dt.date(1956, 12, 9), 12.0, 12, None, True, ""]
    assert content_hash(row) == hashlib.md5(repr(row).encode("utf-8")).hexdigest()
    assert content_hash(row) == "3c76993b075283c5627e3334b4bb3a1f"  # as every earlier version computed it
