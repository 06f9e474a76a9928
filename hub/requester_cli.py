"""`switchboard requester ...`: what is held on a requester's address, exported and erased (docs/privacy.md).

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.cli import in_transaction, load_settings, open_database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def requester() -> None:
    """A requester's personal data: export all of it as JSON, or erase it (GDPR articles 15 and 17).

    See docs/privacy.md for what is held, what erasure changes and what it keeps.
    """


@requester.command("export")
@click.option("--email", required=True, help="The requester's address (any case).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def requester_export(email: str, output: Path | None) -> None:
    """Export everything held on an address as one JSON document (the export is audited).

    \b
    Example:
      switchboard requester export --email ann@example.com --output ann.json
    """
    from hub import audit, requester_data
    from hub.addresses import pseudonym

    key = load_settings().secret_key

    def export(session: Session) -> dict[str, Any]:
        document = requester_data.export(session, email)
        audit.record(session, audit.CLI, "requester.export", pseudonym(document["email"], key))
        return document

    text = requester_data.as_json(in_transaction(export))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"written to {output}", err=True)


@requester.command("erase")
@click.option("--email", required=True, help="The requester's address (any case).")
@click.option("--yes", is_flag=True, help="Erase. Without it, only say what would change.")
def requester_erase(email: str, yes: bool) -> None:
    """Erase an address: their mail, files and words go, the address becomes a pseudonym everywhere.

    Without --yes, print what would change and change nothing.

    \b
    Example:
      switchboard requester erase --email ann@example.com          # what would change
      switchboard requester erase --email ann@example.com --yes    # erase
    """
    from hub import requester_erasure
    from hub.attachments import AttachmentStore
    from hub.errors import BadInput

    settings = load_settings()
    if not yes:
        held = in_transaction(lambda session: requester_erasure.preview(session, email, settings.desk_addresses))
        _counts(held.counts())
        click.echo(f"Nothing changed. To erase: switchboard requester erase --email {held.address} --yes", err=True)
        return
    db = open_database(settings)
    try:
        files = AttachmentStore.under(settings.home)
        done = requester_erasure.erase(db, email, key=settings.secret_key, actor="cli", files=files,
                                       desk=settings.desk_addresses)  # fmt: skip
    except BadInput as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()
    _counts(done.counts)
    click.echo(f"erased: the address is now {done.pseudonym}", err=True)


def _counts(counts: dict[str, int]) -> None:
    for kind, n in counts.items():
        click.echo(f"{kind}\t{n}")
