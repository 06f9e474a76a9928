"""The rule editor: one form carries the draft rule, and each button works on the rule book as it would be with
that draft in place, before anything is saved: Test (a pasted payload or a stored event: trace and the incident
it would open), Preview templates, Backtest (the last N stored events, against the live rules), and Save.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from hub import audit, groups, over_rules, rule_failures, rulebook
from hub.domain import InboundEvent, RoutingState, RuleBook, RuleSpec
from hub.errors import BadInput
from hub.models import utcnow
from hub.numbers import MAX_EVENT_ID, row_id
from ingest.replay import recent_events, stored_event
from ingest.samples import SHAPES, TEST_SHAPE, sample_event
from rules.backtest import KINDS, BacktestReport, backtest
from rules.workbench import Candidate, Preview, Problem, RuleDraft, Trial, candidate, preview, template_values, trial
from web.acting import acting_db
from web.permissions import MANAGE_RULES, requires
from web.services import services

bp = Blueprint("rule_editor", __name__, url_prefix="/rules")

DEFAULT_BACKTEST = 1000
MAX_BACKTEST = 10_000
#: Changed events listed on the page; the counts cover them all.
SHOWN_CHANGES = 200
PICKABLE_EVENTS = 25


class RuleForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])
    when = TextAreaField("When (YAML; empty: every event)")
    sets = TextAreaField("Set (YAML)")
    stop = BooleanField("Stop here: later rules are not applied to a matching event")
    enabled = BooleanField("Enabled")
    event_id = SelectField("Stored event", choices=[], validate_choice=False)
    shape = SelectField("Payload shape", choices=[SelectChoice(s) for s in SHAPES], default=TEST_SHAPE)
    payload = TextAreaField("Or paste a payload (JSON; used when not empty)")
    limit = IntegerField("Backtest over the last", default=DEFAULT_BACKTEST,
                         validators=[Optional(), NumberRange(1, MAX_BACKTEST)])  # fmt: skip

    def draft(self, rule_id: int | None) -> RuleDraft:
        return RuleDraft(
            name=self.name.data or "", when=self.when.data or "", sets=self.sets.data or "",
            stop=bool(self.stop.data), enabled=bool(self.enabled.data), rule_id=rule_id,
        )  # fmt: skip


@dataclass(frozen=True)
class Tried:
    """The event a Test or Preview ran on, said in words, with what came of it."""

    label: str
    trial: Trial | None = None
    previews: tuple[Preview, ...] = ()
    values: tuple[tuple[str, str], ...] = ()


@dataclass
class Outcome:
    """Everything the page shows below the form after a button."""

    problems: list[Problem]
    tried: Tried | None = None
    report: BacktestReport | None = None
    skipped: int = 0
    error: str | None = None


@bp.route("/new", methods=["GET", "POST"])
@requires(MANAGE_RULES)
def new() -> ResponseReturnValue:
    # nothing set for it yet: a bare name saved is refused, where an example left in would route every event
    return _workbench(None, RuleDraft("", "", ""))


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
@requires(MANAGE_RULES)
def edit(rule_id: int) -> ResponseReturnValue:
    with services().db.read() as session:
        spec = next((s for s in rulebook.load_rules(session) if s.id == rule_id), None)
    if spec is None:
        abort(404)
    return _workbench(rule_id, RuleDraft.of(spec))


def _workbench(rule_id: int | None, stored: RuleDraft) -> ResponseReturnValue:
    form = RuleForm() if request.method == "POST" else RuleForm(data=_form_data(stored))
    with services().db.read() as session:
        picks = list(reversed(recent_events(session, PICKABLE_EVENTS).events))
        failed = rule_failures.recent(session, _stored(session, rule_id)).get(rule_id) if rule_id else None
        if failed is not None and all(r.event_id != failed.event_id for r in picks):
            # offered first, so Preview templates shows the failure again, and then the fix working
            found = stored_event(session, failed.event_id, authserv_id=services().settings.mail_authserv_id)
            picks[:0] = [found] if found is not None else []
    form.event_id.choices = [SelectChoice("", "— none —")] + [
        SelectChoice(str(r.event_id), _pick_label(r.event_id, r.event, r.received_at)) for r in picks
    ]
    if failed is not None and request.method == "GET":
        form.event_id.data = str(failed.event_id)
    outcome: Outcome | None = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        else:
            action = request.form.get("do", "test")
            draft = form.draft(rule_id)
            if action == "save":
                saved = _save(draft)
                if isinstance(saved, str):
                    flash(saved, "success")
                    return redirect(url_for("rules.index"))
                outcome = Outcome(saved)
            else:
                outcome = _try(action, draft, form)
            status = 422 if outcome.problems or outcome.error else 200
    page = render_template("rules/edit.html", form=form, rule_id=rule_id, outcome=outcome, kinds=KINDS,
                           shown=SHOWN_CHANGES, failed=failed, scanned=rule_failures.SCANNED)  # fmt: skip
    return page, status


def _stored(session: Session, rule_id: int) -> list[RuleSpec]:
    return [s for s in rulebook.load_rules(session) if s.id == rule_id]


def _form_data(draft: RuleDraft) -> dict[str, Any]:
    return {"name": draft.name, "when": draft.when, "sets": draft.sets, "stop": draft.stop, "enabled": draft.enabled}


def _pick_label(event_id: int, event: InboundEvent, at: datetime) -> str:
    return f"#{event_id} · {at:%Y-%m-%d %H:%M} · {event.source} · {event.title[:80]}"


def _live(session: Session, draft: RuleDraft) -> tuple[RuleBook, Candidate | None, list[Problem], RoutingState]:
    live = rulebook.load(session)
    found, problems = candidate(draft, live)
    names = set(live.assignment_groups) | set(found.book.assignment_groups if found else ())
    return live, found, problems, groups.routing_state(session, sorted(names), utcnow())


def _save(draft: RuleDraft) -> list[Problem] | str:
    """Validate and save the draft as a new version with its audit entry: the flash message, or the problems."""
    actor = str(current_user.email)
    with acting_db().transaction() as session:
        found, problems = candidate(draft, rulebook.load(session))
        if found is None:
            return problems
        spec = found.spec
        try:
            if draft.rule_id is None:
                rule_id = rulebook.add_rule(session, spec, author=actor).id
            else:
                rule_id = rulebook.update_rule(session, draft.rule_id, spec, author=actor).id
        except BadInput as exc:
            return [Problem("rules", None, "", str(exc))]
        version = rulebook.latest_version(session)
        audit.record(session, actor, "rules.save", f"rule {rule_id}", name=spec.name,
                     created=draft.rule_id is None, version=version)  # fmt: skip
    return f"Saved {spec.name!r} as version {version}."


def _try(action: str, draft: RuleDraft, form: RuleForm) -> Outcome:
    """Test, preview or backtest the draft; nothing is written."""
    with services().db.read() as session:
        live, found, problems, state = _live(session, draft)
        if found is None:
            return Outcome(problems)
        known = over_rules.read(session.connection())  # the desks' and types' defaults, as the intake lays them
        if action == "backtest":
            limit, authserv_id = form.limit.data or DEFAULT_BACKTEST, services().settings.mail_authserv_id
            replay = recent_events(session, limit, authserv_id=authserv_id)  # emails' senders judged as at intake
            events = [(r.event_id, r.event, r.received_at) for r in replay.events]
            return Outcome([], report=backtest(live, found.book, events, state, known), skipped=replay.skipped)
        try:
            label, event, now = _chosen_event(session, form)
        except BadInput as exc:
            return Outcome([], error=str(exc))
    if action == "preview":
        values = template_values(event, now, found.book.settings)
        shown = tuple((k, repr(v) if not isinstance(v, str) else v) for k, v in values.items() if v not in (None, ""))
        return Outcome([], Tried(label, previews=tuple(preview(found.spec, event, now, found.book.settings)),
                                 values=shown))  # fmt: skip
    return Outcome([], Tried(label, trial(found.book, event, now, state, known)))


def _chosen_event(session: Session, form: RuleForm) -> tuple[str, InboundEvent, datetime]:
    """The pasted payload when there is one, else the stored event picked; BadInput says what to do."""
    text = (form.payload.data or "").strip()
    if text:
        event, now = sample_event(form.shape.data or TEST_SHAPE, text, utcnow())
        return f"the pasted {form.shape.data} payload", event, now
    chosen = (form.event_id.data or "").strip()
    if not chosen:
        raise BadInput("pick a stored event or paste a payload to try the rule on")
    event_id = row_id(chosen, limit=MAX_EVENT_ID)
    if event_id is None:
        raise BadInput(f"{chosen!r} is not an event id; pick one from the list")
    found = stored_event(session, event_id, authserv_id=services().settings.mail_authserv_id)
    if found is None:
        raise BadInput(f"event {chosen} cannot be read back (unprocessable, ignored or gone); pick another")
    return _pick_label(found.event_id, found.event, found.received_at), found.event, found.received_at
