"""`switchboard problem`: file, list, show and work problems without the page.

`create` is the Problems page's form (hub.problems.create), done `--as` an active agent or admin (hub/acting_cli.py),
as only they file problems on the page.

`update` is the page's Save and state buttons (hub.problems.update_problem), so the same checks hold (a known error
needs its workaround written down, states move as the page allows) and the same audit entry is written.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting
from hub.cli import in_transaction, printed_time
from hub.domain import CLI
from hub.problem_states import BATCH, STATES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from hub.agent_action import Actor
    from hub.config import Settings
    from hub.db import Database
    from hub.models import AuditEntry, Problem


def _line(row: Problem) -> str:
    return f"{row.ref:<8} {row.state:<13} {row.service or '-':<16} {printed_time(row.created_at):<20}  {row.title}"


def history_line(entry: AuditEntry, names: Mapping[str, str]) -> str:
    """One audit entry of a problem as `problem show` prints it: when, who (by name where they have one, from
    `hub.people.names_of`), and what, in the page's words."""
    from hub.people import label
    from hub.problems import what_happened

    return f"  {printed_time(entry.at)} {label(entry.actor, names)} {what_happened(entry.action, entry.detail)}"


@click.group()
def problem() -> None:
    """Problems: the causes behind recurring incidents; record what was learned and move them through their states.

    Examples: switchboard problem create --title "VPN drops every night" --as ann@example.com;
    switchboard problem list --state known_error; switchboard problem show PRB-4;
    switchboard problem update PRB-4 --root-cause "VPN idle timeout of 60 s" --workaround "Reconnect" --state
    known_error --as ann@example.com
    """


@problem.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only problems in this state.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def problem_list(state: str | None, limit: int) -> None:
    """Print problems, newest first: reference, state, service, when filed, title."""
    from sqlalchemy import select

    from hub.models import Problem

    query = select(Problem).order_by(Problem.id.desc()).limit(limit)
    if state:
        query = query.where(Problem.state == state)
    rows = in_transaction(lambda s: list(s.scalars(query)))
    for row in rows:
        click.echo(_line(row))
    if not rows:
        click.echo("No problems match")


@problem.command("create")
@click.option("--title", required=True, help='The cause as far as it is known, e.g. "VPN drops every night".')
@click.option("--owner", help="Who works it (an email).")
@click.option("--service", help="The service it is about (a name `switchboard service list` shows).")
@AS
def problem_create(title: str, owner: str | None, service: str | None, actor: str) -> None:
    """File a problem by hand, as the Problems page's form does, for a cause seen before it recurred; prints its
    reference.

    Its incidents join it with `switchboard incident problem INC-n PRB-n --as EMAIL`; what is learned goes in with
    `switchboard problem update`.
    Example: switchboard problem create --title "VPN drops every night" --service vpn --as ann@example.com
    """
    from hub import problems

    number = acting(actor, lambda db, _, who: problems.create(db, title, who.name, owner=owner, service=service))
    click.echo(f"PRB-{number} filed")


@problem.command("show")
@click.argument("ref")
def problem_show(ref: str) -> None:
    """Print one problem: what is known, its incidents, the changes that fix it, and its history.

    Example: switchboard problem show PRB-4
    """
    from sqlalchemy import select

    from hub import change_problems, people, problems
    from hub.errors import BadInput
    from hub.models import Incident, Problem
    from hub.numbers import reference
    from hub.problem_resolution import open_count

    def work(session: Session) -> list[str]:
        number = reference("PRB", ref)
        row = session.get(Problem, number) if number is not None else None
        if row is None:
            raise BadInput(f"there is no problem {ref!r}; `switchboard problem list` shows them")
        history = problems.history(session, row.ref)
        names = problems.names_in(session, row, history)
        owner = people.label(row.owner, names) if row.owner else "-"
        lines = [_line(row), f"owner {owner}; filed by {people.label(row.created_by, names)}"]
        lines += [f"{name}: {text}" for name, text in (("root cause", row.root_cause), ("workaround",
                  row.workaround)) if text]  # fmt: skip
        if row.workaround:
            lines.append("workaround shared with requesters" if row.share_workaround else "workaround not shared")
        if row.resolving_since is not None:
            asked = f"{people.label(row.resolving_by or CLI, names)} {printed_time(row.resolving_since)}"
            lines.append(f"resolving its incidents: {open_count(session, row.id):,} still open (asked by {asked})")
        linked = session.scalars(select(Incident.id).where(Incident.problem_id == row.id).order_by(Incident.id))
        if incidents := [f"INC-{number}" for number in linked]:
            lines.append(f"incidents: {', '.join(incidents)}")
        for fix in change_problems.fixes(session, row.id):
            planned = printed_time(fix.planned_start) if fix.planned_start else "unplanned"
            lines.append(f"fixed by {fix.ref} ({fix.state}, {planned}): {fix.title}")
        return lines + [history_line(entry, names) for entry in history]

    click.echo("\n".join(in_transaction(work)))


@problem.command("update")
@click.argument("ref")
@click.option("--root-cause", help="What causes it, as far as it is known.")
@click.option("--workaround", help="How people get going again until it is fixed.")
@click.option("--share-workaround/--no-share-workaround", default=None,
              help="Whether new matching incidents' acknowledgements give requesters the workaround.")  # fmt: skip
@click.option("--state", type=click.Choice(STATES), help="Move it on, as its page allows (e.g. known_error).")
@click.option("--resolve-incidents", is_flag=True,
              help=f"With --state resolved (or on a resolved problem): resolve its open incidents too, each "
                   f"requester told the problem and its root cause; the oldest {BATCH} at once, the rest by the "
                   "workers in the background.")  # fmt: skip
@click.option("--owner", help="Who works it (an email); an empty value clears it.")
@AS
def problem_update(
    ref: str, root_cause: str | None, workaround: str | None, share_workaround: bool | None, state: str | None,
    resolve_incidents: bool, owner: str | None, actor: str,
) -> None:  # fmt: skip
    """Record what was learned about a problem and move it on, as its page does; prints its state, and the
    incidents resolved with it.

    Examples: switchboard problem update PRB-4 --state investigating --as ann@example.com;
    switchboard problem update PRB-4 --workaround "Reconnect the VPN client" --share-workaround --state known_error
    --as ann@example.com; switchboard problem update PRB-4 --state resolved --resolve-incidents --as ann@example.com
    """
    from hub import problems
    from hub.agent_action import Mail
    from hub.numbers import reference

    number = reference("PRB", ref)
    if number is None:
        raise click.BadParameter(f"{ref!r} is not a problem reference; write it as PRB-4", param_hint="REF")

    def work(db: Database, settings: Settings, who: Actor) -> problems.Updated:
        return problems.update_problem(db, number, who.name, state=state, root_cause=root_cause, workaround=workaround,
                                       share_workaround=share_workaround, owner=owner,
                                       resolve_incidents=Mail.of(settings) if resolve_incidents else None)  # fmt: skip

    updated = acting(actor, work)
    click.echo(updated.said() if updated.resolved is not None else
               f"{updated.problem.ref} is {updated.problem.state.replace('_', ' ')}")  # fmt: skip
