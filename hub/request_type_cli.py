"""`switchboard request-type ...`: the request catalogue, what people may ask for on the help centre (see
docs/requests.md). The same checks as the /request-types pages and the API (hub/request_types.py).

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.cli import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.request_types import Changed, TypeView

_QUESTION_HELP = ('A question, in the order asked (repeatable): "Cost centre *" (the * makes it required), '
                  '"Why? [text]" (a longer answer), "Model [choice: Standard, Developer]".')  # fmt: skip
_STEP_HELP = ('A fulfilment step, in order (repeatable): "Order it"; each request gets them as a checklist. '
              '"Order it @procurement": the group procurement does it, told when its turn comes.')  # fmt: skip
_APPROVER_HELP = "The address of a user (any role) asked to approve each of its requests as it comes in."


@click.group("request-type", context_settings={"help_option_names": ["-h", "--help"]})
def request_type() -> None:
    """The request catalogue the help centre offers: each type's questions, approver and steps.

    A request's category and group apply where no specific rule decides them, as a desk address's do.
    """


def _show(shown: TypeView) -> str:
    state = "active" if shown.active else "retired"
    questions = "; ".join(q.as_line() for q in shown.questions) or "no questions"
    return (f"{shown.name} ({state}): {shown.summary}\n  category {shown.category or '-'}, group {shown.group or '-'}"
            f", service {shown.service or '-'}, approver {shown.approver or '-'}, position {shown.position}\n"
            f"  questions: {questions}\n  steps: {'; '.join(s.as_line() for s in shown.steps) or 'none'}")  # fmt: skip


@request_type.command("add")
@click.argument("name")
@click.option("--summary", required=True, help="One line beside the name on the help centre.")
@click.option("--description", default="", help="Longer help, shown on its form.")
@click.option("--category", help="Its requests' category where no specific rule sets one.")
@click.option("--group", help="The group that fulfils it: its requests are assigned there unless a rule decides.")
@click.option("--service", help="The service it is part of.")
@click.option("--question", "questions", multiple=True, help=_QUESTION_HELP)
@click.option("--position", type=click.IntRange(-10_000, 10_000), help="Listed by it, then by name (default 0).")
@click.option("--approver", help=_APPROVER_HELP)
@click.option("--step", "steps", multiple=True, help=_STEP_HELP)
def add(name: str, summary: str, description: str, category: str | None, group: str | None, service: str | None,
        questions: tuple[str, ...], position: int | None, approver: str | None,
        steps: tuple[str, ...]) -> None:  # fmt: skip
    """Add request type NAME, offered on the help centre at once.

    \b
    Example:
      switchboard request-type add "New laptop" --summary "A laptop for a new starter" \\
        --group hardware --question "Model [choice: Standard, Developer] *" --question "Cost centre *"
    """
    from hub import audit, request_types
    from hub.request_questions import checked, parse_line
    from hub.request_steps import parse_line as parse_step

    def work(session: Session) -> TypeView:
        asked = checked(parse_line(line, "question") for line in questions)
        added = request_types.add(session, name=name, summary=summary, description=description, category=category,
                                  group=group, service=service, questions=asked, position=position,
                                  approver=approver, steps=map(parse_step, steps))  # fmt: skip
        audit.record(session, audit.CLI, "request_type.add", added.name, request_type=added.as_json())
        return added

    click.echo(_show(in_transaction(work)))


@request_type.command("list")
@click.option("--active", "active_only", is_flag=True, help="Only those offered on the help centre.")
def listing(active_only: bool) -> None:
    """List the request types: the active ones in the help centre's order, then the retired ones."""
    from hub import request_types

    for shown in in_transaction(lambda session: request_types.listing(session, active_only=active_only)):
        click.echo(_show(shown))


