"""`switchboard incident <action>`: the incident page's state changes, through hub/triage.py as its forms are.

Status moves (acknowledge, wait, resume, resolve, close, reopen), assign, priority, category, service, kind, ci,
title, merge, watch and unwatch, the public status note, the problem it is part of (hub/problem_links.py) and a
request's fulfilment steps (hub/request_steps.py): the same checks, timeline entries, SLA clocks and mail as the
page's, and the page's refusals (a status an action may not start from is named with those it may, and what to do
first). What agents write (notes, replies, time) is hub/incident_writing_cli.py's. The command line is no one: each
action names who does it with `--as`, an active agent or admin, as only they work incidents on the page
(hub/acting_cli.py).

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting
from hub.cli import incident_number
from hub.domain import INCIDENT_KINDS, KIND_WORDS

if TYPE_CHECKING:
    from hub.agent_action import Actor
    from hub.config import Settings
    from hub.db import Database


def label(db: Database, assignee: str) -> str:
    """A colleague as a message names them: "Ann Lee (ann@example.com)"; a group as its name."""
    from hub.people import labels

    if "@" not in assignee:
        return assignee
    with db.read() as session:
        return labels(session.connection(), [assignee.lower()])[0]


# -- status ---------------------------------------------------------------------------------------------------


def _status_command(action: str, summary: str, example: str) -> click.Command:
    """The command for one of hub/triage.py's status actions (TRANSITIONS): REF and --as, and what it leads to."""

    def run(ref: str, actor: str, resolution: str | None = None) -> None:
        from hub import triage
        from hub.agent_action import Mail

        number = incident_number(ref)
        status = acting(actor, lambda db, settings, who: triage.change_status(db, number, action, who,
                                                                              Mail.of(settings),
                                                                              resolution=resolution))  # fmt: skip
        click.echo(f"INC-{number} is {status} now")

    command = click.command(action, help=f"{summary}\n\nExample: switchboard incident {action} {example}")(run)
    command = AS(command)
    if action == "resolve":
        told = "How it was resolved: kept, and told to the requester and assignee."
        command = click.option("--resolution", default="", help=told)(command)
    return click.argument("ref")(command)


incident_acknowledge = _status_command(
    "acknowledge", "Acknowledge open incident REF: someone has it, so escalation steps waiting for that stop.",
    "INC-7 --as ann@example.com")  # fmt: skip
incident_wait = _status_command(
    "wait", "Set open or acknowledged incident REF waiting on the requester: its SLA clocks pause until it is "
    "resumed (or the requester writes back).", "INC-7 --as ann@example.com")  # fmt: skip
incident_resume = _status_command(
    "resume", "Resume waiting incident REF: its SLA clocks run again, and it is open (or acknowledged, if it was).",
    "INC-7 --as ann@example.com")  # fmt: skip
incident_resolve = _status_command(
    "resolve", "Resolve incident REF: its SLA clocks stop, and the requester, assignee and watchers are told.",
    'INC-7 --resolution "Replaced the toner" --as ann@example.com')  # fmt: skip
incident_close = _status_command(
    "close", "Close resolved incident REF: it is done with for good.",
    "INC-7 --as ann@example.com")  # fmt: skip
incident_reopen = _status_command(
    "reopen", "Reopen resolved or closed incident REF: its resolution is cleared and its SLA clocks run again.",
    "INC-7 --as ann@example.com")  # fmt: skip


# -- fields ---------------------------------------------------------------------------------------------------


@click.command("assign")
@click.argument("ref")
@click.argument("to", metavar="EMAIL|GROUP")
@AS
def incident_assign(ref: str, to: str, actor: str) -> None:
    """Give incident REF to a person (an active user's email), who is mailed, or to a group (its name).

    Example: switchboard incident assign INC-7 bob@example.com --as ann@example.com
    """
    from hub import triage
    from hub.agent_action import Mail

    number = incident_number(ref)

    def work(db: Database, settings: Settings, who: Actor) -> str:
        triage.assign(db, number, to, who, Mail.of(settings))
        return label(db, to.strip())

    click.echo(f"INC-{number} is assigned to {acting(actor, work)}")


@click.command("priority")
@click.argument("ref")
@click.argument("priority", metavar="N", type=click.IntRange(1, 5))
@AS
def incident_priority(ref: str, priority: int, actor: str) -> None:
    """Set incident REF's priority, 1 (highest) to 5: its SLA clocks are planned again for it.

    Example: switchboard incident priority INC-7 1 --as ann@example.com
    """
    from hub import triage

    number = incident_number(ref)
    acting(actor, lambda db, _, who: triage.set_priority(db, number, priority, who))
    click.echo(f"INC-{number} is P{priority} now")


