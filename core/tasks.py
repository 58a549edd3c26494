"""Work plugins ask the scheduled runner to do, and what ``clinicops status`` shows for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ScheduledTask:
    """A plugin's recurring job; ``run`` gets a PracticeView in its own transaction."""

    name: str
    run: Callable[[Any], None]
    every_minutes: int | None = None
    daily_at: str | None = None  # "07:00", practice local time
    office_hours_only: bool = False


@dataclass(frozen=True)
class StatusSection:
    """A block of ``clinicops status``: a title and rows of text cells."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
