"""`switchboard article`: knowledge articles from the shell, e.g. to import the answers a desk already has as files.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

import click

from hub.acting_cli import AS, acting_in
from hub.cli import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group()
def article() -> None:
    """Knowledge articles: the public help centre (/help), and what acknowledgements suggest."""


@article.command("add")
@click.option("--title", required=True, help="What it answers, as people would ask it: 'When the printer jams'.")
@click.option("--file", "text", type=click.File("r", encoding="utf-8"), required=True,
              help="The text, plain, from a file ('-' reads standard input).")  # fmt: skip
@click.option("--keywords", default="", help="Comma-separated words people use for it: 'paper, toner, jam'.")
@click.option("--publish", is_flag=True, help="Publish it now (else a draft only the desk sees).")
@AS
def article_add(title: str, text: TextIO, keywords: str, publish: bool, actor: str) -> None:
    """Add an article, e.g.: switchboard article add --title "When the printer jams" --file jam.txt --publish --as
    ann@example.com"""
    from hub import knowledge

    body = text.read()

    def add(session: Session, who: str) -> tuple[int, str]:
        row = knowledge.add(session, title=title, body=body, keywords=keywords, published=publish, by=who)
        return row.id, row.title

    number, kept = acting_in(actor, add)
    where = f"published at {knowledge.public_path(number)}" if publish else "a draft"
    click.echo(f"added article #{number} {kept!r}, {where}")


@article.command("list")
@click.option("--query", default="", help="Only articles holding every one of these words.")
def article_list(query: str) -> None:
    """Print the articles, newest change first: number, state, readers' Yes/No answers, title, keywords."""
    from hub import knowledge

    for row in in_transaction(lambda session: knowledge.listing(session, query)):
        state = "published" if row.published else "draft"
        answers, keywords = f"+{row.helpful}/-{row.not_helpful}", f"  [{row.keywords}]" if row.keywords else ""
        click.echo(f"#{row.id:<5} {state:<9} {answers:<9} {row.title}{keywords}")


def _set_published(article_id: int, published: bool, actor: str) -> str:
    from hub import knowledge

    def work(session: Session, who: str) -> str:
        row = knowledge.get(session, article_id)
        knowledge.change(session, article_id, title=row.title, body=row.body, keywords=row.keywords,
                         published=published, by=who)  # fmt: skip
        return row.title

    return str(acting_in(actor, work))


@article.command("publish")
@click.argument("article_id", type=int)
@AS
def article_publish(article_id: int, actor: str) -> None:
    """Put an article in the help centre, and let acknowledgements suggest it."""
    from hub import knowledge

    click.echo(
        f"published #{article_id} {_set_published(article_id, True, actor)!r} at {knowledge.public_path(article_id)}"
    )


@article.command("withdraw")
@click.argument("article_id", type=int)
@AS
def article_withdraw(article_id: int, actor: str) -> None:
    """Take an article out of the help centre; the desk keeps it as a draft."""
    click.echo(f"withdrew #{article_id} {_set_published(article_id, False, actor)!r}: a draft now")


@article.command("remove")
@click.argument("article_id", type=int)
@AS
def article_remove(article_id: int, actor: str) -> None:
    """Delete an article."""
    from hub import knowledge

    title = acting_in(actor, lambda session, who: knowledge.remove(session, article_id, by=who))
    click.echo(f"removed #{article_id} {title!r}")