@click.command("category")
@click.argument("ref")
@click.argument("name")
@AS
def incident_category(ref: str, name: str, actor: str) -> None:
    """Correct incident REF's category (what the rules guessed); "" clears it. Its SLA follows, since a policy may
    be scoped to a category.

    Example: switchboard incident category INC-7 hardware --as ann@example.com
    """
    from hub import triage

    number = incident_number(ref)
    changed = acting(actor, lambda db, _, who: triage.categorise(db, number, who, category=name))
    said = f"in category {name.strip()}" if name.strip() else "in no category"
    click.echo(f"INC-{number} is {said} now" if changed else f"INC-{number} was already {said}")


@click.command("kind")
@click.argument("ref")
@click.argument("kind", type=click.Choice(INCIDENT_KINDS))
@AS
def incident_kind(ref: str, kind: str, actor: str) -> None:
    """Say whether incident REF is an incident (something is broken) or a request (someone needs something). Its
    SLA follows, since a policy may be limited to a kind.

    Example: switchboard incident kind INC-7 request --as ann@example.com
    """
    from hub import triage

    number = incident_number(ref)
    changed = acting(actor, lambda db, _, who: triage.categorise(db, number, who, kind=kind))
    said = f"a {KIND_WORDS[kind]}"
    click.echo(f"INC-{number} is {said} now" if changed else f"INC-{number} was already {said}")


@click.command("service")
@click.argument("ref")
@click.argument("name", required=False, default="")
@click.option("--none", "clear", is_flag=True, help="Put REF on no service.")
@AS
def incident_service(ref: str, name: str, clear: bool, actor: str) -> None:
    """Correct which service incident REF is on (what the rules guessed); --none puts it on none. Its SLA follows,
    since a policy may be scoped to a service.

    Example: switchboard incident service INC-7 payments --as ann@example.com
    """
    from hub import triage

    if clear == bool(name.strip()):
        raise click.UsageError("name the service, or --none to put REF on no service" if not clear
                               else "give a service or --none, not both")  # fmt: skip
    number = incident_number(ref)
    changed = acting(actor, lambda db, _, who: triage.categorise(db, number, who, service=name))
    said = f"on service {name.strip()}" if name.strip() else "on no service"
    click.echo(f"INC-{number} is {said} now" if changed else f"INC-{number} was already {said}")


@click.command("ci")
@click.argument("ref")
@click.argument("name")
@AS
def incident_ci(ref: str, name: str, actor: str) -> None:
    """Say which configuration item (an active CI's name) incident REF is about; "" clears it. An incident with no
    service takes the CI's, and its SLA follows.

    Example: switchboard incident ci INC-7 db1 --as ann@example.com
    """
    from hub import triage

    number = incident_number(ref)
    said = acting(actor, lambda db, _, who: triage.set_ci(db, number, name, who))
    click.echo(f"INC-{number}: {said}" if said is not None else f"INC-{number} already had that CI")


@click.command("title")
@click.argument("ref")
@click.argument("text")
@AS
def incident_title(ref: str, text: str, actor: str) -> None:
    """Give incident REF a title that says what is wrong; the old one stays on its timeline.

    Example: switchboard incident title INC-7 "Outlook crashes at start" --as ann@example.com
    """
    from hub import triage

    number = incident_number(ref)
    changed = acting(actor, lambda db, _, who: triage.retitle(db, number, text, who))
    click.echo(f"INC-{number} has a new title" if changed else f"INC-{number} already has that title")


@click.command("public-note")
@click.argument("ref")
@click.argument("text", required=False, default="")
@click.option("--clear", is_flag=True, help="Take the note down.")
@AS
def incident_public_note(ref: str, text: str, clear: bool, actor: str) -> None:
    """Say on the public status page (/status, when REF's service is public) what is happening, in words for the
    public: REF's title stays inside. --clear takes the note down.

    Example: switchboard incident public-note INC-7 "Printing is slow; a fix is on its way" --as ann@example.com
    """
    from hub import status_page, triage
    from hub.cli import in_transaction
    from hub.models import Incident

    if clear == bool(text.strip()):
        raise click.UsageError("give the note's TEXT, or --clear to take it down" if not clear
                               else "give TEXT or --clear, not both")  # fmt: skip
    number = incident_number(ref)
    changed = acting(actor, lambda db, _, who: triage.set_public_note(db, number, "" if clear else text, who))
    if not changed:
        click.echo(f"INC-{number} already says that on the status page" if not clear
                   else f"INC-{number} had no public status note")  # fmt: skip
    else:
        click.echo(f"INC-{number} has no public status note now" if clear else f"INC-{number} has a public status note")
    if changed and not clear:  # as the incident page says under its note box: on no public service it shows nowhere
        service, public = in_transaction(
            lambda session: (session.get(Incident, number).service, status_page.public_services(session))
        )
        if service not in public:
            on = f"its service, {service}, is not public" if service else "it is on no service"
            click.echo(f"Not shown anywhere yet: {on}; only incidents of a public service are on the status page "
                       "(`switchboard service set NAME --public`)")  # fmt: skip


