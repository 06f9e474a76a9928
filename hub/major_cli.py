"""`switchboard incident major|coordinator|stand-down` and `switchboard review`: major incidents and their reviews
for chat-ops and scripts (hub/incident_cli.py holds the `incident` group and adds these to it).

The same hub actions as the incident page's and the review page's forms (hub/major_incidents.py, hub/reviews.py):
the same pages, timeline entries and audit records. The command line is no one, so declaring, handing over and
standing down are done `--as` an active agent or admin, as the other incident actions are (hub/acting_cli.py:
checked before and inside the action's transactions); they are not paged for their own act, and declaring names
them coordinator unless `--coordinator` names someone else. A review's follow-ups are added, taken out and filed
`--as` an active agent or admin too, as on the review page.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import click

from hub.acting_cli import AS, acting
from hub.cli import ROW_ID, incident_number, printed_time, with_database

if TYPE_CHECKING:
    from hub.agent_action import Actor
    from hub.config import Settings
    from hub.db import Database
    from hub.models import Incident, IncidentReview, MajorIncident
    from hub.review_search import Listed

T = TypeVar("T")


@click.command("major")
@click.argument("ref")
@click.option("--reason", required=True, help="Why it is major, one line: 'Nobody can run payroll'.")
@click.option("--coordinator", help="Who leads it: an active agent's or admin's email (default: whoever --as names).")
@AS
def incident_major(ref: str, reason: str, coordinator: str | None, actor: str) -> None:
    """Declare incident REF a major incident: pages the coordinator, the assignee and the major-incident group.

    Example: switchboard incident major INC-7 --reason "Nobody can run payroll" --as ann@example.com
    """
    number = incident_number(ref)

    def work(db: Database, settings: Settings, who: Actor) -> str:
        from hub import major_incidents
        from hub.agent_action import Mail

        return major_incidents.declare(db, number, reason, who, Mail.of(settings), coordinator=coordinator,
                                       group=settings.major_incident_group)  # fmt: skip

    click.echo(f"INC-{number} is a major incident, coordinated by {acting(actor, work)}")


@click.command("coordinator")
@click.argument("ref")
@click.argument("email")
@AS
def incident_coordinator(ref: str, email: str, actor: str) -> None:
    """Hand coordination of major incident REF over to EMAIL (an active agent or admin), who is paged.

    Example: switchboard incident coordinator INC-7 bob@example.com --as ann@example.com
    """
    number = incident_number(ref)

    def work(db: Database, settings: Settings, who: Actor) -> bool:
        from hub import major_incidents
        from hub.agent_action import Mail

        return major_incidents.hand_over(db, number, email, who, Mail.of(settings))

    changed = acting(actor, work)
    click.echo(f"INC-{number} is coordinated by {email.strip().lower()}" + (" now" if changed else " already"))


@click.command("stand-down")
@click.argument("ref")
@click.option("--note", default="", help="Why, one line, for those paged and the timeline.")
@AS
def incident_stand_down(ref: str, note: str, actor: str) -> None:
    """End major incident REF's status (it was not major, or no longer is): those paged for it are told.

    Example: switchboard incident stand-down INC-7 --note "One printer, not the floor" --as ann@example.com
    """
    number = incident_number(ref)

    def work(db: Database, settings: Settings, who: Actor) -> None:
        from hub import major_incidents
        from hub.agent_action import Mail

        major_incidents.stand_down(db, number, who, Mail.of(settings), note=note,
                                   group=settings.major_incident_group)  # fmt: skip

    acting(actor, work)
    click.echo(f"INC-{number} is no longer a major incident")


@click.group()
def review() -> None:
    """Post-incident reviews of major incidents: which are owed and overdue; each one and its follow-up actions."""


@review.command("list")
@click.option("--overdue", is_flag=True, help="Only those owed past SWITCHBOARD_REVIEW_DUE_DAYS after resolution.")
@click.option("--state", "states", multiple=True, help="Only this state: not_started, draft or published (repeat).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def review_list(overdue: bool, states: tuple[str, ...], limit: int) -> None:
    """Print reviews owed and written, newest incident first: incident, state, when due or published, coordinator,
    title.

    Example: switchboard review list --overdue
    """
    from datetime import timedelta

    from hub import review_search
    from hub.models import utcnow

    if unknown := sorted(set(states) - set(review_search.STATES)):
        raise click.BadParameter(f"{', '.join(unknown)}: a review is {', '.join(review_search.STATES)}",
                                 param_hint="--state")  # fmt: skip

    def work(db: Database, settings: Settings) -> list[Listed]:
        with db.read() as session:
            return review_search.page(session, utcnow(), timedelta(days=settings.review_due_days),
                                      review_search.Wanted(states, overdue=overdue), limit=limit)  # fmt: skip

    rows = with_database(work)
    for row in rows:
        click.echo(_line(row))
    if not rows:
        click.echo("No reviews match: a major incident owes one once it is resolved")


@review.command("show")
@click.argument("ref")
def review_show(ref: str) -> None:
    """Print the review of major incident REF: its state, texts, key times and follow-up actions, each with
    the problem it was filed as and that problem's state.

    Example: switchboard review show INC-7
    """
    number = incident_number(ref)

    def work(db: Database, settings: Settings) -> list[str]:
        from hub import major_incidents, reviews
        from hub.agent_action import NoSuchIncident
        from hub.domain import format_ref, no_incident
        from hub.models import Incident, utcnow

        with db.read() as session:
            incident = session.get(Incident, number)
            if incident is None:
                raise NoSuchIncident(no_incident(format_ref(number)))
            review = reviews.of_incident(session, number)
            if review is None:
                raise reviews.ReviewError(f"INC-{number} has no review yet: once the major incident is resolved, "
                                          "start it from its page or the API")  # fmt: skip
            return _shown(incident, review, major_incidents.declarations(session, number), utcnow())

    click.echo("\n".join(with_database(work)))


@review.group("follow-up")
def review_follow_up() -> None:
    """A review's follow-up actions: add one to a draft, take one out, file one as a problem to track it.

    `switchboard review show REF` lists them with their ids.
    """


@review_follow_up.command("add")
@click.argument("ref")
@click.argument("text")
@click.option("--owner", default="", help="Who owns it (an email, or any name): the problem it is filed as is theirs.")
@AS
def follow_up_add(ref: str, text: str, owner: str, actor: str) -> None:
    """Add follow-up action TEXT (one line) to the draft review of major incident REF; prints its id.

    Example: switchboard review follow-up add INC-7 "Alert on disk at 80%" --owner ann@example.com --as ann@example.com
    """
    number = incident_number(ref)

    def work(db: Database, _: Settings, who: Actor) -> int:
        from hub import reviews

        return reviews.add_action(db, number, text, who, owner=owner)

    click.echo(f"INC-{number} has follow-up action {acting(actor, work)}: {text.strip()}")


@review_follow_up.command("remove")
@click.argument("ref")
@click.argument("action_id", metavar="ID", type=ROW_ID)
@AS
def follow_up_remove(ref: str, action_id: int, actor: str) -> None:
    """Take follow-up action ID out of the draft review of major incident REF (one filed as a problem stays:
    close the problem if it is not to be done).

    Example: switchboard review follow-up remove INC-7 2 --as ann@example.com
    """
    number = incident_number(ref)

    def work(db: Database, _: Settings, who: Actor) -> None:
        from hub import reviews

        _naming_the_actions(number, lambda: reviews.remove_action(db, number, action_id, who))

    acting(actor, work)
    click.echo(f"INC-{number} has follow-up action {action_id} taken out of its review")


@review_follow_up.command("file")
@click.argument("ref")
@click.argument("action_id", metavar="ID", type=ROW_ID)
@AS
def follow_up_file(ref: str, action_id: int, actor: str) -> None:
    """File follow-up action ID of the review of major incident REF as a problem (its text the title, its owner the
    owner), to track it until it is done; draft or published. Prints the problem.

    Example: switchboard review follow-up file INC-7 1 --as ann@example.com
    """
    number = incident_number(ref)

    def work(db: Database, _: Settings, who: Actor) -> int:
        from hub import reviews

        return _naming_the_actions(number, lambda: reviews.file_problem(db, number, action_id, who))

    click.echo(f"INC-{number} has follow-up action {action_id} tracked as PRB-{acting(actor, work)}")


def _naming_the_actions(number: int, change: Callable[[], T]) -> T:
    """`change` to one of a review's follow-up actions; an id it does not have is answered with where the ids are."""
    from hub import reviews

    try:
        return change()
    except reviews.NoSuchAction as exc:
        raise click.ClickException(f"{exc}; `switchboard review show INC-{number}` lists them with their ids") from None


