"""The request catalogue's pages, `/request-types`: everyone who sees the catalogue lists what people may ask for;
admins add request types, edit them (their questions as one line each, hub/request_questions.py's syntax), and
retire or restore them, audited, through the hub functions `switchboard request-type` calls (hub/request_types.py).
"""

from __future__ import annotations

from typing import TypedDict

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from hub import audit, catalogue, groups, request_types
from hub.names import NAME_WIDTH
from hub.request_questions import Question, parse_lines
from hub.request_steps import Planned
from hub.request_steps import parse_lines as parse_steps
from hub.request_types import MAX_DESCRIPTION, MAX_SUMMARY, TypeView
from web.catalogue import found, saved
from web.forms import Unchanged, button_action
from web.permissions import MANAGE_CATALOGUE, VIEW_CATALOGUE, allowed, requires
from web.services import services

bp = Blueprint("request_types", __name__, url_prefix="/request-types")


class Typed(TypedDict):
    """The form's fields as hub.request_types.add and change take them."""

    summary: str
    description: str
    category: str
    group: str
    service: str
    questions: tuple[Question, ...]
    position: int
    approver: str
    steps: tuple[Planned, ...]


class RequestTypeForm(FlaskForm):
    """What `switchboard request-type add|set` take; the hub checks it all (hub/request_types.py)."""

    name = StringField("Name")
    summary = StringField("Summary")
    description = TextAreaField("Description (optional)")
    category = StringField("Category (optional)")
    group = SelectField("Group", validate_choice=False)
    service = SelectField("Service", validate_choice=False)
    approver = StringField("Approver (optional)")
    questions = TextAreaField("Questions, one a line")
    steps = TextAreaField("Fulfilment steps, one a line")
    position = IntegerField("Position", default=0, validators=[Optional()])

    @classmethod
    def of(cls, shown: TypeView) -> RequestTypeForm:
        return cls(data={"name": shown.name, "summary": shown.summary, "description": shown.description,
                         "category": shown.category or "", "group": shown.group or "", "service": shown.service or "",
                         "questions": "\n".join(q.as_line() for q in shown.questions),
                         "position": shown.position, "approver": shown.approver or "",
                         "steps": "\n".join(step.as_line() for step in shown.steps)})  # fmt: skip

    def offer(self, session: Session) -> RequestTypeForm:
        """Offer the groups and services there are (this form, for a template)."""
        self.group.choices = [
            SelectChoice("", "No group"),
            *(SelectChoice(g.name) for g in groups.list_groups(session)),
        ]
        named = [service.name for service in catalogue.services(session)]
        self.service.choices = [SelectChoice("", "No service"), *map(SelectChoice, named)]
        return self

    def fields(self) -> Typed:
        """What was typed, as hub.request_types.add and change take it (BadField: a mistake)."""
        return {"summary": self.summary.data or "", "description": self.description.data or "",
                "category": self.category.data or "", "group": self.group.data or "",
                "service": self.service.data or "", "questions": parse_lines(self.questions.data or ""),
                "position": self.position.data or 0, "approver": self.approver.data or "",
                "steps": parse_steps(self.steps.data or "")}  # fmt: skip


@bp.get("")
@requires(VIEW_CATALOGUE)
def index() -> ResponseReturnValue:
    with services().db.read() as session:
        listed = request_types.listing(session)
    return render_template("request_types/index.html", types=listed,
                           may_write=allowed(current_user.role, MANAGE_CATALOGUE))  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@requires(MANAGE_CATALOGUE)
def new() -> ResponseReturnValue:
    form = RequestTypeForm()

    def add(session: Session) -> tuple[str, None]:
        added = request_types.add(session, name=form.name.data or "", **form.fields())
        audit.record(session, current_user.email, "request_type.add", added.name, request_type=added.as_json())
        return f"Request type {added.name} added.", None

    if form.validate_on_submit() and saved(form, add):
        return redirect(url_for(".index"), code=303)
    return _form_page(form, None)


@bp.route("/<int:type_id>/edit", methods=["GET", "POST"])
@requires(MANAGE_CATALOGUE)
def edit(type_id: int) -> ResponseReturnValue:
    with services().db.read() as session:
        shown = found(lambda: request_types.get(session, type_id))
    form = RequestTypeForm() if request.method == "POST" else RequestTypeForm.of(shown)

    def change(session: Session) -> tuple[str, None]:
        done = request_types.change(session, shown.name, new_name=form.name.data or "", author=current_user.email,
                                    **form.fields())  # fmt: skip
        if done.view == shown:
            return f"Nothing changed on request type {shown.name}.", None
        audit.record(session, current_user.email, "request_type.change", done.view.name, before=shown.as_json(),
                     after=done.view.as_json(), **done.detail())  # fmt: skip
        return " ".join(filter(None, (f"Request type {done.view.name} saved.", done.said()))), None

    if form.validate_on_submit() and saved(form, change):
        return redirect(url_for(".index"), code=303)
    return _form_page(form, shown)


@bp.post("/<int:type_id>/retire")
@requires(MANAGE_CATALOGUE)
def retire(type_id: int) -> ResponseReturnValue:
    return _set_active(type_id, active=False)


@bp.post("/<int:type_id>/restore")
@requires(MANAGE_CATALOGUE)
def restore(type_id: int) -> ResponseReturnValue:
    return _set_active(type_id, active=True)


def _set_active(type_id: int, *, active: bool) -> ResponseReturnValue:
    def work(session: Session) -> str:
        switched = request_types.set_active(session, request_types.get(session, type_id).name, active=active)
        if not switched.changed:
            return Unchanged(switched.said())
        action = f"request_type.{'restore' if active else 'retire'}"
        audit.record(session, current_user.email, action, switched.view.name)
        return switched.said()

    return button_action(work, "request_types.index", refused="Nothing changed: {}.")


def _form_page(form: RequestTypeForm, shown: TypeView | None) -> ResponseReturnValue:
    with services().db.read() as session:
        form.offer(session)
    page = render_template("request_types/form.html", form=form, shown=shown, name_width=NAME_WIDTH,
                           max_summary=MAX_SUMMARY, max_description=MAX_DESCRIPTION)  # fmt: skip
    return page, (400 if form.errors or form.form_errors else 200)
