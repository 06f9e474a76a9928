"""The configuration items' pages (hub/cis.py): the list with search and filters, one CI with its incidents,
problems, its service's changes and its dependencies; agents and admins add, change, retire and remove them."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from hub import audit, ci_records, cis, people
from hub.catalogue import services as catalogue_services
from hub.errors import BadInput, Missing
from hub.models import ConfigurationItem
from web.acting import acting_db
from web.forms import ActionForm
from web.permissions import MANAGE_CIS, VIEW_CIS, allowed, requires
from web.responses import sentence
from web.services import services

bp = Blueprint("cis", __name__, url_prefix="/cis")

#: The status filter's choices; "all" shows both.
STATUS_FILTERS = ("active", "retired", "all")


class CiForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=cis.MAX_NAME)], description="db1.example.com")
    kind = SelectField("Kind", choices=list(cis.KINDS))
    service = StringField("Service", validators=[Length(max=100)])
    owner = StringField("Owner", validators=[Length(max=cis.MAX_OWNER)], description="dba or ann@example.com")
    status = SelectField("Status", choices=list(cis.STATUSES), default="active")
    description = TextAreaField("Description", validators=[Length(max=cis.MAX_DESCRIPTION)])
    attributes = TextAreaField("Attributes", description="ip=10.0.0.5\nlocation=rack 4")
    depends_on = StringField("Depends on", description="db1, san-a")

    def fields(self) -> cis.CiFields:
        return cis.CiFields(name=self.name.data or "", kind=self.kind.data or "", service=self.service.data,
                            owner=self.owner.data, description=self.description.data or "",
                            attributes=cis.parse_attributes(self.attributes.data or ""))  # fmt: skip

    def dependencies(self) -> list[str]:
        return [name.strip() for name in (self.depends_on.data or "").split(",") if name.strip()]


@bp.get("")
@requires(VIEW_CIS)
def index() -> ResponseReturnValue:
    status = request.args.get("status", "active")
    wanted = cis.CiFilter(
        query=request.args.get("q", "").strip()[:200],
        kind=request.args.get("kind", "") if request.args.get("kind") in cis.KINDS else "",
        service=request.args.get("service", "").strip()[:100],
        status=status if status in cis.STATUSES else "",
    )
    with services().db.read() as session:
        found = cis.listing(session, wanted)
        known_services = [service.name for service in catalogue_services(session)]
        names = people.names_of(session.connection(), [ci.owner for ci in found])
    return render_template("cis/index.html", cis=found, wanted=wanted, kinds=cis.KINDS, services=known_services,
                           names=names,
                           statuses=STATUS_FILTERS, status=wanted.status or "all", limit=wanted.limit,
                           may_write=allowed(current_user.role, MANAGE_CIS))  # fmt: skip


@bp.get("/<name>")
@requires(VIEW_CIS)
def detail(name: str) -> ResponseReturnValue:
    with services().db.read() as session:
        try:
            found = ci_records.record(session, name)
        except Missing as exc:
            _not_found(exc)
        names = people.names_of(session.connection(), [found.ci.owner])
    may_write = allowed(current_user.role, MANAGE_CIS)
    return render_template("cis/detail.html", record=found, ci=found.ci, names=names, may_write=may_write)


@bp.route("/new", methods=["GET", "POST"])
@requires(MANAGE_CIS)
def new() -> ResponseReturnValue:
    form = CiForm()
    if request.method == "GET":
        form.name.data = request.args.get("name", "")[: cis.MAX_NAME]
    error = None
    if form.validate_on_submit():
        done = _save(lambda session: cis.create(session, form.fields()), form, "ci.add")
        if not isinstance(done, str):
            return done
        error = done
    return _form_page(form, None, error)


@bp.route("/<name>/edit", methods=["GET", "POST"])
@requires(MANAGE_CIS)
def edit(name: str) -> ResponseReturnValue:
    with services().db.read() as session:
        try:
            row = cis.get(session, name)
        except Missing as exc:
            _not_found(exc)
        needs = ", ".join(other.name for other in cis.depends_on(session, row.id))
    form = CiForm(obj=row)
    if request.method == "GET":
        form.attributes.data = cis.format_attributes(row.attributes or {})
        form.depends_on.data = needs
    error = None
    if form.validate_on_submit():

        def change(session: Session) -> ConfigurationItem:
            current = cis.get(session, name)
            cis.change(session, current, form.fields(), status=form.status.data)
            return current

        done = _save(change, form, "ci.change")
        if not isinstance(done, str):
            return done
        error = done
    return _form_page(form, row, error)


@bp.post("/<name>/retire")
@requires(MANAGE_CIS)
def retire(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        row = cis.retire(session, name)
        audit.record(session, current_user.email, "ci.retire", row.name)
        return f"{row.name} is retired: new events naming it link to nothing; its incidents keep it."

    return _button(work, lambda: url_for(".detail", name=name))


@bp.post("/<name>/remove")
@requires(MANAGE_CIS)
def remove(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        removed = cis.remove(session, name)
        audit.record(session, current_user.email, "ci.remove", removed)
        return f"{removed} removed."

    return _button(work, lambda: url_for(".index"), refused=lambda: url_for(".detail", name=name))


def _button(work: Callable[[Session], str], done: Callable[[], str], refused: Callable[[], str] | None = None
            ) -> ResponseReturnValue:  # fmt: skip
    """A state-changing button: CSRF checked, `work` in one transaction; then `done`'s page, or why not."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with acting_db().transaction() as session:
            said = work(session)
    except Missing as exc:
        _not_found(exc)
    except BadInput as exc:
        flash(f"Nothing changed: {exc}.", "error")
        return redirect((refused or done)(), code=303)
    flash(said, "success")
    return redirect(done(), code=303)


def _save(write: Callable[[Session], ConfigurationItem], form: CiForm, action: str) -> ResponseReturnValue | str:
    """Write the CI and its dependencies in one transaction, audited as `action`: then its page, or why not."""
    try:
        with acting_db().transaction() as session:
            row = write(session)
            cis.set_dependencies(session, row, form.dependencies())
            audit.record(session, current_user.email, action, row.name, kind=row.kind, status=row.status)
            saved = row.name
    except BadInput as exc:
        return f"Nothing saved: {exc}."
    flash(f"{saved} saved.", "success")
    return redirect(url_for(".detail", name=saved), code=303)


def _form_page(form: CiForm, row: ConfigurationItem | None, error: str | None) -> ResponseReturnValue:
    with services().db.read() as session:
        known_services = [service.name for service in catalogue_services(session)]
    code = 400 if error or form.errors else 200
    return render_template("cis/edit.html", form=form, ci=row, error=error, services=known_services), code


def _not_found(exc: Missing) -> NoReturn:
    """A 404 whose page says what was missing, as a sentence."""
    abort(404, description=sentence(str(exc)))