def _shown(incident: Incident, review: IncidentReview, declared: list[MajorIncident], now: datetime) -> list[str]:
    """The review as `review show` prints it: what the review's page shows, as plain lines."""
    from hub import reviews
    from hub.dashboard import duration

    def at(value: datetime | None, span: timedelta | None = None, since: str = "detected") -> str:
        when = printed_time(value) if value is not None else "—"
        return f"{when}  ({duration(span)} after {since})" if span is not None else when

    if review.published_at is not None:
        state = f"published by {review.published_by} {printed_time(review.published_at)}"
    else:
        state = f"draft, started by {review.started_by}, last saved by {review.updated_by}"
    lines = [f"{incident.ref} {incident.title}", f"Review: {state}",
             f"Coordinator: {declared[-1].coordinator if declared else '—'}"]  # fmt: skip
    for name, label in reviews.FIELDS.items():
        text = getattr(review, name)
        lines += ["", f"{label}:", *(f"  {line}" for line in (text.splitlines() if text else ["—"]))]
    times = reviews.key_times_of(incident, declared, now)
    lines += [
        "",
        "Key times:",
        f"  Detected          {at(times.detected)}",
        f"  Declared major    {at(times.declared, times.to_declare)}",
        f"  Acknowledged      {at(times.acknowledged, times.to_acknowledge)}",
        f"  Resolved          {at(times.resolved, times.to_resolve)}",
        f"  Time as major     {duration(times.as_major)}",
        "",
        "Follow-up actions:",
    ]
    for action in review.actions:
        owner = f" (owner {action.owner})" if action.owner else ""
        tracked = f"{action.problem.ref} {action.problem.state}" if action.problem is not None else "not filed"
        lines.append(f"  {action.id:>4}  {action.text}{owner}: {tracked}")
    if not review.actions:
        lines.append("  —")
    return lines


def _line(row: Listed) -> str:
    if row.published_at is not None:
        when = f"published {printed_time(row.published_at)}"
    elif row.due_at is not None:
        when = f"{'OVERDUE since' if row.overdue else 'due'} {printed_time(row.due_at)}"
    else:
        when = "not owed"
    return f"{row.ref:<8} {row.state:<11} {when:<36} {row.coordinator:<24} {row.title}"
