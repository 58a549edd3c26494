"""Email columns: addresses checked and normalised by ``email-validator``.

The domain is lower-cased (and international domains put in their Unicode form); the
part before the ``@`` is kept exactly, since some mail servers tell ``Ada`` from ``ada``.
Deliverability is not checked: a sync must not wait on DNS, and a typo in a real domain
is for the staff to see, not for a resolver to guess.

``email-validator`` costs about 17 µs an address. Most addresses are plain ASCII at a
handful of domains (a practice's patients share gmail.com and the like), so the fast
path checks the part before the ``@`` with the same rule the library uses for plain
ASCII (RFC 5322 dot-atom, at most 64 characters) and asks the library about each domain
only once. Anything else takes the library's full path; a test holds the two paths to
the same answers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from ._base import SPACE, CellError, CoerceContext, Coercer, Writer, problem_for, scalar_text

EXPECTED: Final = "an email address such as pat.lee@mail.com"

_ATEXT: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS: Final = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)", re.ASCII)


_SPECIAL_NAMES: Final = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
"""Mailbox names (``postmaster``, ``abuse``…) the library lower-cases: its full path reads them."""


def _problem(exc: EmailNotValidError) -> str:
    """The library's reason, cut before any detail that could quote the address."""
    text = str(exc).removeprefix("After Unicode normalization: ")
    for mark in (":", " ("):
        text = text.split(mark, 1)[0]
    text = text.rstrip(". ")
    if text.startswith(("The ", "An ", "A ", "There ", "After ")):
        text = text[0].lower() + text[1:]
    return text or "this is not an email address"


@lru_cache(maxsize=4096)
def _domain(domain: str) -> tuple[bool, str]:
    """The normalised domain, or why it is refused; asked once per distinct domain."""
    try:
        return True, validate_email("a@" + domain, check_deliverability=False).domain
    except EmailNotValidError as exc:
        return False, _problem(exc)


def _slow(text: str) -> str:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise CellError(problem_for(text, _problem(exc)), EXPECTED) from None


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for an email column: the normalised address, or ``None`` when blank."""
    match_plain = _PLAIN_ADDRESS.fullmatch
    domain_of = _domain
    special_names = _SPECIAL_NAMES

    def coerce_email(raw: Any) -> str | None:
        if raw.__class__ is str:
            text = raw.strip(SPACE)
        elif raw is None:
            return None
        else:
            text = scalar_text(raw, EXPECTED)
        m = match_plain(text)
        if m is not None and len(text) <= 254:
            local = m[1]
            if len(local) <= 64 and local.lower() not in special_names:
                typed = m[2]
                ok, domain = domain_of(typed)
                if ok:  # most domains are typed as the library writes them: the text is the address
                    return text if domain == typed else local + "@" + domain
                raise CellError(domain, EXPECTED)
        if not text:
            return None
        return _slow(text)

    return coerce_email


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Addresses are written as text."""

    def write_email(value: Any) -> str | None:
        return None if value is None else str(value)

    return write_email
