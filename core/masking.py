"""A record's history as it may be shown: PHI masked unless the reader asked to see it.

Versions keep every value (a conflict's losing value too, in the version's note), so the
store loses nothing; what leaves it for a screen or a script shows a PHI field as
``<phi: N chars>``, exactly as reports and logs do. Seeing the values is a deliberate,
access-logged act (``clinicops history --reveal --purpose ...``).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from typing import Any

from clinicops.core.problems import display_value
from clinicops.core.records import Version
from clinicops.core.schema_registry import Entity

# One conflict in a version's note: "email kept sheet value, lost 'x@y.org'" (the lost value as a repr).
_CONFLICT = re.compile(
    r"(?P<field>[\w.-]+) kept (?P<winner>\w+) value, lost (?P<lost>.*?)(?=; [\w.-]+ kept \w+ value, |$)"
)


def phi_fields(entity: Entity) -> frozenset[str]:
    return frozenset(f.name for f in entity.fields if f.phi)


def mask_version(version: Version, entity: Entity) -> Version:
    """The version with every PHI value in its data, diff and note replaced by its length."""
    phi = phi_fields(entity)
    if not phi:
        return version
    return dataclasses.replace(
        version,
        data={k: display_value(v, True) if k in phi else v for k, v in version.data.items()},
        diff={k: [display_value(x, True) for x in pair] if k in phi else pair for k, pair in version.diff.items()},
        note=mask_note(version.note, phi),
    )


def mask_note(note: str | None, phi: frozenset[str]) -> str | None:
    """A conflict note with the lost value of each PHI field masked; other notes as written."""
    if not note or not note.startswith("conflict: "):
        return note

    def masked(match: re.Match[str]) -> str:
        if match["field"] not in phi:
            return match[0]
        return f"{match['field']} kept {match['winner']} value, lost {display_value(_value(match['lost']), True)}"

    return _CONFLICT.sub(masked, note)


def _value(text: str) -> Any:
    """The lost value back from its repr (its length is what a masked note shows)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
