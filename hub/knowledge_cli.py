"""`switchboard article`: knowledge articles from the shell, e.g. to import the answers a desk already has as files.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

import click

from hub.cli import in_transaction
from hub.domain import CLI as CLI_ACTOR

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
def article_add(title: str, text: TextIO, keywords: str, publish: bool) -> None:
    """Add an article, e.g.: switchboard article add --title "When the printer jams" --file jam.txt --publish"""
    from hub import knowledge

    body = text.read()

    def add(session: Session) -> tuple[int, str]:
        row = knowledge.add(session, title=title, body=body, keywords=keywords, published=publish, by=CLI_ACTOR)
        return row.id, row.title

    number, kept = in_transaction(add)
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


def _set_published(article_id: int, published: bool) -> str:
    from hub import knowledge

    def work(session: Session) -> str:
        row = knowledge.get(session, article_id)
        knowledge.change(session, article_id, title=row.title, body=row.body, keywords=row.keywords,
                         published=published, by=CLI_ACTOR)  # fmt: skip
        return row.title

    return str(in_transaction(work))


@article.command("publish")
@click.argument("article_id", type=int)
def article_publish(article_id: int) -> None:
    """Put an article in the help centre, and let acknowledgements suggest it."""
    from hub import knowledge

    click.echo(f"published #{article_id} {_set_published(article_id, True)!r} at {knowledge.public_path(article_id)}")


@article.command("withdraw")
@click.argument("article_id", type=int)
def article_withdraw(article_id: int) -> None:
    """Take an article out of the help centre; the desk keeps it as a draft."""
    click.echo(f"withdrew #{article_id} {_set_published(article_id, False)!r}: a draft now")


@article.command("remove")
@click.argument("article_id", type=int)
def article_remove(article_id: int) -> None:
    """Delete an article."""
    from hub import knowledge

    click.echo(f"removed #{article_id} {in_transaction(lambda session: knowledge.remove(session, article_id))!r}")
