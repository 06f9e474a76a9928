"""The service catalogue's page, /services: each service with its owner group, whether the status page shows it,
its unresolved incidents and the SLA policies that name it; every policy; the business calendars.

Everyone reads it (/reports/sla shows them the same catalogue); admins add and edit services and add and remove
policies, audited, through the hub functions `switchboard service|sla` call (hub/catalogue.py, hub/sla_removal.py),
so both refuse the same things with the same words. Calendars are added with `switchboard calendar add`: iCal
files and holiday sets are the shell's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, FloatField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from hub import audit, catalogue, groups, service_overview, sla_removal
from hub.errors import BadField, BadInput, Missing
from hub.names import NAME_WIDTH
from hub.sla_clocks import DEFAULT_WARN_AT
from web.forms import button_action
from web.permissions import MANAGE_CATALOGUE, VIEW_CATALOGUE, allowed, requires
from web.services import services

bp = Blueprint("catalogue", __name__, url_prefix="/services")

#: A description is a line on the status page, not an essay.
DESCRIPTION_WIDTH = 500
PRIORITIES = [SelectChoice(f"P{n}", f"P{n} (highest)" if n == 1 else f"P{n}") for n in range(1, 6)]


class ServiceForm(FlaskForm):
    """What may change of a service. Names are checked by the hub (hub/names.py), as for the CLI."""

    owner_group = StringField("Owner group")
    description = StringField("What it is", validators=[Length(max=DESCRIPTION_WIDTH)])
    public = BooleanField("Show it on the public status page (/status)")


class NewServiceForm(ServiceForm):
    name = StringField("Name")


class PolicyForm(FlaskForm):
    """`switchboard sla add`'s options; the hub parses and checks them (calendar and service choices too)."""

    name = StringField("Name")
    priority = SelectField("Priority", choices=PRIORITIES, validate_choice=False)
    first_response = StringField("First response within")
    next_update = StringField("Next update at least every (optional)")
    resolution = StringField("Resolution within")
    warn_at = FloatField("Warn at (share of a target)", default=DEFAULT_WARN_AT, validators=[InputRequired()])
    calendar = SelectField("Calendar", validate_choice=False)
    service = SelectField("Service", validate_choice=False)
    category = StringField("Category (optional)")
    organisation = StringField("Organisation (optional)")


@bp.get("")
@requires(VIEW_CATALOGUE)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("")
@requires(MANAGE_CATALOGUE)
def add_service() -> ResponseReturnValue:
    form = NewServiceForm(prefix="service")
    if form.validate_on_submit():

        def add(session: Session) -> tuple[str, str | None]:
            row = catalogue.add_service(session, name=form.name.data or "", owner_group=form.owner_group.data,
                                        description=form.description.data or "", public=form.public.data)  # fmt: skip
            audit.record(session, current_user.email, "service.add", row.name, owner_group=row.owner_group,
                         public=row.public)  # fmt: skip
            shown = ", shown on the status page" if row.public else ""
            return f"Service {row.name} added{shown}.", catalogue.missing_owner(session, row.owner_group)

        if _saved(form, add):
            return redirect(url_for(".index"), code=303)
    return _page(service_form=form), 400


