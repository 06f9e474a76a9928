"""Agents' actions on an incident page: one form post per action, each calling `hub.triage` (state changes) or
`hub.incident_notes` (time) and coming back. Notes and replies, which may carry files, are web/incident_notes.py's.

The page shows only the actions the incident's status allows, but every post is checked again by the hub, so a
stale page (someone else resolved it meanwhile) gets a message saying what happened rather than a wrong change.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from hub import (
    approvals,
    copied_changes,
    incident_notes,
    major_incidents,
    people,
    problem_links,
    request_steps,
    time_spent,
    triage,
)
from hub.agent_action import Actor, Mail, TriageError
from hub.domain import KIND_WORDS
from hub.errors import BadInput, StorageUnavailable
from hub.numbers import row_id, whole_number
from hub.time_spent import Correction, Spent
from web import incident_refs
from web.acting import NoLongerAllowed, acting_db, check_now, with_right
from web.bulk_report import DONE_WORDS, BulkReport
from web.permissions import MANAGE_USERS, WORK_INCIDENTS, requires
from web.queries import incident_id
from web.responses import sentence
from web.security import safe_next
from web.services import services

bp = Blueprint("incident_actions", __name__)


def mail_settings() -> Mail:
    return Mail.of(services().settings)


def _status(action: str) -> Callable[[int, Actor], str]:
    def run(number: int, actor: Actor) -> str:
        resolution = request.form.get("resolution") if action == "resolve" else None
        status = triage.change_status(acting_db(), number, action, actor, mail_settings(), resolution=resolution)
        return f"now {status}{_steps_left(number) if action == 'resolve' else ''}"

    return run


def _steps_left(number: int) -> str:
    """What the resolve confirmation adds when steps of the request were not done: not refused, agents know best."""
    with services().db.read() as session:
        left = request_steps.not_done(session, number)
    return f"; {left} step{'s were' if left != 1 else ' was'} not done" if left else ""


def _step(number: int, actor: Actor) -> str:
    step, done = whole_number(request.form.get("step", "")), request.form.get("done", "yes") != "no"
    if step is None:
        raise TriageError("choose which step to tick off")
    ticked = request_steps.tick(acting_db(), number, step, actor, mail_settings(), done=done)
    if ticked is None:
        return f"step {step} was already {'done' if done else 'not done'}"
    return f"step {step} {'done' if done else 'not done after all'}: {ticked.text}"


def _assign(number: int, actor: Actor) -> str:
    assignee = request.form.get("assignee", "")
    if not triage.assign(acting_db(), number, assignee, actor, mail_settings()):
        return f"was already assigned to {_named(assignee.strip())}"
    return f"assigned to {_named(assignee.strip())}"


def _priority(number: int, actor: Actor) -> str:
    priority = whole_number(request.form.get("priority", ""))
    if priority is None:
        raise TriageError("choose a priority from 1 (highest) to 5")
    triage.set_priority(acting_db(), number, priority, actor)
    return f"now P{priority}"


def _categorise(number: int, actor: Actor) -> str:
    category, service = request.form.get("category", ""), request.form.get("service", "")
    kind = request.form.get("kind", triage.KEEP)  # a form from before kinds keeps it
    if not triage.categorise(acting_db(), number, actor, category=category, service=service, kind=kind):
        return "was already so categorised"
    said = f"category {category.strip() or '—'}, service {service.strip() or '—'}"
    return f"now {_a(KIND_WORDS[kind]) + ', ' if kind is not triage.KEEP else ''}{said}"


def _a(noun: str) -> str:
    """`noun` with its indefinite article: "an incident", "a service request"."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _ci(number: int, actor: Actor) -> str:
    said = triage.set_ci(acting_db(), number, request.form.get("ci", ""), actor)
    return f"changed: {said}" if said is not None else "already had that CI"  # the timeline's words: "CI — → db1"


def _retitle(number: int, actor: Actor) -> str:
    if not triage.retitle(acting_db(), number, request.form.get("title", ""), actor):
        return "already has that title"
    return "has a new title"


def _public_note(number: int, actor: Actor) -> str:
    text = request.form.get("public_note", "")
    if not triage.set_public_note(acting_db(), number, text, actor):
        return "already says that on the status page"
    return "has a public status note" if text.strip() else "has no public status note now"


