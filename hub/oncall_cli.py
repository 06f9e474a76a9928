"""`switchboard oncall ...`: groups' on-call rotations, who is on call, and overrides.

Imported only when one of these commands runs or shows its help (hub/cli.py's OWN_COMMANDS); each imports what it
works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting_in
from hub.cli import ROW_ID, in_transaction
from hub.durations import parse_duration

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.oncall import OnCallNow


@click.group()
def oncall_group() -> None:
    """On-call rotations: a group's members take shifts in turn; rules and escalations reach who is on call."""


@oncall_group.command("set")
@click.argument("group")
@click.option("--shift", default="1w", show_default=True, help="How long each shift lasts: 12h, 1d, 1w (1h to 28d).")
@click.option("--handoff", default="mon 09:00", show_default=True,
              help="When the first member's first shift starts: 'mon 09:00' or '09:00' (the latest such time up to "
                   "now), or '2026-11-30 09:00'.")  # fmt: skip
@click.option("--tz", default="UTC", show_default=True, help="The time zone handoffs are at, e.g. Europe/Berlin.")
def oncall_set(group: str, shift: str, handoff: str, tz: str) -> None:
    """Give GROUP an on-call rotation (or change it): its members, in the group's order, take shifts in turn.

    \b
    Weekly shifts handing over on Mondays at 09:00 Berlin time, first to the group's first member:
      switchboard group set dba --member ann@example.com --member bob@example.com
      switchboard oncall set dba --shift 1w --handoff "mon 09:00" --tz Europe/Berlin
    Then in a rule: set: {group: dba, strategy: on_call}; in an escalation step: 5m:oncall:dba
    """
    from hub import audit, oncall
    from hub.models import utcnow

    def work(session: Session) -> oncall.OnCallNow:
        now = utcnow()
        oncall.set_rotation(session, group, zone=tz, shift=shift, handoff=handoff, now=now)
        audit.record(session, audit.CLI, "oncall.set", group, shift=shift, handoff=handoff, timezone=tz)
        return oncall.current(session, group, now)

    _print_now(in_transaction(work))


@oncall_group.command("list")
def oncall_list() -> None:
    """Print every rotation: who is on call now, until when, and who is next."""
    from hub import oncall
    from hub.models import utcnow

    found = in_transaction(lambda session: oncall.overview(session, utcnow()))
    if not found:
        click.echo("No on-call rotations yet; `switchboard oncall set GROUP --tz ZONE` makes one.")
    for each in found:
        _print_now(each)


@oncall_group.command("show")
@click.argument("group")
@click.option("--days", type=click.IntRange(1, 92), default=14, show_default=True, help="How far ahead.")
def oncall_show(group: str, days: int) -> None:
    """Print GROUP's shifts from now on, in its time zone; an override's id is shown beside its shift."""
    from hub import oncall
    from hub.models import utcnow

    def work(session: Session) -> tuple[str, list[tuple[str, datetime, datetime, int | None]]]:
        now = utcnow()
        zone = oncall.current(session, group, now).zone
        laid = oncall.rota(session, group, now, now + timedelta(days=days))
        return zone, [(s.who, s.starts, s.ends, s.override) for s in laid]

    zone, laid = in_transaction(work)
    click.echo(f"Shifts of {group}, times in {zone}:")
    for who, starts, ends, override in laid:
        covered = f"  (override {override})" if override else ""
        click.echo(f"  {oncall.wall_clock(starts, zone)} .. {oncall.wall_clock(ends, zone)}  {who}{covered}")


@oncall_group.command("override")
@click.argument("group")
@click.option(
    "--who",
    required=True,
    help="Who is on call instead: an active agent's or admin's address (someone paged must log in).",
)
@click.option("--starts", required=True,
              help="From when, in the rotation's time zone: '2026-12-24 18:00', or 'fri 18:00' or '18:00' for the "
                   "next such time.")  # fmt: skip
@click.option("--ends", help="Until when, written as --starts is ('mon 09:00': the first after the start).")
@click.option("--duration", help="How long from --starts: 12h, 3d.")
@AS
def oncall_override(group: str, who: str, starts: str, ends: str | None, duration: str | None, actor: str) -> None:
    """Put someone on call for GROUP for a while (a swap, a holiday), whatever the rotation says.

    \b
    Bob covers from Christmas Eve, 18:00, to Boxing Day, 09:00; Cy takes the coming weekend:
      switchboard oncall override dba --who bob@example.com --starts "2026-12-24 18:00" --ends "2026-12-27 09:00" \\
          --as bob@example.com
      switchboard oncall override dba --who cy@example.com --starts "fri 18:00" --ends "mon 09:00" --as cy@example.com
    """
    from hub import audit, oncall
    from hub.models import utcnow
    from hub.zones import zone_of

    if (ends is None) == (duration is None):
        raise click.UsageError("give either --ends or --duration")

    def work(session: Session, by: str) -> int:
        now = utcnow()
        zone = oncall.current(session, group, now).zone
        start = oncall.local_time(starts, zone, now)
        if ends is not None:  # `mon 09:00` is the first Monday 09:00 after the start
            until = oncall.local_time(ends, zone, start.replace(tzinfo=zone_of(zone)))
        else:
            until = start + parse_duration(duration or "")
        made = oncall.add_override(session, group, who, start, until, by=by, now=now)
        audit.record(session, by, "oncall.override", group, who=made.who, starts=made.starts.isoformat(),
                     ends=made.ends.isoformat())  # fmt: skip
        return made.id

    click.echo(f"added override {acting_in(actor, work)} to {group}'s rotation")


@oncall_group.command("unoverride")
@click.argument("group")
@click.argument("override_id", type=ROW_ID)
@AS
def oncall_unoverride(group: str, override_id: int, actor: str) -> None:
    """Remove override OVERRIDE_ID from GROUP's rotation (`switchboard oncall show` lists their ids)."""
    from hub import audit, oncall

    def work(session: Session, by: str) -> None:
        oncall.remove_override(session, group, override_id)
        audit.record(session, by, "oncall.unoverride", group, override=override_id)

    acting_in(actor, work)
    click.echo(f"removed override {override_id} from {group}'s rotation")


@oncall_group.command("remove")
@click.argument("group")
def oncall_remove(group: str) -> None:
    """Remove GROUP's rotation and its overrides (the group and its members stay)."""
    from hub import audit, oncall

    def work(session: Session) -> None:
        oncall.remove_rotation(session, group)
        audit.record(session, audit.CLI, "oncall.remove", group)

    in_transaction(work)
    click.echo(f"removed the on-call rotation of {group}")


def _print_now(each: OnCallNow) -> None:
    from hub import oncall

    until = f" until {oncall.wall_clock(each.until, each.zone)}" if each.until else ""
    following = f", then {each.next}" if each.next and each.next != each.on_call else ""
    click.echo(f"{each.group}: {each.on_call or 'no one'} on call{until} {each.zone}{following} "
               f"(shifts of {each.shift} from {each.handoff}: {', '.join(each.members)})")  # fmt: skip
