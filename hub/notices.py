"""The notifications an incident change owes, composed as plain values (pure) for the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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
    data: dict[str, Any] | None = None  # facts for webhook and chat channels, which render their own message


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def _footer(ref: str, desk_address: str, base_url: str) -> str:
    return f"\n\n{base_url}/incidents/{ref}\n\n-- \nSwitchboard <{desk_address}>\n"


def _notice(
    kind: str,
    *,
    recipient: str,
    subject: str,
    body: str,
    desk_address: str,
    auto_submitted: str | None = "auto-generated",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Notice:
    """A notice with the headers every one of ours carries: a stable delivery id (also in the Message-ID, so a
    receiver can drop repeats of an at-least-once delivery) and RFC 3834 marks so responders stay quiet."""
    delivery_id = str(uuid.uuid4())
    headers: dict[str, Any] = {"From": desk_address}
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
        headers["X-Auto-Response-Suppress"] = "All"
    headers["X-Switchboard-Delivery"] = delivery_id
    references = [*references] or ([in_reply_to] if in_reply_to else [])
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    return Notice(
        kind=kind,
        channel="email",
        recipient=recipient,
        subject=subject,
        body=body,
        headers=headers,
        message_id=make_msgid(idstring=delivery_id, domain=_domain(desk_address)),
        delivery_id=delivery_id,
    )


def acknowledgement(
    *,
    incident_id: int,
    title: str,
    requester: str,
    desk_address: str,
    in_reply_to: str | None,
    base_url: str,
    workaround: str | None = None,
) -> Notice:
    """Tell a requester their email became an incident; the reference in the subject threads replies back."""
    ref = format_ref(incident_id)
    known = (
        f"This is a known problem. Until it is fixed, this may help:\n\n{workaround.strip()}\n\n" if workaround else ""
    )
    body = (
        f"Hello,\n\nWe have received your message and opened {ref}: {title}\n\n"
        f"Reply to this email to add to it; keep [{ref}] in the subject.\n\n{known}"
        f"-- \nService desk <{desk_address}>\n{base_url}/incidents/{ref}\n"
    )
    # RFC 3834: an automatic reply; well-behaved responders will not answer it, and we ignore those that do.
    return _notice("acknowledgement", recipient=requester, subject=f"[{ref}] {title}", body=body,
                   desk_address=desk_address, auto_submitted="auto-replied", in_reply_to=in_reply_to)  # fmt: skip


def assignment(
    *, incident_id: int, title: str, priority: int, assignee: str, desk_address: str, base_url: str
) -> Notice:
    """Tell a person an incident is theirs."""
    ref = format_ref(incident_id)
    body = f"{ref} (P{priority}) is assigned to you: {title}" + _footer(ref, desk_address, base_url)
    return _notice("assigned", recipient=assignee, subject=f"[{ref}] P{priority} assigned to you: {title}",
                   body=body, desk_address=desk_address)  # fmt: skip


def escalation(
    *, incident_id: int, title: str, priority: int, recipient: str, step: int, desk_address: str, base_url: str
) -> Notice:
    """Tell someone an incident is still unacknowledged and now theirs to look at too."""
    ref = format_ref(incident_id)
    body = (f"{ref} (P{priority}) has not been acknowledged, so it was escalated to you (step {step + 1}): {title}"
            + _footer(ref, desk_address, base_url))  # fmt: skip
    return _notice("escalated", recipient=recipient, subject=f"[{ref}] P{priority} unacknowledged: {title}",
                   body=body, desk_address=desk_address)  # fmt: skip


def resolution(*, incident_id: int, title: str, assignee: str, source: str, desk_address: str, base_url: str) -> Notice:
    """Tell the assignee their incident was resolved by its source (one notice per state change, not per event)."""
    ref = format_ref(incident_id)
    body = (
        f"{ref} was resolved by {source}: {title}\n\n{base_url}/incidents/{ref}\n\n-- \nSwitchboard <{desk_address}>\n"
    )
    return _notice("resolved", recipient=assignee, subject=f"[{ref}] Resolved: {title}", body=body,
                   desk_address=desk_address)  # fmt: skip


def reopening(*, incident_id: int, title: str, assignee: str, source: str, desk_address: str, base_url: str) -> Notice:
    """Tell the assignee a resolved incident came back (within its integration's reopen window)."""
    ref = format_ref(incident_id)
    body = f"{ref} was reopened by a new {source} alert: {title}" + _footer(ref, desk_address, base_url)
    return _notice("reopened", recipient=assignee, subject=f"[{ref}] Reopened: {title}", body=body,
                   desk_address=desk_address)  # fmt: skip


def stabilised(*, incident_id: int, title: str, status: str, assignee: str, desk_address: str, base_url: str) -> Notice:
    """Tell the assignee a flapping alert settled, and where it settled (its notices were held meanwhile)."""
    ref = format_ref(incident_id)
    body = f"{ref} stopped flapping and is now {status}: {title}" + _footer(ref, desk_address, base_url)
    return _notice("stable", recipient=assignee, subject=f"[{ref}] Stable, {status}: {title}", body=body,
                   desk_address=desk_address)  # fmt: skip


def agent_reply(
    *,
    incident_id: int,
    title: str,
    requester: str,
    text: str,
    agent: str,
    desk_address: str,
    references: Sequence[str],
    base_url: str,
) -> Notice:
    """An agent's answer to the requester: a person's mail (no Auto-Submitted), threaded under the conversation
    and tagged with the reference, so the requester's answer lands in the same incident."""
    ref = format_ref(incident_id)
    subject = title if title.lower().startswith("re:") else f"Re: {title}"
    body = f"{text}\n\n-- \n{agent} for the service desk <{desk_address}>\nReference: {ref}\n"
    return _notice("reply", recipient=requester, subject=f"[{ref}] {subject}", body=body, desk_address=desk_address,
                   auto_submitted=None, references=references)  # fmt: skip


def sla_alert(
    *, incident_id: int, title: str, clock: str, kind: str, due: str, assignee: str, desk_address: str, base_url: str
) -> Notice:
    """Tell the assignee an SLA clock reached its warning share or its target (hub/sla.py's sweep)."""
    ref = format_ref(incident_id)
    what = "first response" if clock == "first_response" else "resolution"
    headline = f"SLA {'breached' if kind == 'breach' else 'warning'}: {what} due {due}"
    body = f"{ref}: {headline}\n{title}" + _footer(ref, desk_address, base_url)
    return _notice(f"sla_{kind}", recipient=assignee, subject=f"[{ref}] {headline}: {title}", body=body,
                   desk_address=desk_address)  # fmt: skip
