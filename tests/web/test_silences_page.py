"""The silences page: agents add and end maintenance windows through a CSRF-protected form."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.web.helpers import Login, csrf_token, log_in


def add(client: FlaskClient, matchers: str, duration: str = "2h", comment: str = "DB upgrade") -> str:
    token = csrf_token(client.get("/silences").get_data(as_text=True))
    response = client.post("/silences", data={"matchers": matchers, "duration": duration, "comment": comment,
                                              "csrf_token": token}, follow_redirects=True)  # fmt: skip
    return response.get_data(as_text=True)


def test_agent_adds_a_silence_and_sees_it_listed(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(role="agent"))
    page = add(client, "labels.team=db\nseverity!=info")
    assert "Silence 1 added." in page and "labels.team=db, severity!=info" in page and "DB upgrade" in page


def test_bad_matcher_is_explained_and_nothing_is_added(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(role="agent"))
    page = add(client, "team")
    assert "is not a matcher" in page and "No silences." in page


def test_ending_a_silence_needs_the_forms_token(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(role="agent"))
    add(client, "labels.team=db")
    assert client.post("/silences/1/expire").status_code == 400  # no CSRF token
    token = csrf_token(client.get("/silences").get_data(as_text=True))
    page = client.post("/silences/1/expire", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Silence 1 ended." in page and "No silences." in page


def test_viewers_may_not_manage_silences(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    assert client.get("/silences").status_code == 403


def test_comment_is_escaped(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(role="agent"))
    page = add(client, "labels.team=db", comment="<img src=x onerror=alert(1)>")
    assert "<img src=x" not in page and "&lt;img src=x" in page
