"""The routing rules pages: the ordered list (reorder, enable/disable, delete) and the versions (diff, restore).

Editing, testing and backtesting a rule is web/rule_editor.py. Every change goes through hub/rulebook.py, so it is
versioned, and is written to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from hub import audit, rule_failures, rulebook
from hub.domain import RuleSpec
from hub.errors import BadInput
from hub.models import RuleVersion
from rules import rules_file
from rules.errors import RuleError
from rules.workbench import describe_actions, describe_condition
from web.acting import acting_db
from web.forms import ActionForm, button_action
from web.permissions import MANAGE_RULES, VIEW_RULES, requires
from web.services import services

bp = Blueprint("rules", __name__, url_prefix="/rules")


@dataclass(frozen=True)
class RuleRow:
    place: int
    spec: RuleSpec
    when: str
    sets: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # add | del | hunk | head | same
    text: str


def diff_lines(diff: str) -> list[DiffLine]:
    """A unified diff as lines the page colours: additions, removals, hunk and file headers."""
    lines = []
    for text in diff.splitlines():
        if text.startswith(("+++", "---")):
            kind = "head"
        elif text.startswith("@@"):
            kind = "hunk"
        elif text.startswith("+"):
            kind = "add"
        elif text.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        lines.append(DiffLine(kind, text))
    return lines


def _actor() -> str:
    return str(current_user.email)


@bp.get("")
@requires(VIEW_RULES)
def index() -> ResponseReturnValue:
    with services().db.read() as session:
        specs = rulebook.load_rules(session)
        latest = rulebook.latest_version(session)
        failures = rule_failures.recent(session, specs)
    rows = [
        RuleRow(n, s, describe_condition(s.condition()), describe_actions(s.effects())) for n, s in enumerate(specs, 1)
    ]
    return render_template("rules/index.html", rows=rows, form=ActionForm(), latest=latest, failures=failures,
                           scanned=rule_failures.SCANNED)  # fmt: skip


def _change(rule_id: int, what: str) -> ResponseReturnValue:
    """Apply one list action in a transaction with its audit entry; flash what happened or why not."""
    return button_action(lambda session: _apply(session, rule_id, what), "rules.index")


def _apply(session: Session, rule_id: int, what: str) -> str:
    if what in ("up", "down"):
        row = rulebook.move_rule(session, rule_id, -1 if what == "up" else 1, author=_actor())
        audit.record(session, _actor(), "rules.move", f"rule {rule_id}", name=row.name, direction=what)
        return f"Moved {row.name!r} {what}."
    if what in ("enable", "disable"):
        row = rulebook.set_enabled(session, rule_id, what == "enable", author=_actor())
        audit.record(session, _actor(), f"rules.{what}", f"rule {rule_id}", name=row.name)
        return f"{what.capitalize()}d {row.name!r}."
    if what == "delete":
        name = rulebook.remove_rule(session, rule_id, author=_actor())
        audit.record(session, _actor(), "rules.delete", f"rule {rule_id}", name=name)
        return f"Deleted {name!r}; the versions page can bring it back."
    raise BadInput(f"unknown change {what!r}; use up, down, enable, disable or delete")


@bp.post("/<int:rule_id>/move")
@requires(MANAGE_RULES)
def move(rule_id: int) -> ResponseReturnValue:
    return _change(rule_id, request.form.get("direction", ""))


@bp.post("/<int:rule_id>/toggle")
@requires(MANAGE_RULES)
def toggle(rule_id: int) -> ResponseReturnValue:
    return _change(rule_id, "enable" if request.form.get("enabled") == "1" else "disable")


@bp.post("/<int:rule_id>/delete")
@requires(MANAGE_RULES)
def delete(rule_id: int) -> ResponseReturnValue:
    return _change(rule_id, "delete")


# -- versions --------------------------------------------------------------------------------------------------------


@bp.get("/versions")
@requires(VIEW_RULES)
def versions() -> ResponseReturnValue:
    with services().db.read() as session:
        found = list(reversed(rulebook.versions(session)))
    return render_template("rules/versions.html", versions=found)


@bp.get("/versions/<int:number>")
@requires(VIEW_RULES)
def version(number: int) -> ResponseReturnValue:
    """One version: what changed (from the version before, or from `?against=N`), its whole text, restore."""
    against = request.args.get("against", type=int)
    with services().db.read() as session:
        row = session.get(RuleVersion, number)
        if row is None:
            abort(404)
        try:
            diff = rulebook.diff_versions(session, against, number) if against is not None else row.diff
        except BadInput as exc:
            flash(str(exc), "error")
            diff = row.diff
            against = None
        numbers = [v.number for v in rulebook.versions(session)]
        latest = numbers[-1] if numbers else None
        return render_template(
            "rules/version.html", version=row, lines=diff_lines(diff), against=against, numbers=numbers,
            latest=latest, form=ActionForm(),
        )  # fmt: skip


@bp.post("/versions/<int:number>/restore")
@requires(MANAGE_RULES)
def restore(number: int) -> ResponseReturnValue:
    """Make version `number` the rules again, as a new version (so a restore can be undone too)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with acting_db().transaction() as session:
            try:
                parsed = rules_file.parse_file(rulebook.version_text(session, number))
            except RuleError as exc:
                raise BadInput(f"version {number} no longer validates, so it cannot be restored: {exc}") from None
            summary = f"restored version {number}"
            count = rulebook.replace_all(session, parsed.rules, parsed.settings, author=_actor(), summary=summary)
            audit.record(session, _actor(), "rules.restore", f"version {number}", rules=count,
                         version=rulebook.latest_version(session))  # fmt: skip
    except BadInput as exc:
        flash(str(exc), "error")
        return redirect(url_for("rules.versions"))
    flash(f"Restored version {number} ({count} rule(s)) as a new version.", "success")
    return redirect(url_for("rules.index"))
