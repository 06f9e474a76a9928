"""Business calendars on the /services page: admins add them (an iCalendar file's all-day events among their
closed days), change their hours and holidays, and remove those no policy runs on, audited, through the hub
functions `switchboard calendar` calls (hub/calendars.py, hub/sla_edits.py): a change re-plans the clocks of the
unresolved incidents under the policies on the calendar.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit, calendars, sla_edits
from hub.models import SlaPolicy
from hub.names import NAME_WIDTH
from web.catalogue import edited, found, page, submitted
from web.catalogue_forms import CalendarForm
from web.forms import button_action
from web.permissions import MANAGE_CATALOGUE, requires
from web.services import services

bp = Blueprint("calendars", __name__, url_prefix="/services/calendars")


@bp.post("")
@requires(MANAGE_CATALOGUE)
def add() -> ResponseReturnValue:
    form = CalendarForm(prefix="calendar")

    def work(session: Session) -> tuple[str, str | None]:
        row = calendars.add_calendar(session, name=form.name.data or "", **form.terms())
        described = calendars.describe_calendar(row)
        audit.record(session, current_user.email, "calendar.add", row.name, calendar=described)
        return f"Calendar {described}.", None

    return submitted(form, work, lambda: (page(calendar_form=form), 400), anchor="calendars")


@bp.route("/<path:name>/edit", methods=["GET", "POST"])  # calendar names may hold "/"
@requires(MANAGE_CATALOGUE)
def edit(name: str) -> ResponseReturnValue:
    with services().db.read() as session:
        row = found(lambda: calendars.get_calendar(session, name))
        form = CalendarForm.of(row.name, calendars.calendar_terms(row))
        using = list(session.scalars(select(SlaPolicy.name).where(SlaPolicy.calendar_id == row.id)))

    def change(session: Session) -> tuple[str, str | None]:
        return edited("calendar", sla_edits.edit_calendar(session, row.name, form.terms(), by=current_user.email,
                                                          new_name=form.name.data or ""))  # fmt: skip

    def shown() -> ResponseReturnValue:
        form.offer(services().settings.timezone)
        return render_template("catalogue/calendar.html", form=form, calendar=row, policies=sorted(using),
                               name_width=NAME_WIDTH), (400 if form.errors else 200)  # fmt: skip

    return submitted(form, change, shown, anchor="calendars")


@bp.post("/<path:name>/remove")
@requires(MANAGE_CATALOGUE)
def remove(name: str) -> ResponseReturnValue:
    def work(session: Session) -> str:
        gone = calendars.remove_calendar(session, name)
        audit.record(session, current_user.email, "calendar.remove", gone)
        return f"Calendar {gone} removed."

    return button_action(work, "catalogue.index", refused="Nothing changed: {}.")
