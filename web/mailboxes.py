"""The mailboxes page: the SMTP desk addresses this hub answers, and the IMAP mailboxes it imports from, with
"test connection" (admins only; the same checks as `switchboard mailbox test`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from hub import audit, mailboxes
from hub.domain import TLS_MODES
from hub.errors import BadInput
from hub.numbers import whole_number
from web.acting import acting_db, check_now
from web.forms import ActionForm, button_action
from web.permissions import MANAGE_USERS, requires
from web.services import services

bp = Blueprint("mailboxes", __name__, url_prefix="/mailboxes")

#: A test from the web waits at most this long for the server, so the page answers.
TEST_TIMEOUT = 10.0
#: How the page's secret field is stored: the value itself, or where to read it at each connect.
SECRET_KINDS = {"literal": "the password itself", "env": "an environment variable", "file": "a file (OAuth2 token)"}


@bp.route("", methods=["GET", "POST"])
@requires(MANAGE_USERS)
def index() -> ResponseReturnValue:
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        values = request.form
        kind = values.get("secret_kind", "literal")
        try:
            if kind not in SECRET_KINDS:
                raise BadInput("choose how the password or token is given")
            port = values.get("port", "").strip()
            with acting_db().transaction() as session:
                config = mailboxes.add_mailbox(
                    session, name=values.get("name", "").strip(), host=values.get("host", ""),
                    username=values.get("username", ""), secret=f"{kind}:{values.get('secret', '')}",
                    port=whole_number(port), tls=values.get("tls", "ssl"),
                    auth=values.get("auth", "password"), folder=values.get("folder", "INBOX").strip() or "INBOX",
                    move_to=values.get("move_to", "").strip() or None, keys=services().keys,
                )  # fmt: skip
                audit.record(session, current_user.email, "mailbox.add", config.name, host=config.host,
                             user=config.username)  # fmt: skip
        except BadInput as exc:
            error = str(exc)
        else:
            flash(f"Mailbox {config.name} added; the imap process picks it up within 30 seconds.", "success")
            return redirect(url_for("mailboxes.index"))
    with services().db.read() as session:
        rows = mailboxes.list_mailboxes(session)
    settings = services().settings
    return render_template("mailboxes.html", mailboxes=rows, form=form, error=error, desks=settings.desk_addresses,
                           smtp=f"{settings.bind_host}:{settings.smtp_port}", tls_modes=TLS_MODES,
                           auth_kinds=mailboxes.AUTH_KINDS, secret_kinds=SECRET_KINDS)  # fmt: skip


@bp.post("/<name>/test")
@requires(MANAGE_USERS)
def test(name: str) -> ResponseReturnValue:
    from ingest import imap  # IMAPClient, imported by the one page action that connects: not at every start

    if not ActionForm().validate_on_submit():
        abort(400)
    # It writes nothing, but signs in to the mailbox with the secret kept for it: only for someone who still may.
    check_now()
    try:
        with services().db.read() as session:
            config = mailboxes.get_mailbox(session, name)
        found = imap.probe(config, services().keys, timeout=TEST_TIMEOUT)
    except BadInput as exc:
        abort(404, description=str(exc))
    except imap.MailboxError as exc:
        flash(f"{name}: {exc}", "error")
    else:
        idle = "IDLE supported" if "IDLE" in found.capabilities else "no IDLE (it will poll)"
        flash(f"{name}: connected; {found.messages} messages in {config.folder}, {found.unseen} unread, {idle}.",
              "success")  # fmt: skip
    return redirect(url_for("mailboxes.index"))


@bp.post("/<name>/remove")
@requires(MANAGE_USERS)
def remove(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        mailboxes.remove_mailbox(session, name)
        audit.record(session, current_user.email, "mailbox.remove", name)
        return f"Mailbox {name} removed; mail already imported stays."

    return button_action(work, "mailboxes.index")
