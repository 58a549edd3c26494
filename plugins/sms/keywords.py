"""What a patient's text reply asks for: to stop texts, to resume them, help, or a person.

The rules, and where they come from:

- **Revoking consent** (FCC 24-24, Report and Order of February 2024, in force April 11, 2025;
  47 CFR 64.1200(a)(10)): a patient may revoke consent by any reasonable means. A reply of
  ``stop``, ``quit``, ``end``, ``revoke``, ``opt out``, ``cancel`` or ``unsubscribe`` is a
  valid revocation, in any case and with any punctuation, and so is other wording a
  reasonable person would read as one ("Please stop texting me", "don't text me anymore").
  The rule's burden is on the sender, so a reply that *contains* ``stop``, ``quit``,
  ``revoke``, ``opt out`` or ``unsubscribe`` is read as a revocation even inside a longer
  message; ``end`` and ``cancel``, everyday words in a sentence ("cancel my appointment on
  Tuesday", "see you at the end of the week"), revoke only when they are the reply itself.
  Carriers' ``STOPALL`` counts too (CTIA Messaging Principles and Best Practices, 2023).
- **Resuming**: ``START`` and ``UNSTOP`` (CTIA) lift the block on the number; the patient's
  consent in the sheet stays as the opt-out left it, for staff to restore.
- **HELP** (and ``INFO``) is answered with who is texting and how to reach them and to opt
  out (CTIA Messaging Principles and Best Practices, 5.1.3 and the Short Code Monitoring
  Handbook).
- **Anything else is for a person**: a reply that is not a keyword, a revocation with more to
  say, and ``Cancel`` alone (it revokes consent, and the patient may also mean the visit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STOP, START, HELP, OTHER = "STOP", "START", "HELP", "OTHER"

STOP_WORDS = frozenset({"stop", "stopall", "quit", "end", "revoke", "optout", "cancel", "unsubscribe"})
ALONE_ONLY = frozenset({"end", "cancel"})
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
# Words that add nothing to a keyword ("STOP please", "Unsubscribe me now, thanks").
FILLER = frozenset({"please", "pls", "plz", "now", "thanks", "thank", "you", "ty", "me", "all", "ok", "okay"})
# Other wording a reasonable person reads as a revocation.
REVOKING = tuple(
    re.compile(p)
    for p in (
        r"\b(?:do not|dont|don t|no longer|never) (?:text|message|contact|send)",
        r"\bno more (?:texts?|messages?|reminders?|txts?)\b",
        r"\b(?:remove|delete|take) me (?:off|from)\b",
        r"\bleave me alone\b",
        r"\bwrong number\b",
    )
)
# What is left of a revocation once its keyword and phrase are gone, when nobody needs to read it.
NOTHING_MORE = FILLER | {"texting", "messaging", "sending", "texts", "text", "messages", "these", "this", "anymore"}
NOTHING_MORE |= {"your", "list", "the", "from", "of", "to", "us"}
NOT_A_KEYWORD = re.compile(r"\bstop (?:by|in|over)\b")  # "I'll stop by" is a visit, not an opt-out


@dataclass(frozen=True)
class Reading:
    """What a reply asks for, and whether a person at the front desk should read it."""

    keyword: str
    for_staff: bool
    cancel: bool = False  # "Cancel" alone: a revocation that may also be about the visit


def words_of(body: str) -> list[str]:
    """Lower-case words, punctuation gone, ``opt out`` / ``opt-out`` joined into one word."""
    text = re.sub(r"[^\w\s]", " ", body.casefold().replace("'", " ").replace("’", " "))
    text = re.sub(r"\bopt\s+out\b", "optout", text)
    return text.split()


def read(body: str) -> Reading:
    """The keyword of a reply: STOP, START, HELP or OTHER, and whether it is for staff."""
    words = words_of(body)
    said = set(words) - FILLER
    if not said:
        return Reading(OTHER, bool(words))
    if said <= START_WORDS:
        return Reading(START, False)
    if said <= HELP_WORDS:
        return Reading(HELP, False)
    if said <= STOP_WORDS:
        return Reading(STOP, "cancel" in said, cancel="cancel" in said)
    text = NOT_A_KEYWORD.sub("visit", " ".join(words))
    said = set(text.split()) - FILLER
    phrases = [p for p in REVOKING if p.search(text)]
    if said & (STOP_WORDS - ALONE_ONLY) or phrases:
        for pattern in phrases:
            text = pattern.sub(" ", text)
        rest = set(text.split()) - STOP_WORDS - NOTHING_MORE
        return Reading(STOP, bool(rest))
    return Reading(OTHER, True)
