"""`switchboard incident note|reply`: what agents write on an incident, through hub/incident_notes.py as the
incident page's forms do: the same timeline entries, mentions, reply mail (threaded, through the outbox, with its
files), and `--spent` time logged with it in its transaction (time on its own, and correcting it, is
hub/incident_time_cli.py's). `--as` is checked as for every action (hub/acting_cli.py).

A reply's `--file`s are read here as the page's uploads are (web/uploads.py): each up to one byte past the
installation's limit, named safely (hub/names.py::safe_filename), checked and written to the attachment store by
hub/agent_files.py before the transaction that records the reply.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting
from hub.cli import incident_number
from hub.incident_time_cli import HOW_LONG, parsed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hub.agent_action import Actor
    from hub.agent_files import Upload
    from hub.attachments import AttachmentLimits
    from hub.config import Settings
    from hub.db import Database
    from hub.time_spent import Spent


SPENT = click.option("--spent", "typed", metavar="TIME",
                     help=f"Time spent, logged with it as the page's time field does: {HOW_LONG}.")  # fmt: skip


@click.command("note")
@click.argument("ref")
@click.argument("text")
@SPENT
@AS
def incident_note(ref: str, text: str, typed: str | None, actor: str) -> None:
    """Add an internal note to incident REF: never mailed to the requester; colleagues it @mentions (@ann,
    @ann@example.com) are mailed it, as from the page.

    Example: switchboard incident note INC-7 "@bob the toner is on order" --spent 10m --as ann@example.com
    """
    from hub import incident_notes, mentions
    from hub.agent_action import Mail

    number = incident_number(ref)
    spent = parsed(typed, param_hint="'--spent'") if typed is not None else None
    said = acting(actor, lambda db, settings, who: incident_notes.add_note(db, number, text, who, Mail.of(settings),
                                                                           spent))  # fmt: skip
    click.echo(f"INC-{number}: note added{_with_time(spent)}{mentions.outcome(said)}")


@click.command("reply")
@click.argument("ref")
@click.argument("text")
@click.option("--file", "paths", multiple=True, metavar="PATH",
              type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
              help="A file to attach to the mail (repeat for more; at most 5, within the installation's "
                   "attachment limits). With files, TEXT may be \"\".")  # fmt: skip
@SPENT
@AS
def incident_reply(ref: str, text: str, paths: tuple[Path, ...], typed: str | None, actor: str) -> None:
    """Mail incident REF's requester, signed with the --as person's name and threaded under their conversation,
    through the outbox as the page's reply; an open incident becomes acknowledged (a first response).

    Example: switchboard incident reply INC-7 "The toner is on order" --file quote.pdf --as ann@example.com
    """
    from hub import agent_files, incident_notes
    from hub.agent_action import Mail
    from hub.attachments import AttachmentLimits, AttachmentStore

    number = incident_number(ref)
    spent = parsed(typed, param_hint="'--spent'") if typed is not None else None

    def work(db: Database, settings: Settings, who: Actor) -> str:
        limits = AttachmentLimits.of(settings)
        kept = agent_files.keep(AttachmentStore.under(settings.home, limits), _read(paths, limits))
        return incident_notes.reply(db, number, text, who, Mail.of(settings), spent, kept)

    to = acting(actor, work)
    files = f" with {len(paths)} file{'s' if len(paths) != 1 else ''}" if paths else ""
    click.echo(f"INC-{number}: reply queued to {to}{files}{_with_time(spent)}")


def _with_time(spent: Spent | None) -> str:
    """What a note's or a reply's message adds for the time logged with it, as its timeline entry says it."""
    from hub.time_spent import describe

    return f" ({describe(spent.minutes)} spent)" if spent is not None else ""


def _read(paths: Sequence[Path], limits: AttachmentLimits) -> tuple[Upload, ...]:
    """The files named, each read up to one byte past its limit and named safely, as the page reads its uploads;
    TooManyFiles or FilesTooLarge (hub/agent_files.py) when over the limits."""
    from hub.agent_files import Upload, check, check_count, content_type_of
    from hub.names import safe_filename

    check_count(len(paths))
    uploads = []
    for number, path in enumerate(paths, 1):
        with path.open("rb") as file:
            data = file.read(limits.per_file + 1)
        uploads.append(Upload(safe_filename(path.name, content_type_of(path.name), number), data))
    check(uploads, limits)
    return tuple(uploads)
