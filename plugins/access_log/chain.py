"""The hash chain: an entry's canonical JSON, its SHA-256, and checking a run of entries.

Each entry's hash covers every field, its sequence number and the previous entry's hash
included, so changing, removing or reordering any entry breaks the chain from there on.
A per-row checksum would miss a deleted row; the chain does not (openemr #12118/#12122).

Canonical JSON is RFC 8785 (JCS). Entries hold only strings and integers, and for those
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as
UTF-8 is exactly JCS: keys sorted (all ASCII, so code-point order equals JCS's UTF-16
order), no whitespace, strings with only the mandatory escapes (lower-case ``\\u00xx``
for control characters), integers in plain decimal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64

# Every field an entry's hash covers, in the order the log table holds them.
FIELDS = (
    "seq",
    "at",
    "actor",
    "role",
    "source",
    "action",
    "entity",
    "record_id",
    "fields",
    "purpose",
    "outcome",
    "prev_hash",
)


def canonical(entry: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of an entry's hashed fields (strings and integers only)."""
    return json.dumps({k: entry[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """A head the chain must still contain: ``seq`` must exist and hash to ``hash``."""

    label: str
    seq: int
    hash: str


@dataclass
class Verdict:
    """What a walk over the chain found; ``bad_seq`` is None when every check passed."""

    count: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    bad_seq: int | None = None
    reason: str = ""
    checkpoints_ok: int = 0
    checkpoints: list[Checkpoint] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.bad_seq is None

    def sentence(self) -> str:
        if self.ok:
            return f"The access log is intact: {self.count} entries, head entry {self.head_seq}."
        return f"The access log fails verification at entry {self.bad_seq}: {self.reason}."


def verify(entries: Iterable[Mapping[str, Any]], checkpoints: Iterable[Checkpoint] = ()) -> Verdict:
    """Walk entries in sequence order and stop at the first one that breaks the chain.

    An altered entry no longer matches its hash; a deleted one leaves a gap in the
    sequence; an entry rewritten together with its hash no longer matches the next
    entry's previous-hash; a log rewritten from some point on, or cut short at the end,
    no longer matches a checkpoint taken earlier.
    """
    wanted: dict[int, list[Checkpoint]] = {}
    for cp in checkpoints:
        wanted.setdefault(cp.seq, []).append(cp)
    verdict = Verdict(checkpoints=[cp for cps in wanted.values() for cp in cps])
    expected, prev = 1, GENESIS
    for entry in entries:
        seq = entry["seq"]
        problem = _problem(entry, expected, prev)
        if problem is not None:
            verdict.bad_seq, verdict.reason = problem
            return verdict
        for cp in wanted.get(seq, ()):
            if cp.hash != entry["hash"]:
                verdict.bad_seq = seq
                verdict.reason = f"it differs from the {cp.label}, so the log was rewritten from here or earlier"
                return verdict
            verdict.checkpoints_ok += 1
        verdict.count += 1
        verdict.head_seq, verdict.head_hash = seq, entry["hash"]
        expected, prev = seq + 1, entry["hash"]
    beyond = [cp for cp in verdict.checkpoints if cp.seq > verdict.head_seq]
    if beyond:
        cp = min(beyond, key=lambda c: c.seq)
        newest = max(beyond, key=lambda c: c.seq)
        verdict.bad_seq = verdict.head_seq + 1
        if verdict.count == 0:
            verdict.reason = (
                f"the store holds no access log at all, but the {cp.label} names entry {cp.seq}"
                + (f" (and {len(beyond) - 1} more, up to entry {newest.seq})" if len(beyond) > 1 else "")
                + ": the log was deleted"
            )
        else:
            verdict.reason = (
                f"it is missing, but the {cp.label} names entry {cp.seq}"
                + (f" (and {len(beyond) - 1} more, up to entry {newest.seq})" if len(beyond) > 1 else "")
                + f": the log holds fewer entries than were anchored, so entries from {verdict.head_seq + 1} on "
                "were removed from the end of the log"
            )
    return verdict


def _problem(entry: Mapping[str, Any], expected: int, prev: str) -> tuple[int, str] | None:
    seq = entry["seq"]
    if seq > expected:
        gone = f"entry {expected} is" if seq == expected + 1 else f"entries {expected} to {seq - 1} are"
        return expected, f"{gone} missing (the log goes from entry {expected - 1} to {seq}), so it was deleted"
    if seq < expected:
        return seq, f"it repeats or reorders sequence number {seq}"
    if entry_hash(entry) != entry["hash"]:
        return seq, "its contents no longer match its hash, so it was altered after it was written"
    if entry["prev_hash"] != prev:
        return seq, (
            f"its previous-hash does not match entry {seq - 1}, so entry {seq - 1} was rewritten or this one was forged"
        )
    return None
