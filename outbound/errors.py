"""Why a delivery did not happen, in the two kinds that decide what happens next.

A `TransientDeliveryError` is retried (the receiver or network is unavailable, or it said "try later": SMTP 4xx,
HTTP 408/429/5xx), after the receiver's `Retry-After` when it gave one; a `PermanentDeliveryError` is not (SMTP 5xx,
other HTTP 4xx, a removed channel), so its row is marked dead at once.
`QueueUnavailable` is the dispatcher's: Redis is not there, so the outbox keeps its rows until it is.
"""

from __future__ import annotations

from hub.errors import SwitchboardError


class DeliveryError(SwitchboardError):
    """A notification could not be delivered on this attempt; the message says why."""


class TransientDeliveryError(DeliveryError):
    """Retrying later may succeed: connection refused, timeout, TLS trouble, SMTP 4xx, HTTP 408/429/5xx."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds the receiver asked us to wait, if it said


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: the receiver refused this message (SMTP 5xx, HTTP 4xx) or its channel is gone."""


class QueueUnavailable(SwitchboardError):
    """Redis could not be reached or did not answer in time; nothing was enqueued and no row changed."""
