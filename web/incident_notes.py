"""The incident page's note and reply forms: text, time spent and files, posted as multipart/form-data. Either the
text or a file may be all there is (a screenshot needs no words); neither is refused, saying so.

Files over the limits send the form back with the message beside its file field and what was typed kept, and
nothing is saved; anything else that stops a note or a reply is flashed on the page, as for every action
(web/incident_actions.py). The files are read (web/uploads.py) and written to the attachment store before the
transaction that records them with the note or the reply (hub/incident_notes.py, hub/agent_files.py).

The CSRF token is checked here rather than by the app-wide hook, which runs before the view and would read the
body under the app's event-sized limit: `_write` first raises this request's limit to what its files may come to.
It is the same check, with the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import StringField, TextAreaField

from hub import agent_files, incident_notes, mentions
from hub.agent_action import Actor, TriageError
from hub.agent_files import Kept
from hub.errors import BadField, StorageUnavailable
from hub.time_spent import Spent
from web import incident_refs, uploads
from web.acting import acting_db
from web.extensions import csrf
from web.incident_actions import mail_settings, spent_typed
from web.incidents import Draft, incident_page
from web.permissions import WORK_INCIDENTS, requires
from web.responses import sentence

bp = Blueprint("incident_notes", __name__)


class WritingForm(FlaskForm):
    """A note's or a reply's fields. Its CSRF token is checked by `csrf.protect()` in `_write`, once the body may
    be as large as its files."""

    class Meta:
        csrf = False

    text = TextAreaField()
    spent = StringField()
    files = MultipleFileField()


def _note(number: int, text: str, actor: Actor, spent: Spent | None, files: Sequence[Kept]) -> str:
    said = incident_notes.add_note(acting_db(), number, text, actor, mail_settings(), spent, files)
    return "note added" + _with(files) + mentions.outcome(said)


def _reply(number: int, text: str, actor: Actor, spent: Spent | None, files: Sequence[Kept]) -> str:
    to = incident_notes.reply(acting_db(), number, text, actor, mail_settings(), spent, files)
    return f"reply queued to {to}" + _with(files)


def _with(files: Sequence[Kept]) -> str:
    return f" with {len(files)} file{'s' if len(files) != 1 else ''}" if files else ""


WRITE: dict[str, Callable[[int, str, Actor, Spent | None, Sequence[Kept]], str]] = {"note": _note, "reply": _reply}


@bp.post("/incidents/<ref>/note")
@csrf.exempt  # checked in _write, once the body may be as large as its files
@requires(WORK_INCIDENTS)
def note(ref: str) -> ResponseReturnValue:
    """An internal note, with files only the desk sees."""
    return _write(ref, "note")


@bp.post("/incidents/<ref>/reply")
@csrf.exempt  # checked in _write, once the body may be as large as its files
@requires(WORK_INCIDENTS)
def reply(ref: str) -> ResponseReturnValue:
    """A reply mailed to the requester, with its files attached to the mail."""
    return _write(ref, "reply")


def _write(ref: str, kind: str) -> ResponseReturnValue:
    number = incident_refs.number_of(ref)
    store = uploads.store()
    uploads.allow_files(store.limits)
    csrf.protect()
    form = WritingForm()
    text, typed = form.text.data or "", form.spent.data or ""
    try:
        files = uploads.read(form.files.data or [], store.limits)
    except BadField as exc:
        return incident_page(f"INC-{number}", Draft(kind, text, typed, str(exc)), 400)
    try:
        spent = spent_typed()
        kept = agent_files.keep(store, files)
        outcome = WRITE[kind](number, text, Actor(current_user.email), spent, kept)
        flash(f"INC-{number} {outcome}.", "success")
    except TriageError as exc:
        flash(sentence(str(exc)), "error")
    except StorageUnavailable:
        flash("The database or the disk is busy; nothing was saved. Try again in a moment.", "error")
    return redirect(url_for("incidents.detail", ref=f"INC-{number}"), code=303)
