"""The service catalogue's page, /services: each service with its owner group, whether the status page shows it,
its unresolved incidents and the SLA policies that name it; every policy; the business calendars.

Everyone reads it (/reports/sla shows them the same catalogue); admins add, edit, rename and remove services and
add, change and remove policies (calendars: web/calendars.py), audited, through the hub functions
`switchboard service|sla` call (hub/catalogue.py, hub/service_references.py, hub/sla_edits.py, hub/sla_removal.py),
so both refuse the same things with the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from hub import audit, calendars, catalogue, groups, service_overview, service_references, sla_edits, sla_removal
from hub.errors import BadInput, Missing
from hub.names import NAME_WIDTH
from hub.sla_replanning import running_clocks
from web.acting import acting_db
from web.catalogue_forms import DESCRIPTION_WIDTH, CalendarForm, NewServiceForm, PolicyForm, RenameForm, ServiceForm
from web.forms import ActionForm, button_action, place_mistakes
from web.permissions import MANAGE_CATALOGUE, VIEW_CATALOGUE, allowed, requires
from web.responses import sentence
from web.services import services

bp = Blueprint("catalogue", __name__, url_prefix="/services")
T = TypeVar("T")
Work = Callable[[Session], tuple[str, str | None]]  # a form's change: what it did, and a warning or None


def one_warning(warnings: list[str]) -> str | None:
    """Several warnings as the one `saved` flashes; None for none."""
    return "; and ".join(warnings) or None


@bp.get("")
@requires(VIEW_CATALOGUE)
def index() -> ResponseReturnValue:
    return page()


@bp.post("")
@requires(MANAGE_CATALOGUE)
def add_service() -> ResponseReturnValue:
    form = NewServiceForm(prefix="service")

    def add(session: Session) -> tuple[str, str | None]:
        row = catalogue.add_service(session, name=form.name.data or "", owner_group=form.owner_group.data,
                                    description=form.description.data or "", public=form.public.data,
                                    major_group=form.major_group.data)  # fmt: skip
        audit.record(session, current_user.email, "service.add", row.name, owner_group=row.owner_group,
                     public=row.public, major_group=row.major_group)  # fmt: skip
        shown = ", shown on the status page" if row.public else ""
        return f"Service {row.name} added{shown}.", one_warning(catalogue.missing_groups(session, row))

    return submitted(form, add, lambda: (page(service_form=form), 400))


@bp.route("/<path:name>/edit", methods=["GET", "POST"])  # service names may hold "/"
@requires(MANAGE_CATALOGUE)
def edit(name: str) -> ResponseReturnValue:
    with services().db.read() as session:
        row = found(lambda: catalogue.get_service(session, name))
    form = ServiceForm(obj=row)
    before = catalogue.service_fields(row)

    def change(session: Session) -> tuple[str, str | None]:
        changed = catalogue.set_service(session, row.name, public=form.public.data,
                                        description=form.description.data or "",
                                        owner_group=form.owner_group.data or "",
                                        major_group=form.major_group.data or "")  # fmt: skip
        moved = {field: value for field, value in catalogue.service_fields(changed).items() if before[field] != value}
        if not moved:
            return f"Nothing changed on {changed.name}.", None
        audit.record(session, current_user.email, "service.change", changed.name, **moved)
        warning = one_warning(catalogue.missing_groups(session, changed, owner="owner_group" in moved,
                                                       major="major_group" in moved))  # fmt: skip
        shown = "shown on the status page" if changed.public else "not on the status page"
        return f"Service {changed.name} saved; {shown}.", warning

    return submitted(form, change, lambda: _edit_page(row.name, form=form))


@bp.post("/<path:name>/rename")
@requires(MANAGE_CATALOGUE)
def rename(name: str) -> ResponseReturnValue:
    form = RenameForm()

    def work(session: Session) -> tuple[str, str | None]:
        done = service_references.rename_service(session, name, form.new_name.data or "",
                                                 author=current_user.email)  # fmt: skip
        audit.record(session, current_user.email, "service.rename", done.old, **done.detail())
        return sentence(service_references.describe_rename(done)), None

    return submitted(form, work, lambda: _edit_page(name, rename_form=form))


@bp.post("/<path:name>/remove")
@requires(MANAGE_CATALOGUE)
def remove(name: str) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with acting_db().transaction() as session:
            done = service_references.remove_service(session, name)
            audit.record(session, current_user.email, "service.remove", done.name, **done.detail())
    except Missing as exc:
        abort(404, description=sentence(str(exc)))
    except BadInput as exc:  # still in use: the edit page links what names it
        flash(f"Nothing changed: {exc}.", "error")
        return redirect(url_for(".edit", name=name), code=303)
    flash(sentence(service_references.describe_removal(done)), "success")
    return redirect(url_for(".index"), code=303)


def _edit_page(name: str, *, form: ServiceForm | None = None, rename_form: RenameForm | None = None) -> Any:
    """A service's page for changing it: its fields, its new name, its removal, with what names it (each the form
    that was just refused, the others fresh); 400 when one was refused."""
    with services().db.read() as session:
        row = found(lambda: catalogue.get_service(session, name))
        named = service_references.references(session, row.name)
        group_names = [group.name for group in groups.list_groups(session)]
    refused = any(f is not None and f.errors for f in (form, rename_form))
    return render_template("catalogue/edit.html", service=row, references=named, groups=group_names,
                           form=form or ServiceForm(obj=row, formdata=None),
                           rename_form=rename_form or RenameForm(formdata=None), name_width=NAME_WIDTH,
                           description_width=DESCRIPTION_WIDTH), (400 if refused else 200)  # fmt: skip


# -- SLA policies -----------------------------------------------------------------------------------------------


@bp.post("/policies")
@requires(MANAGE_CATALOGUE)
def add_policy() -> ResponseReturnValue:
    form = PolicyForm(prefix="policy")

    def add(session: Session) -> tuple[str, str | None]:
        row = catalogue.add_policy(session, name=form.name.data or "", **form.terms())
        audit.record(session, current_user.email, "sla.add", row.name,
                     **catalogue.policy_detail(row, form.calendar.data))  # fmt: skip
        return f"SLA policy {row.name} added: incidents opened from now on that it fits get its clocks.", None

    return submitted(form, add, lambda: (page(policy_form=form), 400), anchor="policies")


@bp.route("/policies/<path:name>/edit", methods=["GET", "POST"])  # policy names may hold "/"
@requires(MANAGE_CATALOGUE)
def edit_policy(name: str) -> ResponseReturnValue:
    with services().db.read() as session:
        policy = found(lambda: catalogue.get_policy(session, name))
        form = PolicyForm.of(policy.name, catalogue.policy_terms(session, policy))
        choices = [c.name for c in calendars.calendars(session)], [s.name for s in catalogue.services(session)]
        running = running_clocks(session).get(policy.id, 0)

    def change(session: Session) -> tuple[str, str | None]:
        return edited("SLA policy", sla_edits.edit_policy(session, policy.name, form.terms(), by=current_user.email,
                                                          new_name=form.name.data or ""))  # fmt: skip

    def shown() -> ResponseReturnValue:
        return render_template("catalogue/policy.html", form=form.offer(*choices), policy=policy, running=running,
                               name_width=NAME_WIDTH), (400 if form.errors else 200)  # fmt: skip

    return submitted(form, change, shown, anchor="policies")


@bp.post("/policies/<path:name>/remove")  # policy names may hold "/"
@requires(MANAGE_CATALOGUE)
def remove_policy(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        done = sla_removal.remove_policy(session, name)
        audit.record(session, current_user.email, "sla.remove", done.name, replanned=done.replanned,
                     stopped=done.stopped)  # fmt: skip
        return f"SLA policy {done.name} removed; {sla_removal.describe(done)}."

    return button_action(work, "catalogue.index", refused="Nothing changed: {}.")


# -- shared with web/calendars.py -------------------------------------------------------------------------------


def submitted(
    form: FlaskForm, work: Work, otherwise: Callable[[], ResponseReturnValue], *, anchor: str | None = None
) -> ResponseReturnValue:
    """A form's request: when `form` was sent, valid, and `work` was `saved`, back to the catalogue (at `anchor`) to
    see it; else `otherwise()`: the form's page (saying why, when it was refused)."""
    if form.validate_on_submit() and saved(form, work):
        return redirect(url_for("catalogue.index", _anchor=anchor), code=303)
    return otherwise()


