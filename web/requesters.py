"""What the desk holds on a requester: counts, the JSON download and erasure (admins only; docs/privacy.md).

The page is a GET (`/requesters?email=...`, linked from an incident's requester and searched from the users page);
the download and the erasure are POSTs with the CSRF token, since one records an export and the other changes
everything held. Erasing needs the address typed again.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from hub import audit, requester_data, requester_erasure
from hub.addresses import ADDRESS_WIDTH, pseudonym
from hub.errors import BadInput
from web.acting import acting_db
from web.permissions import MANAGE_REQUESTER_DATA, requires
from web.services import services

bp = Blueprint("requesters", __name__, url_prefix="/requesters")


class ExportForm(FlaskForm):
    email = HiddenField(validators=[DataRequired(), Length(max=ADDRESS_WIDTH)])


class EraseForm(FlaskForm):
    email = HiddenField(validators=[DataRequired(), Length(max=ADDRESS_WIDTH)])
    confirm = StringField("Type the address again to erase it", validators=[DataRequired(), Length(max=ADDRESS_WIDTH)])


@bp.get("")
@requires(MANAGE_REQUESTER_DATA)
def index() -> ResponseReturnValue:
    """The search box and, for an address, what is held on it and what erasing would change."""
    email = (request.args.get("email") or "").strip()
    held, error = None, None
    if email:
        try:
            with services().db.read() as session:
                held = requester_erasure.preview(session, email, services().settings.desk_addresses)
        except BadInput as exc:
            error = str(exc)
    return render_template("requesters/index.html", email=email, held=held, error=error,
                           export=ExportForm(email=email), erase=EraseForm(email=email))  # fmt: skip


@bp.post("/export")
@requires(MANAGE_REQUESTER_DATA)
def export() -> ResponseReturnValue:
    """The JSON document, as a download; the export is audited under the address's pseudonym."""
    form = ExportForm()
    if not form.validate_on_submit():
        flash("Nothing exported: give one address.", "error")
        return redirect(url_for("requesters.index"))
    key = services().settings.secret_key
    try:
        with acting_db().transaction() as session:
            document = requester_data.export(session, form.email.data or "")
            audit.record(session, current_user.email, "requester.export", pseudonym(document["email"], key))
    except BadInput as exc:
        flash(f"Nothing exported: {exc}.", "error")
        return redirect(url_for("requesters.index"))
    name = f"requester-data-{document['exported_at'][:10]}.json"
    return Response(requester_data.as_json(document), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@bp.post("/erase")
@requires(MANAGE_REQUESTER_DATA)
def erase() -> ResponseReturnValue:
    form = EraseForm()
    email = (form.email.data or "").strip()
    if not form.validate_on_submit() or (form.confirm.data or "").strip().lower() != email.lower():
        flash("Nothing erased: type the address exactly as shown to confirm.", "error")
        return redirect(url_for("requesters.index", email=email))
    found = services()
    try:
        done = requester_erasure.erase(found.db, email, key=found.settings.secret_key, actor=current_user.email,
                                       files=found.intake.files, desk=found.settings.desk_addresses)  # fmt: skip
    except BadInput as exc:
        flash(f"Nothing erased: {exc}.", "error")
        return redirect(url_for("requesters.index", email=email))
    changed = sum(done.counts.values())
    flash(f"Erased: {changed} rows changed; the address is now {done.pseudonym} (see the audit log).", "success")
    return redirect(url_for("requesters.index"))
