"""Anchors: the chain's head written outside the store, so a log cut or rebuilt inside it shows.

Whoever can write the store's database file can drop the triggers, delete the newest
entries together with every checkpoint kept beside them, or rewrite and rehash the whole
chain; the store alone cannot prove that happened. So once each transaction that added
entries has committed (every sync that touched PHI, every report and export), the new head
(sequence number = count of entries, and hash) is appended to a file of JSON lines beside
the practice, ``access-log-anchors.jsonl`` (600, opened append-only), and every export
leaves its own checkpoint file off-site. ``clinicops audit verify`` holds the chain
against every anchor and every exported checkpoint it can find and names the one that
disagrees.

What this does not stop: someone who can rewrite this file as well as the database can
make both agree; only copies out of their reach (exports kept off-site, or this file on
append-only or write-once storage, e.g. ``chattr +a``) catch that. A crash between a
commit and its anchor leaves the anchor behind the log, never ahead of it.

A line ``{"restart": ...}`` records that the store was rebuilt on purpose (``sync
--adopt-ids``): the log starts again at entry 1, and anchors before it describe the log
that was lost with the old store (kept only in its exports).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from clinicops import private_files
from clinicops.plugins.access_log.chain import Checkpoint

FILE_NAME = "access-log-anchors.jsonl"


@dataclass(frozen=True)
class Anchor:
    at: str
    seq: int
    hash: str
    source: str


@dataclass(frozen=True)
class Restart:
    at: str
    by: str
    reason: str


class AnchorFile:
    """One practice's anchor file; appends only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnchorFile) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def append(self, anchor: Anchor) -> None:
        self._write({"at": anchor.at, "seq": anchor.seq, "hash": anchor.hash, "source": anchor.source})

    def restart(self, restart: Restart) -> None:
        self._write({"restart": True, "at": restart.at, "by": restart.by, "reason": restart.reason})

    def _write(self, line: dict[str, object]) -> None:
        try:
            with private_files.open_append(self.path) as out:
                out.write(json.dumps(line, sort_keys=True) + "\n")
        except OSError:
            # The change has committed; a missing anchor weakens the next check, which says so.
            return

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> tuple[list[Checkpoint], Restart | None, list[str]]:
        """The anchors since the newest restart as checkpoints, that restart, and lines that are not anchors."""
        current: list[Checkpoint] = []
        restart: Restart | None = None
        bad: list[str] = []
        for number, raw in self._lines():
            try:
                data = json.loads(raw)
                if data.get("restart"):
                    current, restart = (
                        [],
                        Restart(str(data["at"]), str(data.get("by", "")), str(data.get("reason", ""))),
                    )
                    continue
                label = f"anchor of {data['at']} ({data['source']}, {self.path.name} line {number})"
                current.append(Checkpoint(label, int(data["seq"]), str(data["hash"])))
            except (ValueError, KeyError, TypeError, AttributeError):
                bad.append(f"{self.path.name} line {number} is not an anchor")
        return current, restart, bad

    def _lines(self) -> Iterator[tuple[int, str]]:
        try:
            with self.path.open(encoding="utf-8") as src:
                for number, raw in enumerate(src, start=1):
                    if raw.strip():
                        yield number, raw
        except FileNotFoundError:
            return