@bp.route("/<path:name>/edit", methods=["GET", "POST"])  # service names may hold "/"
@requires(MANAGE_CATALOGUE)
def edit(name: str) -> ResponseReturnValue:
    with services().db.read() as session:
        try:
            row = catalogue.get_service(session, name)
        except Missing as exc:
            abort(404, description=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        group_names = [group.name for group in groups.list_groups(session)]
    form = ServiceForm(obj=row)
    if form.validate_on_submit():
        before = {"owner_group": row.owner_group, "description": row.description, "public": row.public}

        def change(session: Session) -> tuple[str, str | None]:
            changed = catalogue.set_service(session, row.name, public=form.public.data,
                                            description=form.description.data or "",
                                            owner_group=form.owner_group.data or "")  # fmt: skip
            after = {"owner_group": changed.owner_group, "description": changed.description, "public": changed.public}
            moved = {field: value for field, value in after.items() if before[field] != value}
            if not moved:
                return f"Nothing changed on {changed.name}.", None
            audit.record(session, current_user.email, "service.change", changed.name, **moved)
            warning = catalogue.missing_owner(session, changed.owner_group) if "owner_group" in moved else None
            shown = "shown on the status page" if changed.public else "not on the status page"
            return f"Service {changed.name} saved; {shown}.", warning

        if _saved(form, change):
            return redirect(url_for(".index"), code=303)
    return render_template("catalogue/edit.html", form=form, service=row, groups=group_names), (
        400 if form.errors else 200
    )


@bp.post("/policies")
@requires(MANAGE_CATALOGUE)
def add_policy() -> ResponseReturnValue:
    form = PolicyForm(prefix="policy")
    if form.validate_on_submit():

        def add(session: Session) -> tuple[str, str | None]:
            row = catalogue.add_policy(
                session, name=form.name.data or "", priority=catalogue.parse_priority(form.priority.data or ""),
                targets=catalogue.Targets.parse(first_response=form.first_response.data,
                                                next_update=form.next_update.data, resolution=form.resolution.data),
                calendar=form.calendar.data, service=form.service.data, category=form.category.data,
                organisation=form.organisation.data, warn_at=form.warn_at.data or 0,
            )  # fmt: skip
            audit.record(session, current_user.email, "sla.add", row.name,
                         **catalogue.policy_detail(row, form.calendar.data))  # fmt: skip
            return f"SLA policy {row.name} added: incidents opened from now on that it fits get its clocks.", None

        if _saved(form, add):
            return redirect(url_for(".index", _anchor="policies"), code=303)
    return _page(policy_form=form), 400


@bp.post("/policies/<path:name>/remove")  # policy names may hold "/"
@requires(MANAGE_CATALOGUE)
def remove_policy(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        done = sla_removal.remove_policy(session, name)
        audit.record(session, current_user.email, "sla.remove", done.name, replanned=done.replanned,
                     stopped=done.stopped)  # fmt: skip
        return f"SLA policy {done.name} removed; {sla_removal.describe(done)}."

    return button_action(work, "catalogue.index", refused="Nothing changed: {}.")


def _saved(form: FlaskForm, work: Callable[[Session], tuple[str, str | None]]) -> bool:
    """Run `work` in one transaction and flash what it says it did, with its warning; or show why not on `form`,
    beside the field the refusal is about."""
    try:
        with services().db.transaction() as session:
            done, warning = work(session)
    except BadInput as exc:
        message = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
        field = form._fields.get(exc.field) if isinstance(exc, BadField) else None
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
        return False
    flash(f"{done} But {warning}." if warning else done, "warning" if warning else "success")
    return True


def _page(*, service_form: NewServiceForm | None = None, policy_form: PolicyForm | None = None) -> str:
    """The page, with the form that was just refused (the other one fresh, reading nothing of this request)."""
    may_write = allowed(current_user.role, MANAGE_CATALOGUE)
    with services().db.read() as session:
        overview = service_overview.read(session)
        group_names = [group.name for group in groups.list_groups(session)] if may_write else []
    service_form = service_form or NewServiceForm(prefix="service", formdata=None)
    policy_form = policy_form or PolicyForm(prefix="policy", formdata=None)
    policy_form.calendar.choices = [SelectChoice("", "24x7 UTC (no calendar)"),
                                    *(SelectChoice(name) for name, _ in overview.calendars)]  # fmt: skip
    policy_form.service.choices = [SelectChoice("", "Every service"),
                                   *(SelectChoice(s.name) for s in overview.services)]  # fmt: skip
    context: dict[str, Any] = {"overview": overview, "may_write": may_write, "groups": group_names,
                               "name_width": NAME_WIDTH, "description_width": DESCRIPTION_WIDTH}  # fmt: skip
    return render_template("catalogue/index.html", service_form=service_form, policy_form=policy_form, **context)
