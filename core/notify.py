"""Notification channels: how plugins reach people (email, SMS, …).

A channel is a plugin of its own (``register_channels``); a plugin that wants to tell
someone something builds a :class:`Message` and hands it to the channel by name. A
channel reports a message as delivered only when the server accepted it: "SMTP not set
up" is a failure, never a silent success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (the weekly digest's report page); channels that cannot carry one ignore it."""

    filename: str
    content_type: str  # "text/html"
    data: bytes


@dataclass(frozen=True)
class Message:
    channel: str  # the channel's name: "email", "sms"
    to: str  # an address or an E.164 number
    subject: str
    body: str
    idempotency_key: str  # the same key is never delivered twice
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Delivery:
    accepted: bool
    detail: str = ""  # the provider's message id, or why it failed (never message content)


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> Delivery:
        """Hand the message to the server; accepted=True only once the server took it."""
