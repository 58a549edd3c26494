"""The one base of every error clinicops raises on purpose.

Each of these carries a sentence written for the person at the keyboard: what went wrong
and what to do. The command line shows exactly that sentence and exits 1; anything else
that escapes is a bug, and keeps its traceback so it can be fixed.
"""

from __future__ import annotations


class ClinicopsError(Exception):
    """An expected failure; its message is one sentence a person can act on."""


class NotFound(ClinicopsError, LookupError):
    """What was asked for (a record, a version, a job, an entity) does not exist."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"