def edited(what: str, done: sla_edits.Edit) -> tuple[str, None]:
    """What changing a policy or calendar (`what`) did, as `work` tells it to `saved`."""
    if not done.changed:
        return f"Nothing changed on {what} {done.name}.", None
    return sentence(f"{what} {done.name} saved; {sla_edits.describe(done)}"), None


def saved(form: FlaskForm, work: Work) -> bool:
    """Run `work` in one transaction and flash what it says it did, with its warning; or show why not on `form`,
    beside the field the refusal is about."""
    try:
        with acting_db().transaction() as session:
            done, warning = work(session)
    except BadInput as exc:
        place_mistakes(form, exc)
        return False
    flash(f"{done} But {warning}." if warning else done, "warning" if warning else "success")
    return True


def page(
    *,
    service_form: NewServiceForm | None = None,
    policy_form: PolicyForm | None = None,
    calendar_form: CalendarForm | None = None,
) -> str:
    """The page, with the form that was just refused (the others fresh, reading nothing of this request)."""
    may_write = allowed(current_user.role, MANAGE_CATALOGUE)
    with services().db.read() as session:
        overview = service_overview.read(session)
        group_names = [group.name for group in groups.list_groups(session)] if may_write else []
    forms = {
        "service_form": service_form or NewServiceForm(prefix="service", formdata=None),
        "policy_form": (policy_form or PolicyForm(prefix="policy", formdata=None)).offer(
            [name for name, _ in overview.calendars], [s.name for s in overview.services]
        ),
        "calendar_form": (calendar_form or CalendarForm(prefix="calendar", formdata=None)).offer(
            services().settings.timezone
        ),
    }
    return render_template("catalogue/index.html", overview=overview, may_write=may_write, groups=group_names,
                           name_width=NAME_WIDTH, description_width=DESCRIPTION_WIDTH,
                           page_taken=catalogue.page_taken, taken_by=catalogue.TAKEN_BY_PAGES, **forms)  # fmt: skip


def found(read: Callable[[], T]) -> T:
    """What `read` finds, or a 404 saying what is missing and where the list is."""
    try:
        return read()
    except Missing as exc:
        abort(404, description=sentence(str(exc)))
