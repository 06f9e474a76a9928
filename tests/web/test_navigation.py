"""The top navigation: each link opens a page headed with the link's words, so what a person clicked is what the page
says it is."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from flask import Flask, url_for
from flask.testing import FlaskClient

from tests.web.helpers import Login, log_in
from web.navigation import ADMIN, WORK


def heading(html: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert found is not None, "the page has no <h1>"
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


def test_every_navigation_link_opens_a_page_headed_with_its_words(
    app: Flask, client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="root@example.com", role="admin"))
    with app.test_request_context():
        pages = [(link, url_for(link.endpoint)) for link in (*WORK, *ADMIN)]
    for link, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        words = link.spelled or link.label
        assert heading(response.get_data(as_text=True)).startswith(words), (path, words)


def test_an_abbreviated_link_spells_itself_out(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(email="root@example.com", role="admin"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<abbr title="Configuration items">CIs</abbr></a>' in page
