"""`switchboard change` and `switchboard freeze`: change requests, their approvals and freeze windows.

Registered through the `switchboard.commands` entry points like the other groups, so hub/cli.py stays the one
module that builds the root group.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting_in
from hub.change_states import ACTIONS, OUTCOMES, RISKS, STATES, TYPES
from hub.cli import in_transaction, load_settings, printed_time
from hub.domain import CLI
from hub.durations import parse_duration
from hub.errors import BadInput

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.models import Change

_WHEN = click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"])


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _line(row: Change) -> str:
    """A change in a line; its time says which it is: when it was carried out, once it was, else when it is planned."""
    if row.implemented_at is not None:
        at = f"done {printed_time(row.implemented_at)}"
    else:
        at = f"planned {printed_time(row.planned_start)}" if row.planned_start else "unplanned"
    return f"{row.ref:<8} {row.state:<12} {row.type:<9} {row.service or '-':<16} {at:<28}  {row.title}"


@click.group()
def change() -> None:
    """Change requests: plan, approve (N of M named approvers), carry out and review changes.

    Deploys reported by a `deploy` integration appear here too, as standard changes.
    """


@change.command("create")
@click.option("--title", required=True, help="What changes, e.g. 'Upgrade PostgreSQL to 16'.")
@click.option("--type", "kind", type=click.Choice(TYPES), default="normal", show_default=True,
              help="standard: pre-approved; emergency: may be planned inside a freeze window.")  # fmt: skip
@click.option("--service", help="The service it changes (a name from `switchboard service list`).")
@click.option("--risk", type=click.Choice(RISKS), default="low", show_default=True)
@click.option("--impact", default="", help="Who or what is affected, and how.")
@click.option("--start", type=_WHEN, help="Planned start, UTC: '2026-03-01 22:00'.")
@click.option("--end", type=_WHEN, help="Planned end, UTC.")
@click.option("--implementation-plan", default="", help="How it will be done.")
@click.option("--test-plan", default="", help="How we will know it worked.")
@click.option("--backout-plan", default="", help="How it will be undone if it does not.")
@click.option("--approver", "approvers", multiple=True, help="An approver's email; repeat for several (M).")
@click.option("--approvals", type=click.IntRange(min=0), help="How many of them must approve (N; default: all).")
@AS
@click.option("--link", help="A ticket, pull request or runbook URL.")
@click.option("--fixes", "problem", default="", help="The open problem it fixes: PRB-3, or the problem's title.")
def change_create(
    title: str, kind: str, service: str | None, risk: str, impact: str, start: datetime | None, end: datetime | None,
    implementation_plan: str, test_plan: str, backout_plan: str, approvers: tuple[str, ...], approvals: int | None,
    actor: str, link: str | None, problem: str,
) -> None:  # fmt: skip
    """Request a change; prints its reference.

    Example: switchboard change create --title "Upgrade PostgreSQL to 16" --service db --risk medium
    --start "2026-03-01 22:00" --end "2026-03-01 23:00" --approver ann@example.com --approver bob@example.com
    --approvals 1 --fixes PRB-4 --as carol@example.com
    """
    from hub import changes

    new = changes.NewChange(
        title=title, type=kind, service=service, risk=risk, impact=impact, planned_start=_utc(start),
        planned_end=_utc(end), implementation_plan=implementation_plan, test_plan=test_plan,
        backout_plan=backout_plan, approvers=approvers, required_approvals=approvals, link=link, problem=problem,
    )  # fmt: skip
    click.echo(acting_in(actor, lambda s, who: changes.create(s, new, who).ref))


@change.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only changes in this state, e.g. assessed.")
@click.option("--service", help="Only changes on this service.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def change_list(state: str | None, service: str | None, limit: int) -> None:
    """Print changes, newest first: reference, state, type, service, when (planned, or done), title."""
    from hub import changes

    rows = in_transaction(lambda s: changes.listing(s, state=state, service=service, limit=limit))
    for row in rows:
        click.echo(_line(row))
    if not rows:
        click.echo("No changes match")


@change.command("show")
@click.argument("ref")
def change_show(ref: str) -> None:
    """Print one change with its plans, approvals and history, e.g.: switchboard change show CHG-3"""
    from hub import changes
    from hub.change_amend import parts_said

    def work(session: Session) -> list[str]:
        row = changes.get(session, ref)
        if row is None:
            raise BadInput(f"there is no change {ref!r}; `switchboard change list` shows them")
        lines = [_line(row), f"risk {row.risk}; requested by {row.requested_by}; source {row.source}"]
        if row.planned_start is not None:  # the list's time is when it was carried out, once it was
            end = f" .. {printed_time(row.planned_end)}" if row.planned_end is not None else ""
            lines.append(f"planned: {printed_time(row.planned_start)}{end}")
        if row.implemented_at is not None:
            lines.append(f"carried out: {printed_time(row.implemented_at)}")
        if row.problem is not None:
            lines.append(f"fixes {row.problem.ref} ({row.problem.state}): {row.problem.title}")
        if row.approvers:
            lines.append(f"approvals: {row.required_approvals} of {', '.join(row.approvers)}")
        lines += [f"  {a.approver} {a.verdict}: {a.comment}" for a in row.approvals]
        plans = {"impact": row.impact, "implementation": row.implementation_plan, "test": row.test_plan,
                 "back-out": row.backout_plan, "link": row.link or ""}  # fmt: skip
        lines += [f"{name}: {text}" for name, text in plans.items() if text]
        lines += [f"clashes with {c.ref} ({c.state}, {printed_time(c.planned_start)}) on {c.service}: {c.title}"
                  for c in changes.clashes(session, row) if c.planned_start is not None]  # fmt: skip
        if row.review:
            lines.append(f"review: {row.review}")
        lines += _followed(session, row)
        for entry in changes.history(session, row.ref):
            lines.append(f"  {printed_time(entry.at)} {entry.action} by {entry.actor}")
            if entry.action == "change.amend":  # what changed, under its line: old -> new
                parts = parts_said((entry.detail or {}).get("changed", {}), printed_time)
                lines += [f"    {name}: {old or '-'} -> {new or '-'}" for name, old, new in parts]
        return lines

    click.echo("\n".join(in_transaction(work)))


def _followed(session: Session, row: Change) -> list[str]:
    """The incidents that followed a carried-out change, as its page lists them (`incidents_after`)."""
    from datetime import timedelta

    from hub.change_correlation import incidents_after

    if row.implemented_at is None:
        return []
    window = timedelta(seconds=load_settings().change_window)
    hours = f"{window.total_seconds() / 3600:g} h"
    followed = incidents_after(session, row, window)
    if not followed:
        return [f"no incident was first seen in the {hours} after it was carried out"]
    marks = {(True, True): " [names it the likely culprit]", (True, False): " [same service]"}
    return [f"incidents that followed (first seen within {hours}):"] + [
        f"  {i.ref} {i.status}, first seen {printed_time(i.first_seen)}: {i.title}"
        f"{marks.get((i.same_service, i.likely_culprit), '')}"
        for i in followed
    ]


@change.command("fixes")
@click.argument("ref")
@click.argument("problem", required=False, default="")
@click.option("--none", "clear", is_flag=True, help="It fixes no problem after all.")
@AS
def change_fixes(ref: str, problem: str, clear: bool, actor: str) -> None:
    """Say which open problem a change fixes (its reference or title); the problem's page then lists the change.

    Examples: switchboard change fixes CHG-3 PRB-4 --as ann@example.com; switchboard change fixes CHG-3 --none --as
    ann@example.com
    """
    from hub import changes

    if bool(problem.strip()) == clear:
        raise click.UsageError("name the problem, like PRB-4, or give --none")
    row = acting_in(actor, lambda s, who: changes.fix_problem(s, ref, problem, who))
    click.echo(f"{row.ref} fixes PRB-{row.problem_id}" if row.problem_id else f"{row.ref} fixes no problem")


@change.command("approve")
@click.argument("ref")
@AS
@click.option("--comment", default="", help="Why, or on what condition.")
def change_approve(ref: str, actor: str, comment: str) -> None:
    """Approve a change as one of its named approvers, e.g.: switchboard change approve CHG-3 --as ann@example.com"""
    from hub import changes

    row = acting_in(actor, lambda s, who: changes.decide(s, ref, who, "approve", comment))
    click.echo(f"{row.ref} is {row.state}")


@change.command("reject")
@click.argument("ref")
@AS
@click.option("--comment", required=True, help="Why: the requester reads it.")
def change_reject(ref: str, actor: str, comment: str) -> None:
    """Reject a change as one of its named approvers, with the reason."""
    from hub import changes

    row = acting_in(actor, lambda s, who: changes.decide(s, ref, who, "reject", comment))
    click.echo(f"{row.ref} is {row.state}")


@change.command("advance")
@click.argument("ref")
@click.argument("action", type=click.Choice(ACTIONS))
@click.option("--outcome", type=click.Choice(OUTCOMES), help="With finish: how it went.")
@click.option("--notes", default="", help="With review: what happened and what was learned.")
@AS
def change_advance(ref: str, action: str, outcome: str | None, notes: str, actor: str) -> None:
    """Move a change on: assess, schedule, start, finish --outcome implemented|failed|backed_out, review, close.

    Starting a change well before its planned window is done, with a warning. Example: switchboard change advance
    CHG-3 review --notes "Went to plan; the snapshot took 20 min longer than thought" --as ann@example.com
    """
    from hub import changes
    from hub.models import utcnow

    if notes.strip() and action != "review":
        raise click.UsageError("--notes goes with review: what happened and what was learned")
    row = acting_in(actor, lambda s, who: changes.advance(s, ref, action, who, outcome=outcome, review=notes))
    click.echo(f"{row.ref} is {row.state}")
    if action == "start" and (warning := changes.early_start(row, utcnow(), printed_time)) is not None:
        click.echo(f"warning: {warning}", err=True)


@change.command("amend")
@click.argument("ref")
@click.option("--title", help="What changes.")
@click.option("--start", type=_WHEN, help="Planned start, UTC: '2026-03-01 22:00'.")
@click.option("--end", type=_WHEN, help="Planned end, UTC.")
@click.option("--risk", type=click.Choice(RISKS))
@click.option("--impact", help="Who or what is affected, and how.")
@click.option("--implementation-plan", help="How it will be done.")
@click.option("--test-plan", help="How we will know it worked.")
@click.option("--backout-plan", help="How it will be undone if it does not.")
@AS
def change_amend(
    ref: str, title: str | None, start: datetime | None, end: datetime | None, risk: str | None, impact: str | None,
    implementation_plan: str | None, test_plan: str | None, backout_plan: str | None, actor: str,
) -> None:  # fmt: skip
    """Amend a change's plan before work starts: its window, title, risk, impact or plans (what is not given stays).

    Only its requester or an admin may. Moving the window of a change with approvals asks its approvers again: it
    goes back to assessed. Example: switchboard change amend CHG-3 --start "2026-03-08 22:00" --end
    "2026-03-08 23:00" --as carol@example.com
    """
    from hub import changes

    amendment = changes.Amendment(
        title=title, risk=risk, impact=impact, planned_start=_utc(start), planned_end=_utc(end),
        implementation_plan=implementation_plan, test_plan=test_plan, backout_plan=backout_plan,
    )  # fmt: skip
    if amendment == changes.Amendment():
        raise click.UsageError("say what to amend, e.g. --start '2026-03-08 22:00' --end '2026-03-08 23:00'")

    def work(session: Session, who: str) -> changes.Amended:
        return changes.amend(session, ref, amendment, who, anyones=changes.may_amend_any(session, who))

    done = acting_in(actor, work)
    if not done.changed:
        click.echo(f"{done.change.ref}: nothing changed, it already reads so")
        return
    parts = ", ".join(name.replace("_", " ") for name in done.changed)
    click.echo(f"{done.change.ref} amended: {parts}; it is {done.change.state}")
    if done.reapproval:
        click.echo("its window moved and the votes given were for the old one: its approvers decide again")


@click.group()
def freeze() -> None:
    """Freeze windows: times no change may be carried out, except emergencies with one extra approval."""


@freeze.command("add")
@click.option("--name", required=True, help="e.g. 'year-end'.")
@click.option("--starts", type=_WHEN, required=True, help="Start, UTC: '2026-12-20 00:00'.")
@click.option("--ends", type=_WHEN, help="End, UTC.")
@click.option("--duration", help="Instead of --ends: 10d, 36h.")
@click.option("--service", help="Only this service (default: every service).")
@click.option("--reason", default="", help="Why, for whoever plans a change then.")
def freeze_add(
    name: str, starts: datetime, ends: datetime | None, duration: str | None, service: str | None, reason: str
) -> None:
    """Add a freeze window, e.g.: switchboard freeze add --name year-end --starts 2026-12-20 --duration 14d"""
    from hub import changes

    start = _utc(starts)
    assert start is not None
    if (ends is None) == (duration is None):
        raise click.UsageError("give either --ends or --duration")
    try:
        end = _utc(ends) if ends is not None else start + parse_duration(duration or "")
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="--duration") from None
    assert end is not None
    row = in_transaction(lambda s: changes.add_freeze(s, name=name, starts_at=start, ends_at=end, reason=reason,
                                                      service=service, created_by=CLI))  # fmt: skip
    click.echo(f"added freeze window {row.id} {row.name!r}")


@freeze.command("list")
def freeze_list() -> None:
    """Print the freeze windows that have not ended."""
    from hub import changes

    for row in in_transaction(changes.freezes):
        scope = row.service or "all services"
        click.echo(f"{row.id:>4}  {printed_time(row.starts_at)} .. {printed_time(row.ends_at)}  {row.name}"
                   f" ({scope})  {row.reason}")  # fmt: skip