@click.command("problem")
@click.argument("ref")
@click.argument("problem", required=False, default="", metavar="[PRB-n]")
@click.option("--unlink", is_flag=True, help="Take REF out of the problem it is part of.")
@AS
def incident_problem(ref: str, problem: str, unlink: bool, actor: str) -> None:
    """Make incident REF part of a problem still being worked, named by its reference (PRB-3) or its whole title,
    moving it from any other; --unlink takes it out.

    Example: switchboard incident problem INC-7 PRB-3 --as ann@example.com
    """
    from hub import problem_links

    if unlink == bool(problem.strip()):
        raise click.UsageError("name the problem (PRB-3, or its title), or --unlink to take REF out of its problem"
                               if not unlink else "give a problem or --unlink, not both")  # fmt: skip
    number = incident_number(ref)
    if unlink:
        was = acting(actor, lambda db, _, who: problem_links.unlink(db, number, who))
        click.echo(f"INC-{number} is no longer part of {was}" if was else f"INC-{number} was part of no problem")
        return

    def work(db: Database, _: Settings, who: Actor) -> tuple[int, bool]:
        with db.read() as session:  # as the page reads what was typed or picked
            chosen = problem_links.chosen(session, problem)
        return chosen, problem_links.link(db, number, chosen, who)

    chosen, changed = acting(actor, work)
    click.echo(
        f"INC-{number} is part of PRB-{chosen} now" if changed else f"INC-{number} was already part of PRB-{chosen}"
    )


def _into(_: click.Context, __: click.Parameter, value: str) -> int:
    try:
        return incident_number(value)
    except click.BadParameter as exc:
        exc.param_hint = "'--into'"
        raise


@click.command("merge")
@click.argument("ref")
@click.option("--into", required=True, metavar="REF", callback=_into, help="The incident that carries on.")
@AS
def incident_merge(ref: str, into: int, actor: str) -> None:
    """Close incident REF as a duplicate of another: its occurrences count there, both timelines say so, and its
    requester is mailed where their request is followed now.

    Example: switchboard incident merge INC-8 --into INC-7 --as ann@example.com
    """
    from hub import triage
    from hub.agent_action import Mail

    number = incident_number(ref)
    acting(actor, lambda db, settings, who: triage.merge(db, number, into, who, Mail.of(settings)))
    click.echo(f"INC-{number} is merged into INC-{into}")


def _watch_command(on: bool) -> click.Command:
    """`watch` or `unwatch`: the `--as` person starts or stops hearing of the incident's state changes."""
    name = "watch" if on else "unwatch"

    def run(ref: str, actor: str) -> None:
        from hub import triage

        number = incident_number(ref)
        changed = acting(actor, lambda db, _, who: triage.watch(db, number, who, on=on))
        who = actor.strip().lower()
        if on:
            click.echo(f"INC-{number} is watched by {who}: they hear when it is resolved, reopened or escalated"
                       if changed else f"INC-{number} was already watched by {who}")  # fmt: skip
        else:
            click.echo(f"INC-{number} is no longer watched by {who}" if changed
                       else f"INC-{number} was not watched by {who}")  # fmt: skip

    summary = ("Watch incident REF: the --as person is mailed when it is resolved, reopened or escalated."
               if on else "Stop watching incident REF: the --as person is no longer mailed of it.")  # fmt: skip
    command = click.command(name, help=f"{summary}\n\nExample: switchboard incident {name} INC-7 --as ann@example.com")
    return click.argument("ref")(AS(command(run)))


incident_watch = _watch_command(True)
incident_unwatch = _watch_command(False)


#: The commands this module adds to the `incident` group (hub/incident_cli.py).
@click.command("step")
@click.argument("ref")
@click.argument("step", metavar="N", type=click.IntRange(1, 1000))
@click.argument("done", metavar="done|undo", type=click.Choice(["done", "undo"]))
@AS
def incident_step(ref: str, step: int, done: str, actor: str) -> None:
    """Tick step N of request REF's fulfilment checklist done, or undo it; on its timeline either way.

    Its steps are numbered as `switchboard incident show REF` and the incident page list them.
    Example: switchboard incident step INC-7 1 done --as ann@example.com
    """
    from hub import request_steps
    from hub.agent_action import Mail

    number = incident_number(ref)
    ticked = acting(actor, lambda db, settings, who: request_steps.tick(db, number, step, who, Mail.of(settings),
                                                                       done=done == "done"))  # fmt: skip
    if ticked is None:
        click.echo(f"INC-{number} step {step} was already {'done' if done == 'done' else 'not done'}")
    else:
        click.echo(f"INC-{number} step {step} {'done' if ticked.done_at else 'not done'}: {ticked.text}")


ACTIONS = (incident_acknowledge, incident_wait, incident_resume, incident_resolve, incident_close, incident_reopen,
           incident_assign, incident_priority, incident_category, incident_service, incident_kind, incident_ci,
           incident_title, incident_merge, incident_watch, incident_unwatch, incident_public_note, incident_problem,
           incident_step)  # fmt: skip
