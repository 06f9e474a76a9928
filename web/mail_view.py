"""What an incident page shows of its emails: the requester as a contact, each message's files with download
links, and its HTML only after sanitising (`clean_html`). The files agents attached to notes and replies are
listed and served the same way. Files are always downloads, never rendered here (web/downloads.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, Flask, Response, abort
from markupsafe import Markup
from sqlalchemy.orm import Session

from hub import attachments, contacts, timeline_detail
from hub.models import Incident
from ingest.html_clean import sanitise
from ingest.quotes import latest_reply
from web import downloads
from web.permissions import VIEW_INCIDENTS, requires

bp = Blueprint("mail_view", __name__)


@dataclass(frozen=True)
class MailView:
    """An incident's email extras: its requester as a contact, and its files (by email, note or reply)."""

    requester: contacts.Requester | None = None
    files: attachments.IncidentFiles = field(default_factory=attachments.IncidentFiles)


def for_incident(session: Session, incident: Incident) -> MailView:
    return MailView(contacts.requester_of(session, incident.requester), attachments.of_incident(session, incident.id))


@bp.get("/incidents/<ref>/attachments/<int:attachment_id>")
@requires(VIEW_INCIDENTS)
def download(ref: str, attachment_id: int) -> Response:
    """One stored file of an incident, as a download."""
    served = downloads.download(ref, attachment_id)
    if isinstance(served, downloads.Unserved):
        abort(404, description=f"{served.message}.")
    return served


def init_app(app: Flask) -> None:
    """`clean_html`: an email's HTML, sanitised, marked safe for the template (and only that).
    `detail`: what a timeline entry shows under its line (hub/timeline_detail.py, as `incident show` prints it),
    given its files, an email's quoted history cut by ingest's `latest_reply`; `file_facts`: a file's type and
    size, as `incident show` writes them."""
    app.jinja_env.filters["clean_html"] = lambda html: Markup(sanitise(str(html or "")))
    app.jinja_env.filters["detail"] = lambda entry, files: timeline_detail.detail(entry, files, latest_reply)
    app.jinja_env.filters["file_facts"] = timeline_detail.file_facts
