"""Knowledge articles: what matches what people write, and what a requester's acknowledgement suggests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import accounts, knowledge
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.knowledge import Indexed
from hub.models import AuditEntry, OutboxMessage, TimelineEntry
from tests.docs import fenced, run_as_printed

PRINTER = Indexed.of(1, "When the printer jams", "paper, toner", "Open tray 2 and pull the sheet out gently.")
VPN = Indexed.of(2, "Connect to the VPN from home", "anyconnect, remote", "Start AnyConnect and sign in.")
PASSWORD = Indexed.of(3, "Forgotten password", "reset, locked", "Use the self-service page to reset it.")
INDEX = (PRINTER, VPN, PASSWORD)


def titles(found: list[Indexed]) -> list[str]:
    return [a.title for a in found]


# -- matching (pure) ------------------------------------------------------------------------------------------------


def test_terms_drop_common_words_and_short_ones_and_a_plural_s() -> None:
    assert knowledge.terms("Hello, the printers on floor 3 are jammed again!") == {"printer", "floor", "jammed"}
    assert knowledge.terms("access to the class") == {"access", "class"}  # a double s is no plural


def test_a_mail_about_a_jammed_printer_is_offered_the_printer_article() -> None:
    assert titles(knowledge.suggest(INDEX, "Printer on floor 3 keeps eating paper")) == ["When the printer jams"]


def test_a_keyword_counts_more_than_a_word_of_the_title_or_the_text() -> None:
    keyword = Indexed.of(4, "Remote desktop", "vpn", "")
    in_title = Indexed.of(5, "VPN troubleshooting", "", "")
    assert titles(knowledge.suggest((in_title, keyword), "vpn down")) == ["Remote desktop", "VPN troubleshooting"]


def test_one_word_of_a_long_text_is_not_enough_and_nothing_unrelated_is_offered() -> None:
    assert knowledge.suggest(INDEX, "The canteen service is closed") == []  # one word of a body: "service"
    assert knowledge.suggest(INDEX, "Please help, thanks") == []


def test_at_most_three_are_offered_best_first_and_the_newest_among_equals() -> None:
    many = tuple(Indexed.of(n, f"Printer guide {n}", "", "") for n in range(1, 6))
    assert [a.id for a in knowledge.suggest(many, "printer")] == [5, 4, 3]


def test_keywords_are_cleaned_as_typed() -> None:
    assert knowledge.keyword_list(" VPN , remote  access,, vpn ") == ("vpn", "remote access")


# -- keeping them ---------------------------------------------------------------------------------------------------


def write(db: Database, title: str, body: str = "Some text.", keywords: str = "", published: bool = True) -> int:
    with db.transaction() as session:
        return knowledge.add(session, title=title, body=body, keywords=keywords, published=published,
                             by="ann@example.com").id  # fmt: skip


@pytest.mark.parametrize(("title", "body"), [("", "text"), ("x" * 201, "text"), ("Title", "  ")])
def test_an_article_needs_a_title_and_a_text(db: Database, title: str, body: str) -> None:
    with pytest.raises(BadInput), db.transaction() as session:
        knowledge.add(session, title=title, body=body, by="ann@example.com")


def test_the_cache_reads_articles_again_only_when_one_changes(db: Database) -> None:
    cache = knowledge.KnowledgeCache()
    write(db, "When the printer jams")
    with db.read() as session:
        first = cache.current(session.connection())
        assert cache.current(session.connection()) is first
    draft = write(db, "VPN from home", published=False)
    with db.read() as session:
        assert titles(list(cache.current(session.connection()))) == ["When the printer jams"]  # drafts are not in it
    with db.transaction() as session:
        knowledge.change(session, draft, title="VPN from home", body="Start AnyConnect.", keywords="", published=True,
                         by="bob@example.com")  # fmt: skip
    with db.read() as session:
        assert sorted(titles(list(cache.current(session.connection())))) == ["VPN from home", "When the printer jams"]


def test_searching_matches_every_word_and_takes_wildcards_literally(db: Database) -> None:
    write(db, "When the printer jams", body="Open tray 2.")
    write(db, "100% disk on the file server")
    with db.read() as session:
        assert [a.title for a in knowledge.listing(session, "printer tray")] == ["When the printer jams"]
        assert [a.title for a in knowledge.listing(session, "100%")] == ["100% disk on the file server"]
        assert knowledge.listing(session, "_") == []


# -- what a requester is told ---------------------------------------------------------------------------------------


def acknowledgement_facts(db: Database, intake: Intake, subject: str, body: str = "") -> dict:
    raw = Raw(source="email", content_type="message/rfc822", body=subject.encode())
    intake.record(raw, InboundEvent(source="email", title=subject, description=body, requester="ann@example.org",
                                    message_id=f"<{hash(subject)}@x>"))  # fmt: skip
    with db.read() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")
                              .order_by(OutboxMessage.id.desc())).first()  # fmt: skip
    assert row is not None and row.facts is not None
    return row.facts


def test_the_acknowledgement_suggests_published_articles_that_match_the_mail(
    db: Database, intake: Intake, settings: Settings
) -> None:
    printer = write(db, "When the printer jams", keywords="paper")
    write(db, "Printer draft", published=False)
    facts = acknowledgement_facts(db, intake, "Printer broken", "It keeps eating paper on floor 3")
    assert facts["suggested"] == [{"title": "When the printer jams", "url": f"{settings.base_url}/help/{printer}"}]


def test_an_article_published_after_the_first_mail_is_suggested_to_the_next(db: Database, intake: Intake) -> None:
    assert acknowledgement_facts(db, intake, "VPN will not connect")["suggested"] == []
    write(db, "Connect to the VPN from home")
    assert [a["title"] for a in acknowledgement_facts(db, intake, "VPN still down")["suggested"]] == [
        "Connect to the VPN from home"
    ]


# -- from the shell ----------------------------------------------------------------------------------------------------


def agents(db: Database, *emails: str) -> None:
    with db.transaction() as session:
        for email in emails:
            accounts.create_user(session, email=email, password="a long passphrase", role="agent")


def test_the_documented_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    agents(db, "ann@example.com")
    out = run_as_printed(fenced("docs/knowledge.md", "Writing articles", "sh")[0], settings, tmp_path)
    assert out.splitlines() == [
        "added article #1 'When the printer jams', published at /help/1",
        "#1     published +0/-0     When the printer jams  [paper, toner, jam]",
    ]
    with db.read() as session:
        body = knowledge.get(session, 1).body
    assert body.startswith("Open tray 2,") and body.endswith("switch the printer off and on again.")


def test_withdraw_publish_and_remove_from_the_shell(runner: CliRunner, db: Database, tmp_path: Path) -> None:
    agents(db, "ann@example.com")
    ann = ["--as", "ann@example.com"]
    text = tmp_path / "vpn.txt"
    text.write_text("Start AnyConnect and sign in.")
    assert runner.invoke(main, ["article", "add", "--title", "VPN", "--file", str(text), *ann]).output == (
        "added article #1 'VPN', a draft\n"
    )
    assert runner.invoke(main, ["article", "publish", "1", *ann]).output == "published #1 'VPN' at /help/1\n"
    assert runner.invoke(main, ["article", "withdraw", "1", *ann]).output == "withdrew #1 'VPN': a draft now\n"
    assert runner.invoke(main, ["article", "remove", "1", *ann]).output == "removed #1 'VPN'\n"
    missing = runner.invoke(main, ["article", "publish", "1", *ann])
    assert missing.exit_code == 1 and "there is no article #1; `switchboard article list` shows them" in missing.output


def test_the_shell_audits_its_article_writes_as_the_page_does(runner: CliRunner, db: Database, tmp_path: Path) -> None:
    agents(db, "ann@example.com")
    ann = ["--as", "ann@example.com"]
    text = tmp_path / "vpn.txt"
    text.write_text("Start AnyConnect and sign in.")
    runner.invoke(main, ["article", "add", "--title", "VPN", "--file", str(text), *ann])
    runner.invoke(main, ["article", "publish", "1", *ann])
    runner.invoke(main, ["article", "remove", "1", *ann])
    with db.read() as session:
        entries = [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert entries == [("ann@example.com", f"article.{action}", "VPN") for action in ("add", "change", "remove")]


def test_the_timeline_says_which_articles_the_requester_was_pointed_to(db: Database, intake: Intake) -> None:
    write(db, "When the printer jams", keywords="paper")
    acknowledgement_facts(db, intake, "Printer eats paper")
    with db.read() as session:
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "notification")).all()
    assert "acknowledgement to ann@example.org queued, suggesting When the printer jams" in summaries
