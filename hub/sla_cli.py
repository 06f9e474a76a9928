"""`switchboard sla`: SLA policies (hub/catalogue.py), changing and removing them with the clocks they run
(hub/sla_edits.py, hub/sla_removal.py), and pausing an incident's clocks while it waits on its requester
(hub/sla_pauses.py).

One of hub's own commands (hub/cli.py OWN_COMMANDS); each command imports what it works with when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hub.acting_cli import AS, acting_in
from hub.cli import in_transaction, incident_number, option_value, options
from hub.sla_clocks import DEFAULT_WARN_AT

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def _given(value: T | None, kept: T) -> T:
    """An option's value, or what is kept when it was not given."""
    return kept if value is None else value


def _terms(*, changing: bool) -> Callable[[F], F]:
    """--priority to --warn-at: a policy's terms as `add` takes them (a priority needed, the warning share by
    default) or as `set` changes them (saying where '' empties one)."""

    def emptied(means: str) -> str:
        return f" ('' for {means})" if changing else ""

    return options(
        click.option("--priority", required=not changing, help="P1 (highest) to P5."),
        click.option("--resolution", help=f"Resolve within this much business time: 4h, 2d{emptied('no such clock')}."),
        click.option("--first-response",
                     help=f"Acknowledge or answer within this much business time: 30m{emptied('none')}."),
        click.option("--next-update",
                     help=f"Update the requester at least this often, after the first response{emptied('none')}."),
        click.option("--calendar", "calendar_name", help="The calendar the clocks run on "
                     + ("('' for 24x7 UTC)." if changing else "(default: 24x7 UTC).")),
        click.option("--service", "service_name", help=f"Only incidents of this service{emptied('every service')}."),
        click.option("--category", help=f"Only incidents of this category{emptied('every category')}."),
        click.option("--organisation", help=f"Only incidents whose 'organisation' label is this{emptied('all')}."),
        click.option("--kind", help=f"Only incidents or only service requests: incident or request"
                     f"{emptied('both') if changing else ' (default: both)'}."),
        click.option("--warn-at", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                     default=None if changing else DEFAULT_WARN_AT, show_default=not changing,
                     help="Warn when this share of a target has run."),
    )  # fmt: skip


@click.group()
def sla() -> None:
    """SLA policies: targets per priority (optionally per service, category, organisation, kind) on a calendar."""


@sla.command("add")
@click.option("--name", required=True, help="Unique name, e.g. 'P1 mail'.")
@_terms(changing=False)
def sla_add(
    name: str,
    priority: str,
    resolution: str | None,
    first_response: str | None,
    next_update: str | None,
    calendar_name: str | None,
    service_name: str | None,
    category: str | None,
    organisation: str | None,
    kind: str | None,
    warn_at: float,
) -> None:
    """Add a policy, e.g.: switchboard sla add --name P1 --priority P1 --resolution 4h --first-response 30m
    --calendar office"""
    from hub import audit, catalogue

    number = option_value(lambda: catalogue.parse_priority(priority))
    option_value(lambda: catalogue.policy_kind(kind))
    targets = option_value(lambda: catalogue.Targets.parse(first_response=first_response, next_update=next_update,
                                                           resolution=resolution))  # fmt: skip

    def add(session: Session) -> None:
        row = catalogue.add_policy(session, name=name, priority=number, targets=targets, calendar=calendar_name,
                                   service=service_name, category=category, organisation=organisation,
                                   kind=kind, warn_at=warn_at)  # fmt: skip
        audit.record(session, audit.CLI, "sla.add", row.name, **catalogue.policy_detail(row, calendar_name))

    in_transaction(add)
    click.echo(f"added SLA policy {name.strip()!r}; incidents opened from now on get its clocks")


