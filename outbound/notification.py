"""One outbox row as a plain value, so channels never see a database session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import OutboxMessage
from hub.outbox import body_of


@dataclass(frozen=True)
class Notification:
    """What a channel needs to deliver one outbox row."""

    outbox_id: int
    delivery_id: str
    incident_id: int | None
    kind: str
    channel: str
    recipient: str
    subject: str
    body: str
    headers: Mapping[str, str]
    message_id: str | None
    payload: Mapping[str, Any] | None = None  # the facts webhook and chat channels render
    html: str | None = None  # an email's HTML alternative

    @classmethod
    def from_row(
        cls, row: OutboxMessage, templates: MailTemplates = DEFAULTS, secret_key: str | None = None
    ) -> Notification:
        """The row as it is sent: a templated mail's body rendered now, with the installation's `templates` (and,
        given its `secret_key`, the links signed now that some mail carries)."""
        body, html = body_of(row, templates, secret_key)
        return cls(
            outbox_id=row.id,
            delivery_id=row.delivery_id,
            incident_id=row.incident_id,
            kind=row.kind,
            channel=row.channel,
            recipient=row.recipient,
            subject=row.subject,
            body=body,
            headers=MappingProxyType({str(k): str(v) for k, v in (row.headers or {}).items()}),
            message_id=row.message_id,
            payload=MappingProxyType(dict(row.payload)) if row.payload else None,
            html=html,
        )