@request_type.command("set")
@click.argument("name")
@click.option("--name", "new_name", help="A new name.")
@click.option("--summary", help="A new one-line summary, beside the name on the help centre.")
@click.option("--description", help='Longer help, shown on its form; "" clears it.')
@click.option("--category", help='Its category; "" clears it.')
@click.option("--group", help='Its group; "" clears it.')
@click.option("--service", help='Its service; "" clears it.')
@click.option("--question", "questions", multiple=True, help=_QUESTION_HELP + " Replaces all its questions.")
@click.option("--no-questions", is_flag=True, help="Ask no questions any more.")
@click.option("--position", type=click.IntRange(-10_000, 10_000), help="Listed by it, then by name.")
@click.option("--approver", help=_APPROVER_HELP + ' "" clears it.')
@click.option("--step", "steps", multiple=True, help=_STEP_HELP + " Replaces all its steps.")
@click.option("--no-steps", is_flag=True, help="Have no fulfilment steps any more.")
def set_type(name: str, new_name: str | None, summary: str | None, description: str | None, category: str | None,
             group: str | None, service: str | None, questions: tuple[str, ...], no_questions: bool,
             position: int | None, approver: str | None, steps: tuple[str, ...], no_steps: bool) -> None:  # fmt: skip
    """Change request type NAME: what the options give, leaving the rest as it is.

    \b
    Example:
      switchboard request-type set "New laptop" --category hardware --question "Cost centre *"
    """
    from hub import audit, request_types
    from hub.request_questions import checked, parse_line
    from hub.request_steps import parse_line as parse_step

    if questions and no_questions:
        raise click.UsageError("give --question lines or --no-questions, not both")
    if steps and no_steps:
        raise click.UsageError("give --step lines or --no-steps, not both")

    def work(session: Session) -> Changed:
        before = request_types.named(session, name)
        asked = checked(parse_line(line, "question") for line in questions) if questions or no_questions else None
        done = request_types.change(session, name, new_name=new_name, summary=summary, description=description,
                                    category=category, group=group, service=service, questions=asked,
                                    position=position, approver=approver, author=audit.CLI,
                                    steps=list(map(parse_step, steps)) if steps or no_steps else None)  # fmt: skip
        if done.view != before:
            audit.record(session, audit.CLI, "request_type.change", done.view.name, before=before.as_json(),
                         after=done.view.as_json(), **done.detail())  # fmt: skip
        return done

    done = in_transaction(work)
    click.echo(_show(done.view))
    if done.said():
        click.echo(done.said())


@request_type.command("retire")
@click.argument("name")
def retire(name: str) -> None:
    """Retire request type NAME: the help centre no longer offers it (its requests keep naming it)."""
    _set_active(name, active=False)


@request_type.command("restore")
@click.argument("name")
def restore(name: str) -> None:
    """Offer retired request type NAME on the help centre again."""
    _set_active(name, active=True)


def _set_active(name: str, *, active: bool) -> None:
    from hub import audit, request_types

    def work(session: Session) -> request_types.Switched:
        switched = request_types.set_active(session, name, active=active)
        if switched.changed:
            audit.record(session, audit.CLI, f"request_type.{'restore' if active else 'retire'}", switched.view.name)
        return switched

    switched = in_transaction(work)
    click.echo(switched.said())
    if switched.changed:
        click.echo(_show(switched.view))


@request_type.command("report")
@click.option(
    "--days", type=click.IntRange(1, 366), default=30, show_default=True, help="Asked in the last this many days."
)
@click.option(
    "--json", "as_json", is_flag=True, help="A JSON list, times in minutes, as /reports/requests.csv has them."
)
def report(days: int, as_json: bool) -> None:
    """How long each request type takes: asked, open, resolved, median and 90th-percentile time, SLA attainment.

    Times run from the request to its resolution (as /reports/requests shows them); attainment is the share of
    decided resolution clocks met. Example: switchboard request-type report --days 90 --json > requests.json
    """
    import json
    from datetime import timedelta

    from hub import request_type_report
    from hub.dashboard import duration
    from hub.models import utcnow

    now = utcnow()
    lines = in_transaction(lambda session: request_type_report.report(session, now - timedelta(days=days), now, now))
    if as_json:
        click.echo(json.dumps([line.as_json() for line in lines], indent=2))
        return
    if not lines:
        click.echo(f"no service requests asked in the last {days} days")
        return
    width = max(len(line.name) for line in lines)
    click.echo(f"{'request type':<{width}}  {'asked':>5}  {'open':>5}  {'resolved':>8}  {'median':>12}  {'p90':>12}"
               "  attainment")  # fmt: skip
    for line in lines:
        share = "—" if line.attainment is None else f"{line.attainment:.0%}"
        click.echo(f"{line.name:<{width}}  {line.asked:>5}  {line.open:>5}  {line.resolved:>8}  "
                   f"{duration(line.median):>12}  {duration(line.p90):>12}  {share}")  # fmt: skip