def spent_typed(what: str | None = None) -> Spent | None:
    """The form's optional "Time spent" (`spent`), or None when left blank."""
    typed = request.form.get("spent", "").strip()
    if not typed:
        return None
    try:
        return Spent(time_spent.parse_spent(typed), what)
    except BadInput as exc:
        raise TriageError(f"nothing was saved: {exc}") from None


def _log_time(number: int, actor: Actor) -> str:
    spent = spent_typed(request.form.get("what", "").strip() or None)
    if spent is None:
        raise TriageError("say how long, like 25m or 1h 30m")
    incident_notes.log_time(acting_db(), number, spent, actor)
    return f"has {time_spent.describe(spent.minutes)} more spent on it"


def _take_back_time(number: int, actor: Actor) -> str:
    entry = row_id(request.form.get("entry", ""))
    if entry is None:
        raise TriageError("name the time entry to take back")
    db, anyones = with_right(MANAGE_USERS)
    incident_notes.take_back_time(db, number, entry, actor, anyones=anyones)
    return "has that time taken back"


def _correct_time(number: int, actor: Actor) -> str:
    entry, typed = row_id(request.form.get("entry", "")), request.form.get("spent", "").strip()
    if entry is None:
        raise TriageError("name the time entry to correct")
    if not typed:
        raise TriageError("say how long it really was, like 25m or 1h 30m")
    try:
        minutes = time_spent.parse_spent(typed)
        correction = Correction(minutes, request.form.get("what", ""))  # the form shows both; an emptied what clears
    except BadInput as exc:
        raise TriageError(f"nothing was corrected: {exc}") from None
    db, anyones = with_right(MANAGE_USERS)
    if not incident_notes.correct_time(db, number, entry, correction, actor, anyones=anyones):
        return "already had that time entry so"
    return f"has that time entry corrected to {time_spent.describe(minutes)}"


def _merge(number: int, actor: Actor) -> str:
    into = incident_id(request.form.get("into", "").strip())
    if into is None:
        raise TriageError("name the incident to merge into, like INC-12")
    triage.merge(acting_db(), number, into, actor, mail_settings())
    return f"merged into INC-{into}"


def _link_problem(number: int, actor: Actor) -> str:
    db = acting_db()
    with db.read() as session:
        problem = problem_links.chosen(session, request.form.get("problem", ""))
    if not problem_links.link(db, number, problem, actor):
        return f"was already part of PRB-{problem}"
    return f"is part of PRB-{problem} now"


def _unlink_problem(number: int, actor: Actor) -> str:
    ref = problem_links.unlink(acting_db(), number, actor)
    return f"is no longer part of {ref}" if ref else "was part of no problem"


def _watch(on: bool) -> Callable[[int, Actor], str]:
    def run(number: int, actor: Actor) -> str:
        changed = triage.watch(acting_db(), number, actor, on=on)
        if on:
            return (
                "is watched by you: you hear when it is resolved, reopened or escalated"
                if changed
                else ("was already watched by you")
            )
        return "is no longer watched by you" if changed else "was not watched by you"

    return run


def _copy(on: bool) -> Callable[[int, Actor], str]:
    """Copy someone on the conversation with the requester, or stop (hub/copied.py): the page's "Copied" line."""

    def run(number: int, actor: Actor) -> str:
        email = request.form.get("email", "").strip().lower()
        if not email:
            raise TriageError("type the address of the person to copy")
        changed = copied_changes.change(acting_db(), number, email, actor, on=on, mail=mail_settings())
        if on:
            return (
                f"copies {email}: replies and the resolution mail go to them too"
                if changed
                else (f"copied {email} already")
            )
        return f"no longer copies {email}" if changed else f"did not copy {email}"

    return run


def _named(email: str) -> str:
    """A colleague as a message names them: "Ann Lee (ann@example.com)" (hub/people.py `label`), else as given."""
    with services().db.read() as session:
        [named] = people.labels(session.connection(), [email])
    return named


def _declare_major(number: int, actor: Actor) -> str:
    form = request.form
    coordinator = major_incidents.declare(acting_db(), number, form.get("reason", ""), actor, mail_settings(),
                                          coordinator=form.get("coordinator", "").strip() or None,
                                          group=services().settings.major_incident_group)  # fmt: skip
    return f"is a major incident, coordinated by {_named(coordinator)}"


def _hand_over(number: int, actor: Actor) -> str:
    coordinator = request.form.get("coordinator", "").strip().lower()
    if not major_incidents.hand_over(acting_db(), number, coordinator, actor, mail_settings()):
        return f"was already coordinated by {_named(coordinator)}"
    return f"is coordinated by {_named(coordinator)} now"


