"""Channels deliver one notification each; the outbox row's `channel` column picks which.

A channel is a function `(Notification, Settings) -> None` that returns when the message was handed over and
raises `TransientDeliveryError` or `PermanentDeliveryError` when it was not. New channels (webhook, chat) are
added to `CHANNELS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from hub.config import Settings
from outbound.channels import email
from outbound.errors import PermanentDeliveryError
from outbound.notification import Notification

Channel = Callable[[Notification, Settings], None]

CHANNELS: Mapping[str, Channel] = MappingProxyType({"email": email.send})


def send(notification: Notification, settings: Settings) -> None:
    """Deliver through the notification's channel; an unknown channel can never succeed, so it is permanent."""
    channel = CHANNELS.get(notification.channel)
    if channel is None:
        raise PermanentDeliveryError(f"no channel named {notification.channel!r}")
    channel(notification, settings)
