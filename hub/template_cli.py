"""`switchboard template ...`: see, check and preview the mail templates (hub/mail_templates.py)."""

from __future__ import annotations

import shutil
import sys

import click

from hub.cli import load_settings
from hub.mail_templates import NAMES, PACKAGED, PARTS, MailTemplates, TemplateProblem, check, sample_facts


def _templates() -> MailTemplates:
    return MailTemplates.at(load_settings().home)


@click.group("template")
def template() -> None:
    """Mail templates: packaged defaults, overridden by files under SWITCHBOARD_HOME/templates/mail/."""


@template.command("list")
def list_templates() -> None:
    """Each template file in use, and whether it is the packaged default or your override."""
    templates = _templates()
    click.echo(f"overrides go in {templates.override_dir}")
    for name in NAMES:
        for part in PARTS:
            path = templates.path(name, part)
            click.echo(f"{name}.{part:8} {'default' if path.parent == PACKAGED else 'OVERRIDE'}  {path}")


@template.command("copy")
@click.argument("name", type=click.Choice(NAMES))
def copy(name: str) -> None:
    """Copy template NAME's packaged default files into the override folder, to edit them there."""
    target = _templates().override_dir
    assert target is not None
    target.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        destination = target / f"{name}.{part}"
        if destination.exists():
            click.echo(f"kept {destination} (it exists already)")
            continue
        shutil.copyfile(PACKAGED / f"{name}.{part}", destination)
        click.echo(f"wrote {destination}")


@template.command("check")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
def check_command(files: tuple[str, ...]) -> None:
    """Check FILES (named <template>.subject|txt|html), or every override in use: syntax errors with their line,
    variables the template cannot use. Exits 1 if any is broken (broken overrides fall back to the default)."""
    if files:
        problems = []
        for file in files:
            name, _, part = file.rpartition("/")[2].partition(".")
            try:
                with open(file, encoding="utf-8") as handle:
                    check(handle.read(), name=name, part=part, origin=file)
            except TemplateProblem as exc:
                problems.append(str(exc))
    else:
        problems = _templates().problems()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("all mail templates are fine")


@template.command("preview")
@click.argument("name", type=click.Choice(NAMES))
@click.option("--html", "show_html", is_flag=True, help="Print the HTML body instead of the plain text.")
def preview(name: str, show_html: bool) -> None:
    """Render template NAME (overrides included) on a sample incident, INC-42."""
    settings = load_settings()
    templates = _templates()
    try:
        for part in PARTS:  # a broken override would quietly fall back to the default: say so instead
            path = templates.path(name, part)
            if path.parent != PACKAGED:
                check(path.read_text(encoding="utf-8"), name=name, part=part, origin=str(path))
        rendered = templates.render(name, sample_facts(name, settings.base_url, settings.desk_address))
    except TemplateProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Subject: {rendered.subject}\n")
    click.echo(rendered.html or "(no HTML part)" if show_html else rendered.text)