@sla.command("set")
@click.argument("name")
@click.option("--name", "new_name", help="A new name.")
@_terms(changing=True)
def sla_set(
    name: str,
    new_name: str | None,
    priority: str | None,
    resolution: str | None,
    first_response: str | None,
    next_update: str | None,
    calendar_name: str | None,
    service_name: str | None,
    category: str | None,
    organisation: str | None,
    kind: str | None,
    warn_at: float | None,
) -> None:
    """Change the policy NAME: the options given replace its terms, and the unresolved incidents whose clocks it
    runs are re-planned from their opening under the policy that now fits them (those whose due times move are
    told so on their timeline). E.g.: switchboard sla set "P1 mail" --resolution 3h --next-update 1h"""
    from hub import audit, catalogue, sla_edits

    number = option_value(lambda: catalogue.parse_priority(priority)) if priority is not None else None
    option_value(lambda: catalogue.policy_kind(kind))  # '' (both) stays '', for _given to tell from not given
    typed = {"first_response": first_response, "next_update": next_update, "resolution": resolution}
    targets = {
        key: option_value(partial(catalogue.parse_target, text, key)) for key, text in typed.items() if text is not None
    }
    options = (new_name, number, calendar_name, service_name, category, organisation, kind, warn_at)
    if not targets and all(value is None for value in options):
        raise click.UsageError("say what to change, e.g. --resolution 4h; `switchboard sla set --help` lists them")

    def work(session: Session) -> sla_edits.Edit:
        kept = catalogue.policy_terms(session, catalogue.get_policy(session, name, lock=True))
        terms = catalogue.PolicyTerms(
            priority=_given(number, kept["priority"]), targets=replace(kept["targets"], **targets),
            calendar=_given(calendar_name, kept["calendar"]), service=_given(service_name, kept["service"]),
            category=_given(category, kept["category"]), organisation=_given(organisation, kept["organisation"]),
            kind=_given(kind, kept["kind"]), warn_at=_given(warn_at, kept["warn_at"]),
        )  # fmt: skip
        return sla_edits.edit_policy(session, name, terms, by=audit.CLI, new_name=new_name)

    done = in_transaction(work)
    click.echo(f"SLA policy {done.name!r}: {sla_edits.describe(done) if done.changed else 'nothing changed'}")


@sla.command("remove")
@click.argument("name")
def sla_remove(name: str) -> None:
    """Remove the policy NAME: new incidents no longer get it, and the unresolved incidents whose clocks it runs
    are re-planned under the policy that fits them without it (from their opening), or lose their clocks when
    none does. Incidents resolved under it drop out of /reports/sla."""
    from hub import audit, sla_removal

    def remove(session: Session) -> sla_removal.Removal:
        done = sla_removal.remove_policy(session, name)
        audit.record(session, audit.CLI, "sla.remove", done.name, replanned=done.replanned, stopped=done.stopped)
        return done

    done = in_transaction(remove)
    click.echo(f"removed SLA policy {done.name!r}; {sla_removal.describe(done)}")


@sla.command("list")
def sla_list() -> None:
    """Print the policies: who they are for, targets, calendar."""
    from hub import catalogue

    for policy, calendar_name in in_transaction(catalogue.policies):
        scope, targets = catalogue.describe_scope(policy), catalogue.describe_targets(policy)
        click.echo(
            f"{policy.name:<20} P{policy.priority}  {scope:<28} {targets}; "
            f"warn at {policy.warn_at:.0%}; calendar {calendar_name or '24x7 UTC'}"
        )


@sla.command("wait")
@click.argument("ref")
@AS
def sla_wait(ref: str, actor: str) -> None:
    """Set incident REF waiting on its requester: its SLA clocks pause until `resume` or the requester replies."""
    from hub import sla_pauses

    incident_id = incident_number(ref)
    acting_in(actor, lambda s, who: sla_pauses.wait_on_requester(s.connection(), incident_id, who))
    click.echo(f"{ref.upper()} is waiting on its requester; SLA clocks paused")


@sla.command("resume")
@click.argument("ref")
@AS
def sla_resume(ref: str, actor: str) -> None:
    """End the wait of incident REF: its SLA clocks run again, due times moved on by the pause."""
    from hub import sla_pauses
    from hub.sla import SlaBookCache

    incident_id = incident_number(ref)

    def work(session: Session, who: str) -> bool:
        conn = session.connection()
        return sla_pauses.stop_waiting(conn, SlaBookCache().current(conn), incident_id, f"resumed by {who}")

    if not acting_in(actor, work):
        raise click.ClickException(f"{ref.upper()} is not waiting")
    click.echo(f"{ref.upper()} runs again; SLA clocks resumed")
