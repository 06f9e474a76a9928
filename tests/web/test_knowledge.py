"""The desk's knowledge pages (`/articles`) and the public help centre (`/help`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, knowledge
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent, format_ref
from hub.intake import Intake, Raw
from hub.models import Article, AuditEntry
from ingest.pipeline import make_intake
from tests.conftest import make_settings, migrated_database
from tests.web.helpers import Login, csrf_token, log_in
from web import create_app
from web.services import services

HOSTILE = '<script>alert("kb")</script>'


def write(client: FlaskClient, path: str = "/articles/new", **fields: str) -> tuple[int, str]:
    """Fill in and send the article form at `path` as a browser would; (status, page after any redirect)."""
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "title": "When the printer jams", "keywords": "paper, toner",
            "body": "Open tray 2 and pull the sheet out gently.", **fields}  # fmt: skip
    if data.get("published") == "":
        del data["published"]
    answer = client.post(path, data=data, follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def article_id(db: Database) -> int:
    with db.read() as session:
        found = session.scalar(select(Article.id).order_by(Article.id.desc()))
    assert found is not None
    return found


def test_an_agent_writes_a_draft_that_the_public_does_not_see(
    logged_in: FlaskClient, client: FlaskClient, db: Database, app_client_pair: tuple[FlaskClient, FlaskClient]
) -> None:
    code, html = write(logged_in, published="")
    assert code == 200 and "Saved as a draft" in html
    assert logged_in.get("/articles").get_data(as_text=True).count("Draft") >= 1
    public = app_client_pair[1]
    assert public.get("/help").status_code == 404  # nothing published: no help centre
    assert public.get(f"/help/{article_id(db)}").status_code == 404


def test_a_published_article_is_in_the_help_centre_for_anyone_as_text(
    logged_in: FlaskClient, db: Database, app_client_pair: tuple[FlaskClient, FlaskClient]
) -> None:
    code, html = write(logged_in, body=f"Pull the sheet out. {HOSTILE}", published="y")
    assert code == 200 and "Saved and published" in html
    public = app_client_pair[1]
    listing = public.get("/help")
    assert listing.status_code == 200 and "When the printer jams" in listing.get_data(as_text=True)
    assert listing.headers["Cache-Control"] == "public, max-age=60"
    page = public.get(f"/help/{article_id(db)}").get_data(as_text=True)
    assert "Pull the sheet out." in page and HOSTILE not in page and "&lt;script&gt;" in page


def test_the_help_centre_searches_published_articles_only(
    db: Database, app_client_pair: tuple[FlaskClient, FlaskClient]
) -> None:
    with db.transaction() as session:
        knowledge.add(session, title="Connect to the VPN", body="Start AnyConnect.", published=True, by="a@x")
        knowledge.add(session, title="VPN gateway runbook", body="Internal only.", published=False, by="a@x")
    public = app_client_pair[1]
    found = public.get("/help?q=vpn").get_data(as_text=True)
    assert "Connect to the VPN" in found and "runbook" not in found
    nothing = public.get("/help?q=printer")
    assert nothing.status_code == 200 and "Nothing matches" in nothing.get_data(as_text=True)


def test_withdrawing_an_article_takes_it_out_of_the_help_centre(
    logged_in: FlaskClient, db: Database, app_client_pair: tuple[FlaskClient, FlaskClient]
) -> None:
    write(logged_in, published="y")
    number = article_id(db)
    code, html = write(logged_in, f"/articles/{number}", published="")
    assert code == 200 and "Saved as a draft" in html
    gone = app_client_pair[1].get(f"/help/{number}")
    assert gone.status_code == 404 and "not here" in gone.get_data(as_text=True)


def test_a_viewer_reads_articles_but_cannot_change_or_remove_them(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    with db.transaction() as session:
        number = knowledge.add(session, title="Printer jams", body="Open tray 2.", by="ann@example.com").id
    log_in(client, make_user("vic@example.com", role="viewer"))
    page = client.get(f"/articles/{number}").get_data(as_text=True)
    assert "Open tray 2." in page and 'name="title"' not in page
    token = csrf_token(client.get("/incidents").get_data(as_text=True))
    assert client.post(f"/articles/{number}", data={"csrf_token": token, "title": "Mine now",
                                                    "body": "x"}).status_code == 403  # fmt: skip
    assert client.post(f"/articles/{number}/remove", data={"csrf_token": token}).status_code == 403
    with db.read() as session:
        assert session.get_one(Article, number).title == "Printer jams"


def test_an_article_without_a_title_is_refused_with_the_form_again(logged_in: FlaskClient, db: Database) -> None:
    code, html = write(logged_in, title="")
    assert code == 400 and 'name="title"' in html
    with db.read() as session:
        assert session.scalar(select(Article.id)) is None


def test_changes_and_removals_are_audited(logged_in: FlaskClient, db: Database) -> None:
    write(logged_in, published="y")
    number = article_id(db)
    page = logged_in.get(f"/articles/{number}").get_data(as_text=True)
    removed = logged_in.post(f"/articles/{number}/remove", data={"csrf_token": csrf_token(page)},
                             follow_redirects=True)  # fmt: skip
    assert "Article &#39;When the printer jams&#39; removed." in removed.get_data(as_text=True)
    with db.read() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["article.add", "article.remove"]


def test_the_incident_page_offers_matching_articles_and_puts_a_link_in_the_reply(
    logged_in: FlaskClient, db: Database, intake: Intake, settings: Settings
) -> None:
    with db.transaction() as session:
        number = knowledge.add(session, title="When the printer jams", keywords="paper", body="Open tray 2.",
                               published=True, by="ann@example.com").id  # fmt: skip
    mail = InboundEvent(source="email", title="Printer on floor 3 eats paper", requester="bob@example.org")
    incident_id = intake.record(Raw(source="email", content_type="message/rfc822", body=b"x"), mail).incident_id
    ref = format_ref(incident_id or 0)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "Articles that may help" in page and f'href="/help/{number}">When the printer jams</a>' in page
    chosen = logged_in.get(f"/incidents/{ref}?article={number}").get_data(as_text=True)
    assert f"This article may help: When the printer jams\n{settings.base_url}/help/{number}" in chosen


def test_each_desk_offers_its_own_articles_when_one_process_serves_two(
    logged_in: FlaskClient, db: Database, intake: Intake, settings: Settings, migrated_sqlite: Path, tmp_path: Path
) -> None:
    """The index of articles is kept per app: each database counts its own article revisions from zero, so a
    process-wide index (as before) answered the second desk with the first desk's articles."""
    other_settings = make_settings(tmp_path / "other")
    other_db = migrated_database(other_settings.database_url, migrated_sqlite)
    other_app = create_app(other_settings, db=other_db)
    other_app.config["TESTING"] = True
    try:
        for desk_db, title in ((other_db, "When the plotter jams"), (db, "When the printer jams")):
            with desk_db.transaction() as session:
                knowledge.add(session, title=title, keywords="paper", body="Open tray 2.", published=True,
                              by="ann@example.com")  # fmt: skip
        other_intake = make_intake(other_settings, other_db)
        mail = InboundEvent(source="email", title="Printer eats paper", requester="bob@example.org")
        raw = Raw(source="email", content_type="message/rfc822", body=b"x")
        other_ref = format_ref(other_intake.record(raw, mail).incident_id or 0)
        other_client = other_app.test_client()
        with other_db.transaction() as session:
            accounts.create_user(session, email="cy@example.com", password="a long passphrase", role="agent")
        log_in(other_client, Login("cy@example.com", "a long passphrase"))
        assert "When the plotter jams</a>" in other_client.get(f"/incidents/{other_ref}").get_data(as_text=True)
        ref = format_ref(intake.record(raw, mail).incident_id or 0)
        page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
        assert "When the printer jams</a>" in page and "plotter" not in page
    finally:
        with other_app.app_context():
            services().close()
        other_db.dispose()
