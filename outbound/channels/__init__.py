"""Channels deliver one notification each; the outbox row's `channel` column picks which.

`email` rows go to their recipient through the relay. Rows for webhook, Slack, Teams and Mattermost channels name
their channel record in `recipient`; the worker looks the records up once per batch and passes them in. Each
channel returns when the message was handed over and raises `TransientDeliveryError` or `PermanentDeliveryError`
when it was not.
"""

from __future__ import annotations

from hub.channels import ChannelSpec
from hub.config import Settings
from outbound.channels import chat, email, webhook
from outbound.errors import PermanentDeliveryError, TransientDeliveryError
from outbound.notification import Notification

CHAT_KINDS = frozenset({"slack", "teams", "mattermost"})


def send(notification: Notification, settings: Settings, endpoint: ChannelSpec | None = None) -> None:
    """Deliver through the notification's channel; an unknown or removed channel can never succeed: permanent."""
    kind = notification.channel
    if kind == "email":
        email.send(notification, settings)
        return
    if kind != "webhook" and kind not in CHAT_KINDS:
        raise PermanentDeliveryError(f"no channel kind {kind!r}")
    if endpoint is None:
        raise PermanentDeliveryError(
            f"channel {notification.recipient!r} no longer exists or is disabled; recreate it, then retry this one"
        )
    if endpoint.kind != kind:
        raise PermanentDeliveryError(f"channel {endpoint.name!r} is now a {endpoint.kind} channel, not {kind}")
    if endpoint.problem is not None:
        # Never sent unsigned. For now: once the key is back in SWITCHBOARD_OLD_SECRET_KEYS, it goes out signed.
        raise TransientDeliveryError(f"channel {endpoint.name!r}: {endpoint.problem}")
    if kind == "webhook":
        webhook.send(notification, endpoint, settings.webhook_targets)
    else:
        chat.send(notification, endpoint, settings.webhook_targets)
