"""The help centre's "Was this helpful?": one answer per browser and article, counts and comments for the desk
only, a per-client limit, and the API's counts."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, article_feedback, knowledge
from hub.config import Settings
from hub.db import Database
from hub.models import Article, ArticleFeedback
from hub.verifying_keys import VerifyingKeys
from tests.conftest import make_settings
from tests.web.helpers import csrf_token
from web import create_app, ratelimit
from web.help_centre import ANSWERED_COOKIE, ANSWERED_KEPT, answered_articles, with_answered

HOSTILE = '<script>alert("missing")</script>'


@pytest.fixture
def printer(db: Database) -> int:
    with db.transaction() as session:
        return knowledge.add(session, title="When the printer jams", body="Open tray 2.", published=True,
                             by="ann@example.com").id  # fmt: skip


def answer(
    client: FlaskClient, article: int, said: str, missing: str = "", token: str | None = None
) -> tuple[int, str]:
    """Open the article and press Yes or No as a browser would; (status, page after any redirect)."""
    page = client.get(f"/help/{article}").get_data(as_text=True)
    data = {"csrf_token": token or csrf_token(page), "helpful": said, "missing": missing}
    done = client.post(f"/help/{article}/helpful", data=data, follow_redirects=True)
    return done.status_code, done.get_data(as_text=True)


def counts(db: Database, article: int) -> tuple[int, int]:
    with db.read() as session:
        found = session.get(Article, article)
        assert found is not None
        return found.helpful, found.not_helpful


def test_a_reader_answers_yes_and_is_thanked_instead_of_asked_again(
    client: FlaskClient, db: Database, printer: int
) -> None:
    page = client.get(f"/help/{printer}")
    assert "Was this helpful?" in page.get_data(as_text=True)
    assert "public" not in page.headers["Cache-Control"]  # the form's CSRF token is one browser's
    code, html = answer(client, printer, "yes")
    assert code == 200 and "Thank you for your answer" in html and "Was this helpful?" not in html
    assert counts(db, printer) == (1, 0)


def test_a_second_answer_from_the_same_browser_counts_nothing(client: FlaskClient, db: Database, printer: int) -> None:
    page = client.get(f"/help/{printer}").get_data(as_text=True)
    token = csrf_token(page)
    answer(client, printer, "yes", token=token)
    code, html = answer(client, printer, "no", "more", token=token)  # the old page's form, sent again
    assert code == 200 and "Thank you for your answer" in html
    assert counts(db, printer) == (1, 0)


def test_another_browser_counts_again(
    app_client_pair: tuple[FlaskClient, FlaskClient], db: Database, printer: int
) -> None:
    first, second = app_client_pair
    answer(first, printer, "yes")
    answer(second, printer, "no")
    assert counts(db, printer) == (1, 1)


def test_no_keeps_what_was_missing_and_the_desk_sees_it_escaped(
    logged_in: FlaskClient, db: Database, printer: int, app_client_pair: tuple[FlaskClient, FlaskClient]
) -> None:
    public = app_client_pair[1]
    answer(public, printer, "no", f"  Which tray is tray 2? {HOSTILE}  ")
    with db.read() as session:
        [kept] = session.scalars(select(ArticleFeedback.comment))
    assert kept == f"Which tray is tray 2? {HOSTILE}"
    staff = logged_in.get(f"/articles/{printer}").get_data(as_text=True)
    assert "0 yes · 1 no" in staff and "Which tray is tray 2?" in staff
    assert HOSTILE not in staff and "&lt;script&gt;" in staff
    assert "0 yes · 1 no" in logged_in.get("/articles").get_data(as_text=True)


def test_a_comment_with_yes_is_not_kept(client: FlaskClient, db: Database, printer: int) -> None:
    answer(client, printer, "yes", "nothing, thanks")
    with db.read() as session:
        assert session.scalars(select(ArticleFeedback)).first() is None


def test_the_public_never_sees_the_counts_or_comments(client: FlaskClient, db: Database, printer: int) -> None:
    with db.transaction() as session:
        article_feedback.record(session, printer, False, "Secret-ish remark")
    for path in ("/help", f"/help/{printer}"):
        html = client.get(path).get_data(as_text=True)
        assert "1 no" not in html and "Secret-ish remark" not in html


def test_too_long_a_comment_is_refused_with_the_text_kept_and_nothing_counted(
    client: FlaskClient, db: Database, printer: int
) -> None:
    typed = "x" * (article_feedback.MAX_COMMENT + 1)
    code, html = answer(client, printer, "no", typed)
    assert code == 400 and "Nothing was counted" in html and typed in html
    assert counts(db, printer) == (0, 0)


def test_an_answer_that_is_neither_yes_nor_no_is_refused(client: FlaskClient, db: Database, printer: int) -> None:
    code, html = answer(client, printer, "maybe")
    assert code == 400 and "press Yes or No" in html and counts(db, printer) == (0, 0)


def test_an_answer_without_the_pages_csrf_token_counts_nothing(client: FlaskClient, db: Database, printer: int) -> None:
    refused = client.post(f"/help/{printer}/helpful", data={"helpful": "yes"})
    assert refused.status_code == 400 and "out of date" in refused.get_data(as_text=True)
    assert counts(db, printer) == (0, 0) and ANSWERED_COOKIE not in refused.headers.get("Set-Cookie", "")


def test_a_draft_or_a_removed_article_takes_no_answers(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        draft = knowledge.add(session, title="Runbook", body="Internal.", by="a@x").id
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for number in (draft, 999):
        assert client.post(f"/help/{number}/helpful", data={"csrf_token": token, "helpful": "yes"}).status_code == 404
    assert counts(db, draft) == (0, 0)


def test_answers_past_the_per_client_limit_get_429_with_retry_after(
    settings: Settings, db: Database, redis_url: str, printer: int, steady_limit_clock: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr("web.help_centre.HELPFUL_PER_CLIENT", ratelimit.PerClient("helpful", 2, 3600))
    app = create_app(make_settings(settings.home, redis_url=redis_url), db=db)
    browsers = [app.test_client() for _ in range(3)]  # cookies cleared between answers, from one address
    codes = [answer(browser, printer, "yes")[0] for browser in browsers[:2]]
    page = browsers[2].get(f"/help/{printer}").get_data(as_text=True)
    refused = browsers[2].post(f"/help/{printer}/helpful", data={"csrf_token": csrf_token(page), "helpful": "yes"})
    assert codes == [200, 200] and refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert counts(db, printer) == (2, 0)


def test_the_cookie_is_httponly_on_the_help_centre_and_secure_behind_https(
    settings: Settings, db: Database, printer: int
) -> None:
    client = create_app(make_settings(settings.home, public_url="https://desk.example.org"), db=db).test_client()
    page = client.get(f"/help/{printer}").get_data(as_text=True)
    done = client.post(f"/help/{printer}/helpful", data={"csrf_token": csrf_token(page), "helpful": "yes"})
    cookie = next(c for c in done.headers.getlist("Set-Cookie") if c.startswith(ANSWERED_COOKIE))
    assert all(flag in cookie for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/help"))


def test_the_cookie_is_ours_keeps_the_newest_answers_and_ignores_forgeries() -> None:
    keys = VerifyingKeys("key")
    value = with_answered("key", (), 3)
    assert answered_articles(keys, value) == (3,)
    assert answered_articles(VerifyingKeys("other key"), value) == ()
    assert answered_articles(keys, value[:-2]) == ()
    assert answered_articles(keys, None) == ()
    many = tuple(range(1, ANSWERED_KEPT + 1))
    assert answered_articles(keys, with_answered("key", many, 500)) == (*many[1:], 500)
    assert answered_articles(keys, with_answered("key", (1, 2), 1)) == (2, 1)


def test_a_cookie_from_before_a_new_secret_key_counts_while_the_former_key_is_listed() -> None:
    value = with_answered("former key", (), 3)
    assert answered_articles(VerifyingKeys("new key", ("former key",)), value) == (3,)
    assert answered_articles(VerifyingKeys("new key"), value) == ()


def test_the_api_gives_the_counts_to_the_desks_tokens(client: FlaskClient, db: Database, printer: int) -> None:
    with db.transaction() as session:
        token = accounts.create_token(session, name="portal", role="viewer")
        article_feedback.record(session, printer, True)
        article_feedback.record(session, printer, True)
        article_feedback.record(session, printer, False)
    headers = {"Authorization": f"Bearer {token}"}
    [listed] = client.get("/api/v1/articles", headers=headers).json  # type: ignore[misc]
    one = client.get(f"/api/v1/articles/{printer}", headers=headers).json
    assert (listed["helpful"], listed["not_helpful"]) == (2, 1) == (one["helpful"], one["not_helpful"])  # type: ignore[index]
