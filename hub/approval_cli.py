"""`switchboard incident approval ask|list|decide|withdraw|remind`: approvals on incidents (hub/approvals.py), as the
incident page, the Approvals page and the mailed link do them: the same checks, timeline entries and mail.

Asking and withdrawing are incident work, done `--as` an active agent or admin (hub/acting_cli.py). Deciding is
the approver's own, whatever their role (managers often only view incidents), so `decide --as` takes any active
user, checked again inside the decision's transaction, and only the person asked may decide.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting, refuse_unless_active
from hub.cli import incident_number, printed_time, with_database

if TYPE_CHECKING:
    from hub.agent_action import Actor
    from hub.approvals import Approval
    from hub.config import Settings
    from hub.db import Database


@click.group("approval")
def incident_approval() -> None:
    """Approvals on an incident: ask a person to say yes, list them, decide one, withdraw one, remind an approver.

    \b
    Examples:
      switchboard incident approval ask INC-7 --approver boss@example.com --note "Within budget?" \\
        --as ann@example.com
      switchboard incident approval list INC-7
      switchboard incident approval decide 3 approve --comment "Go ahead" --as boss@example.com
    """


@incident_approval.command("ask")
@click.argument("ref")
@click.option("--approver", required=True, metavar="EMAIL", help="Who is asked: an active user's email.")
@click.option("--note", default="", help="Why they are asked; in the mail they get.")
@AS
def approval_ask(ref: str, approver: str, note: str, actor: str) -> None:
    """Ask a person to approve incident REF: they are mailed it with a link to approve or reject it.

    While it is pending, the incident's SLA clocks stand still, as while it waits on its requester.

    Example: switchboard incident approval ask INC-7 --approver boss@example.com --note "Within budget?"
    --as ann@example.com
    """
    from hub import approvals
    from hub.agent_action import Mail

    number = incident_number(ref)
    asked = acting(actor, lambda db, settings, who: approvals.ask(db, number, approver, note, who, Mail.of(settings)))
    click.echo(f"approval {asked.id} on {asked.ref} asked of {asked.approver}: they were mailed a link to decide")


@incident_approval.command("list")
@click.argument("ref")
def approval_list(ref: str) -> None:
    """Print incident REF's approvals, oldest first: id, state, approver, when, the note and the comment.

    Example: switchboard incident approval list INC-7
    """
    from hub import approvals

    number = incident_number(ref)

    def read(db: Database, _: Settings) -> list[Approval]:
        from hub.agent_action import NoSuchIncident
        from hub.domain import format_ref, no_incident
        from hub.models import Incident

        with db.read() as session:
            if session.get(Incident, number) is None:
                raise NoSuchIncident(no_incident(format_ref(number)))
            return approvals.of_incident(session, number)

    found = with_database(read)
    if not found:
        click.echo(f"no approvals on INC-{number}")
    for approval in found:
        click.echo(_line(approval))


@incident_approval.command("decide")
@click.argument("approval_id", metavar="ID", type=click.IntRange(1))
@click.argument("decision", type=click.Choice(["approve", "reject"]))
@click.option("--comment", default="", help="Why; mailed with the decision (rejecting a request type's approval, "
                                              "the requester reads it as the reason).")  # fmt: skip
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The approver: the active user who was asked.")
def approval_decide(approval_id: int, decision: str, comment: str, actor: str) -> None:
    """Approve or reject approval ID as the person asked; once only.

    Example: switchboard incident approval decide 3 approve --comment "Go ahead" --as boss@example.com
    """
    from hub import approvals
    from hub.agent_action import Mail

    def run(db: Database, settings: Settings, who: Actor) -> Approval:
        return approvals.decide(db, approval_id, decision, comment, who, Mail.of(settings))

    decided = acting(actor, run, refuse=refuse_unless_active)
    click.echo(f"approval {decided.id} on {decided.ref} is {decided.state} now")


@incident_approval.command("withdraw")
@click.argument("approval_id", metavar="ID", type=click.IntRange(1))
@AS
def approval_withdraw(approval_id: int, actor: str) -> None:
    """Withdraw pending approval ID: its mailed link then decides nothing.

    Example: switchboard incident approval withdraw 3 --as ann@example.com
    """
    from hub import approvals
    from hub.agent_action import Mail

    def work(db: Database, settings: Settings, who: Actor) -> Approval:
        return approvals.withdraw(db, approval_id, who, Mail.of(settings))

    withdrawn = acting(actor, work)
    click.echo(f"approval {withdrawn.id} on {withdrawn.ref} is withdrawn")


@incident_approval.command("remind")
@click.argument("approval_id", metavar="ID", type=click.IntRange(1))
@AS
def approval_remind(approval_id: int, actor: str) -> None:
    """Remind the approver of pending approval ID now, with a fresh link, as the dispatcher does after a wait.

    The dispatcher's next reminder then waits SWITCHBOARD_APPROVAL_REMIND_HOURS from now.

    Example: switchboard incident approval remind 3 --as ann@example.com
    """
    from hub import approval_reminders
    from hub.agent_action import Mail

    reminded = acting(actor, lambda db, settings, who: approval_reminders.remind(db, approval_id, who,
                                                                                 Mail.of(settings)))  # fmt: skip
    click.echo(f"approval {reminded.id} on INC-{reminded.incident_id}: {reminded.approver} was mailed a reminder")


def _line(approval: Approval) -> str:
    when = printed_time(approval.decided_at or approval.asked_at)
    said = "  ".join(f"{label}: {part}" for label, part in (("note", approval.note), ("comment", approval.comment))
                     if part)  # fmt: skip
    return f"{approval.id:<5} {approval.state:<10} {approval.approver:<32} {when:<20}  {said}".rstrip()
