"""What an incident page shows of its emails: the requester as a contact, each message's files with download
links, and its HTML only after sanitising (`clean_html`). The files agents attached to notes and replies are
listed and served the same way. Files are always downloads, never rendered here."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, abort, send_file
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import attachments, contacts
from hub.models import Attachment, Incident
from ingest.html_clean import sanitise
from ingest.quotes import latest_reply
from web.permissions import VIEW_INCIDENTS, requires
from web.queries import incident_id
from web.services import services

bp = Blueprint("mail_view", __name__)

#: Types a browser cannot run script in, served as themselves; anything else is application/octet-stream, and
#: HTML, SVG and XML never go out as such (they could run script in our origin if ever opened inline).
SAFE_TYPES = frozenset(
    {"application/pdf", "image/gif", "image/jpeg", "image/png", "image/webp", "text/plain", "text/csv"}
)  # fmt: skip


@dataclass(frozen=True)
class MailView:
    """An incident's email extras: its requester as a contact, and its files (by email, note or reply)."""

    requester: contacts.Requester | None = None
    files: attachments.IncidentFiles = field(default_factory=attachments.IncidentFiles)


def for_incident(session: Session, incident: Incident) -> MailView:
    return MailView(contacts.requester_of(session, incident.requester), attachments.of_incident(session, incident.id))


def serving_type(content_type: str) -> str:
    """The Content-Type a stored file is served with: its own only when known to be inert."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind if kind in SAFE_TYPES else "application/octet-stream"


@bp.get("/incidents/<ref>/attachments/<int:attachment_id>")
@requires(VIEW_INCIDENTS)
def download(ref: str, attachment_id: int) -> Response:
    """One stored file of an incident, as a download."""
    found = incident_id(ref)
    with services().db.read() as session:
        row = session.scalar(select(Attachment).where(Attachment.id == attachment_id, Attachment.incident_id == found))
        if row is None:
            abort(404, description=f"{ref} has no attachment {attachment_id}.")
        filename, content_type, digest, stored = row.filename, row.content_type, row.sha256, row.stored
    store = services().intake.files
    path = store.path(digest) if store is not None and stored else None
    if path is None or not path.is_file():
        abort(404, description=f"{filename} was not stored (too large, or its file is gone); the raw message has it.")
    response = send_file(path, mimetype=serving_type(content_type), as_attachment=True, download_name=filename,
                         conditional=True, etag=digest, max_age=0)  # fmt: skip
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """`clean_html`: an email's HTML, sanitised, marked safe for the template (and only that).
    `latest_reply`: the newest part of an email's text, or None when there is no history or signature to cut."""
    app.jinja_env.filters["clean_html"] = lambda html: Markup(sanitise(str(html or "")))
    app.jinja_env.filters["latest_reply"] = lambda text: latest_reply(str(text or ""))
