"""`switchboard ci`: configuration items from the shell, above all imported from an asset register's CSV export.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

import click

from hub.acting_cli import AS, acting_in
from hub.cli import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.ci_import import Summary


@click.group()
def ci() -> None:
    """Configuration items: the servers, applications and devices incidents are about (see docs/cmdb.md)."""


@ci.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def ci_import(file: TextIO) -> None:
    """Create or update CIs from a CSV file, by name; importing it again changes nothing.

    Columns: name and kind (server, application, database, network, storage, workstation, other), then service,
    owner and description if you have them; any other column is an attribute (ip, location, serial...).

    Example: switchboard ci import assets.csv
    """
    from hub import ci_import as importer
    from hub.errors import BadInput

    def progress(summary: Summary) -> None:
        if summary.rows >= importer.BATCH:
            click.echo(f"... {summary.rows} rows", err=True)

    try:  # the header is read as the rows are, outside any one transaction's own handling of bad input
        summary = importer.run(file, in_transaction, progress)
    except BadInput as exc:
        raise click.ClickException(str(exc)) from None
    for refused in summary.refused:
        click.echo(f"line {refused.line}: refused: {refused.why}")
    click.echo(summary.text())


@ci.command("list")
@click.option("--query", default="", help="Only CIs with these words in their name, owner or description.")
@click.option("--kind", default="", help="Only this kind, e.g. server.")
@click.option("--service", default="", help="Only CIs supporting this service.")
@click.option("--all", "everything", is_flag=True, help="Retired ones too.")
def ci_list(query: str, kind: str, service: str, everything: bool) -> None:
    """Print CIs by name: name, kind, status, service, owner.

    Example: switchboard ci list --kind server --service mail
    """
    from hub import cis

    if kind and kind not in cis.KINDS:
        raise click.BadParameter(f"{kind!r} is no kind of CI; use one of {', '.join(cis.KINDS)}", param_hint="--kind")
    wanted = cis.CiFilter(query=query, kind=kind, service=service, status="" if everything else "active", limit=100_000)

    def rows(session: Session) -> list[str]:
        return [f"{row.name:<30} {row.kind:<12} {row.status:<8} {row.service or '-':<16} {row.owner or '-'}"
                for row in cis.listing(session, wanted)]  # fmt: skip

    lines = in_transaction(rows)
    for line in lines:
        click.echo(line.rstrip())
    if not lines:
        click.echo("No CIs match")


@ci.command("show")
@click.argument("name")
def ci_show(name: str) -> None:
    """Print one CI: its fields, attributes, dependencies and open incidents.

    Example: switchboard ci show db1.example.com
    """
    from hub import ci_records

    def lines(session: Session) -> list[str]:
        found = ci_records.record(session, name)
        row = found.ci
        shown = [f"name: {row.name}", f"kind: {row.kind}", f"status: {row.status}",
                 f"service: {row.service or '-'}", f"owner: {row.owner or '-'}"]  # fmt: skip
        shown += [f"{key}: {value}" for key, value in (row.attributes or {}).items()]
        shown.append(f"depends on: {', '.join(other.name for other in found.depends_on) or '-'}")
        shown.append(f"needed by: {', '.join(other.name for other in found.dependents) or '-'}")
        shown.append(f"open incidents: {', '.join(incident.ref for incident in found.open_incidents) or '-'}")
        if row.description:
            shown.append(f"description: {row.description}")
        return shown

    for line in in_transaction(lines):
        click.echo(line)


@ci.command("retire")
@click.argument("name")
@AS
def ci_retire(name: str, actor: str) -> None:
    """Retire a CI: new events naming it link to nothing; its incidents keep naming it.

    Example: switchboard ci retire old-db.example.com --as ann@example.com
    """
    from hub import audit, cis

    def retire(session: Session, who: str) -> str:
        row = cis.retire(session, name)
        audit.record(session, who, "ci.retire", row.name)
        return row.name

    click.echo(f"retired {acting_in(actor, retire)}")
