"""One outbox row as a plain value, so channels never see a database session."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import Attachment, OutboxMessage
from hub.outbox import body_of


@dataclass(frozen=True)
class File:
    """A file a mail carries (an agent's reply's), as `attachments` lists it; its bytes are read from the store
    when the mail is sent. `sha256` is None when there is nothing to read: its row is gone."""

    attachment_id: int
    filename: str
    sha256: str | None


def files_named(session: Session, rows: Iterable[OutboxMessage]) -> dict[int, File]:
    """The files the rows name, by id, in one query (a row whose file's row is gone finds none for it)."""
    wanted = sorted({i for row in rows for i in row.attachment_ids or ()})
    if not wanted:
        return {}
    found = session.execute(select(Attachment.id, Attachment.filename, Attachment.sha256, Attachment.stored)
                            .where(Attachment.id.in_(wanted)))  # fmt: skip
    return {i: File(i, name, digest if stored else None) for i, name, digest, stored in found}


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
    files: tuple[File, ...] = ()  # an email's attached files, in order

    @classmethod
    def from_row(
        cls,
        row: OutboxMessage,
        templates: MailTemplates = DEFAULTS,
        secret_key: str | None = None,
        files: Mapping[int, File] = MappingProxyType({}),
    ) -> Notification:
        """The row as it is sent: a templated mail's body rendered now, with the installation's `templates` (and,
        given its `secret_key`, the links signed now that some mail carries); the files it names from `files`
        (`files_named`), one missing there kept as a file with nothing to read, so the mail is not sent without
        it."""
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
            files=tuple(files.get(i) or File(i, f"attachment {i}", None) for i in row.attachment_ids or ()),
        )