def _stand_down(number: int, actor: Actor) -> str:
    major_incidents.stand_down(acting_db(), number, actor, mail_settings(), note=request.form.get("note", ""),
                               group=services().settings.major_incident_group)  # fmt: skip
    return "is no longer a major incident"


def _ask_approval(number: int, actor: Actor) -> str:
    form = request.form
    asked = approvals.ask(acting_db(), number, form.get("approver", ""), form.get("note", ""), actor, mail_settings())
    return f"awaits {_named(asked.approver)}'s approval: they were mailed a link to decide"


def _withdraw_approval(number: int, actor: Actor) -> str:
    approval = row_id(request.form.get("approval", ""))
    if approval is None:
        raise TriageError("choose which approval to withdraw")
    withdrawn = approvals.withdraw(acting_db(), approval, actor, mail_settings(), incident_id=number)
    return f"no longer awaits {_named(withdrawn.approver)}'s approval"


ACTIONS: dict[str, Callable[[int, Actor], str]] = {
    **{action: _status(action) for action in triage.STATUS_ACTIONS},
    "assign": _assign,
    "priority": _priority,
    "categorise": _categorise,
    "ci": _ci,
    "retitle": _retitle,
    "public_note": _public_note,
    "time": _log_time,
    "time_back": _take_back_time,
    "time_fix": _correct_time,
    "merge": _merge,
    "problem": _link_problem,
    "unproblem": _unlink_problem,
    "watch": _watch(True),
    "unwatch": _watch(False),
    "copy": _copy(True),
    "uncopy": _copy(False),
    "major": _declare_major,
    "coordinator": _hand_over,
    "stand_down": _stand_down,
    "ask_approval": _ask_approval,
    "withdraw_approval": _withdraw_approval,
    "step": _step,
}


#: What the list page can do to several incidents at once.
BULK_ACTIONS = tuple(DONE_WORDS)
MAX_BULK = 200


@bp.post("/incidents/bulk")
@requires(WORK_INCIDENTS)
def bulk() -> ResponseReturnValue:
    """Apply one action to the ticked incidents, each its own outcome: one that cannot change (already resolved,
    say) is named with why, and the rest still change; one flash says it all (web/bulk_report.py).

    Whether the person may act at all is asked once, first: refused, nothing is tried and the app-wide answer
    says why (web/errors.py). Each incident's transaction is still guarded, so someone deactivated partway
    through changes nothing more, and is told which were changed and which were not."""
    action = request.form.get("action", "")
    numbers = sorted({n for ref in request.form.getlist("ids") if (n := incident_id(ref)) is not None})[:MAX_BULK]
    back = redirect(safe_next(request.form.get("back"), url_for("incidents.index")), code=303)
    if action not in BULK_ACTIONS or not numbers:
        flash("Tick some incidents and choose what to do with them.", "error")
        return back
    check_now()
    run, actor, report = ACTIONS[action], Actor(current_user.email), BulkReport(action)
    for at, number in enumerate(numbers):
        ref = f"INC-{number}"
        try:
            run(number, actor)
            report.done.append(ref)
        except TriageError as exc:
            report.refuse(ref, str(exc))
        except StorageUnavailable:
            report.refuse(ref, "the database was busy; try again")
        except NoLongerAllowed:
            report.stopped = [f"INC-{n}" for n in numbers[at:]]
            report.stopped_why = (
                "your account was deactivated or its role changed meanwhile; ask an admin if you should still do this"
            )
            break
    flash(report.message(), "success" if report.all_done else "error")
    return back


@bp.post("/incidents/<ref>/<action>")
@requires(WORK_INCIDENTS)
def act(ref: str, action: str) -> ResponseReturnValue:
    number = incident_refs.number_of(ref)
    run = ACTIONS.get(action)
    if run is None:
        abort(404)
    flash_outcome(number, run)
    return redirect(url_for("incidents.detail", ref=f"INC-{number}"), code=303)


def flash_outcome(number: int, run: Callable[[int, Actor], str]) -> None:
    """Run an action on INC-`number` as the person logged in, and flash what came of it: what it did, why it was
    refused, or that the database was busy."""
    try:
        outcome = run(number, Actor(current_user.email))
        flash(f"INC-{number} {outcome}.", "success")
    except TriageError as exc:
        flash(sentence(str(exc)), "error")
    except StorageUnavailable:
        flash("The database is busy; nothing was changed. Try again in a moment.", "error")
