"""Why a delivery did not happen, in the two kinds that decide what happens next.

A `TransientDeliveryError` is retried (the relay or network is unavailable, or the relay said "try later", 4xx);
a `PermanentDeliveryError` is not (the relay refused this message for good, 5xx), so its row is marked dead at once.
`QueueUnavailable` is the dispatcher's: Redis is not there, so the outbox keeps its rows until it is.
"""

from __future__ import annotations

from hub.errors import SwitchboardError


class DeliveryError(SwitchboardError):
    """A notification could not be delivered on this attempt; the message says why."""


class TransientDeliveryError(DeliveryError):
    """Retrying later may succeed: connection refused, timeout, TLS trouble, SMTP 4xx, or a relay login problem."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: the relay refused this message (SMTP 5xx) or its channel is unknown."""


class QueueUnavailable(SwitchboardError):
    """Redis could not be reached or did not answer in time; nothing was enqueued and no row changed."""
