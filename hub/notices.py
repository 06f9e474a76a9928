"""The notifications an incident change owes, composed as plain values (pure) for the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import Any

from hub.domain import format_ref


@dataclass(frozen=True)
class Notice:
    kind: str
    channel: str
    recipient: str
    subject: str
    body: str
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    delivery_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def acknowledgement(
    *,
    incident_id: int,
    title: str,
    requester: str,
    desk_address: str,
    in_reply_to: str | None,
    base_url: str,
) -> Notice:
    """Tell a requester their email became an incident; the reference in the subject threads replies back."""
    ref = format_ref(incident_id)
    delivery_id = str(uuid.uuid4())
    headers: dict[str, Any] = {
        "From": desk_address,
        # RFC 3834: an automatic reply; well-behaved responders will not answer it, and we ignore those that do.
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "X-Switchboard-Delivery": delivery_id,
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    body = (
        f"Hello,\n\nWe have received your message and opened {ref}: {title}\n\n"
        f"Reply to this email to add to it; keep [{ref}] in the subject.\n\n"
        f"-- \nService desk <{desk_address}>\n{base_url}/incidents/{ref}\n"
    )
    return Notice(
        kind="acknowledgement",
        channel="email",
        recipient=requester,
        subject=f"[{ref}] {title}",
        body=body,
        headers=headers,
        message_id=make_msgid(idstring=delivery_id, domain=_domain(desk_address)),
        delivery_id=delivery_id,
    )


def assignment(
    *, incident_id: int, title: str, priority: int, assignee: str, desk_address: str, base_url: str
) -> Notice:
    """Tell a person an incident is theirs."""
    ref = format_ref(incident_id)
    delivery_id = str(uuid.uuid4())
    body = (
        f"{ref} (P{priority}) is assigned to you: {title}\n\n{base_url}/incidents/{ref}\n\n"
        f"-- \nSwitchboard <{desk_address}>\n"
    )
    return Notice(
        kind="assigned",
        channel="email",
        recipient=assignee,
        subject=f"[{ref}] P{priority} assigned to you: {title}",
        body=body,
        headers={
            "From": desk_address,
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Switchboard-Delivery": delivery_id,
        },
        message_id=make_msgid(idstring=delivery_id, domain=_domain(desk_address)),
        delivery_id=delivery_id,
    )
