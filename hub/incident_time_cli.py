"""`switchboard incident time|time-correct|time-take-back`: time spent on an incident, logged on its own, corrected
and taken back through hub/incident_notes.py as the incident page's time card does: the same entries, totals and
timeline lines. As on the page, anyone corrects or takes back their own entries and only an admin anyone's;
`switchboard incident show` lists them with the numbers these take. Time logged with a note or a reply (`--spent`)
is hub/incident_writing_cli.py's, parsed here.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting
from hub.cli import incident_number

if TYPE_CHECKING:
    from hub.agent_action import Actor
    from hub.config import Settings
    from hub.db import Database
    from hub.time_spent import Spent

#: How time is typed, as the page's time field takes it (hub/time_spent.py `parse_spent`).
HOW_LONG = "25, 25m, 1.5h, 1h 30m or 1:30"
#: Whose role may change anyone's time entries: users.manage in web/permissions.py, which the page and the API ask
#: (hub cannot import it).
ANYONES = "admin"


def parsed(typed: str, what: str | None = None, *, param_hint: str = "MINUTES") -> Spent:
    """The time typed and what it went on, or a usage error naming the argument that is wrong."""
    from hub.errors import BadInput
    from hub.time_spent import Spent, parse_spent

    try:
        minutes = parse_spent(typed)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from None
    try:
        return Spent(minutes, (what or "").strip() or None)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="'--note'") from None


@click.command("time")
@click.argument("ref")
@click.argument("spent", metavar="MINUTES")
@click.option("--note", "what", metavar="TEXT", help="What the time went on (a phone call, a visit to the desk).")
@AS
def incident_time(ref: str, spent: str, what: str | None, actor: str) -> None:
    """Log time spent on incident REF without a note or a reply: MINUTES as the page takes it, 25, 25m, 1.5h,
    1h 30m or 1:30. It counts in `switchboard time` and the time report.

    Example: switchboard incident time INC-7 25m --note "phone call with the requester" --as ann@example.com
    """
    from hub import incident_notes, time_spent

    number = incident_number(ref)
    logged = parsed(spent, what)
    acting(actor, lambda db, _, who: incident_notes.log_time(db, number, logged, who))
    click.echo(f"INC-{number} has {time_spent.describe(logged.minutes)} more spent on it")


def _entry(_: click.Context, __: click.Parameter, value: str) -> int:
    """A time entry's number as `incident show` prints it, #12, or as 12."""
    from hub.numbers import row_id

    found = row_id(value.strip().removeprefix("#"))
    if found is None:
        raise click.BadParameter(f"{value!r} is not a time entry's number; `switchboard incident show REF` lists "
                                 "them, like #12")  # fmt: skip
    return found


@click.command("time-correct")
@click.argument("ref")
@click.argument("entry", metavar="ENTRY", callback=_entry)
@click.argument("spent", metavar="[MINUTES]", required=False)
@click.option("--note", "what", metavar="TEXT", help='What the time went on, instead of what it says; "" clears it.')
@AS
def incident_time_correct(ref: str, entry: int, spent: str | None, what: str | None, actor: str) -> None:
    """Correct time entry ENTRY of incident REF, typed wrong (3 for 30): its MINUTES, what it went on (--note), or
    both. ENTRY is its number as `switchboard incident show REF` lists it. The total moves by the difference; the
    entry keeps when it was logged. Anyone corrects their own entries; an admin, anyone's.

    Example: switchboard incident time-correct INC-7 12 30m --as ann@example.com
    """
    from hub import incident_notes, time_spent
    from hub.errors import BadInput

    number = incident_number(ref)
    minutes = parsed(spent).minutes if spent is not None else None
    try:
        correction = time_spent.Correction(minutes, what)
    except BadInput as exc:  # nothing to correct, or a --note too long
        if minutes is None and what is None:
            raise click.UsageError(f"{exc}: MINUTES, --note TEXT, or both") from None
        raise click.BadParameter(str(exc), param_hint="'--note'") from None

    def work(db: Database, _: Settings, who: Actor) -> bool:
        return incident_notes.correct_time(db, number, entry, correction, who, anyones=_anyones(db, who))

    if not acting(actor, work):
        click.echo(f"INC-{number}: time entry #{entry} already said so")
    else:
        to = f" to {time_spent.describe(minutes)}" if minutes is not None else ""
        click.echo(f"INC-{number}: time entry #{entry} is corrected{to}")


@click.command("time-take-back")
@click.argument("ref")
@click.argument("entry", metavar="ENTRY", callback=_entry)
@AS
def incident_time_take_back(ref: str, entry: int, actor: str) -> None:
    """Take back time entry ENTRY of incident REF, logged by mistake: it no longer counts; the timeline says so.
    ENTRY is its number as `switchboard incident show REF` lists it. Anyone takes back their own; an admin, anyone's.

    Example: switchboard incident time-take-back INC-7 12 --as ann@example.com
    """
    from hub import incident_notes

    number = incident_number(ref)
    acting(actor, lambda db, _, who: incident_notes.take_back_time(db, number, entry, who, anyones=_anyones(db, who)))
    click.echo(f"INC-{number}: time entry #{entry} is taken back")


def _anyones(db: Database, who: Actor) -> bool:
    """Whether `who` may change time others logged, as an admin may on the page."""
    from sqlalchemy import select

    from hub.models import User

    with db.read() as session:
        return session.scalar(select(User.role).where(User.email == who.name)) == ANYONES
