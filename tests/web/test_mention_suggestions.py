"""The note box's @mention suggestions on the incident page: who is offered, by which name, and to which writers
(web/static/mentions.js types with them; tests/web/test_browser.py drives it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from hub import incident_notes, mentions
from hub.db import Database
from hub.models import User
from tests.web.helpers import Login, log_in

HOSTILE = "x'><img src=x onerror=alert(1)>&quot;@example.com"


class _NoteBox(HTMLParser):
    """What the browser reads from the note box's data attribute (entities decoded), and the page's scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.people: str | None = None
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "textarea" and found.get("id") == "note-text":
            self.people = found.get("data-mention-people")
        if tag == "script":
            self.scripts.append(found.get("src") or "")


def _note_box(client: FlaskClient, ref: str) -> _NoteBox:
    parser = _NoteBox()
    parser.feed(client.get(f"/incidents/{ref}").get_data(as_text=True))
    return parser


def test_an_agent_gets_the_colleagues_to_mention_with_the_name_that_reaches_each(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login]
) -> None:
    for email, role in (("bob@example.com", "agent"), ("ann@a.example", "admin"), ("ann@b.example", "viewer")):
        make_user(email=email, role=role)
    box = _note_box(logged_in, raise_incident())
    assert box.people is not None
    assert json.loads(box.people) == [
        {"address": "ann@a.example", "handle": "ann@a.example"},  # two anns: only the whole address is one
        {"address": "ann@b.example", "handle": "ann@b.example"},
        {"address": "bob@example.com", "handle": "bob"},
    ]  # not the writer (agent@example.com): a note never mails its own writer
    assert box.scripts == ["/static/mentions.js"]


def test_a_viewer_gets_no_people_list_and_no_script(
    client: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    ref = raise_incident()
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    page = client.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "data-mention-people" not in page and "bob@example.com" not in page
    assert "mentions.js" not in page


def test_an_address_no_mention_could_reach_is_not_offered_and_its_markup_stays_text(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="bob@example.com")
    with db.transaction() as session:  # as an older version or a directory sync may have stored it
        session.add(User(email=HOSTILE, password_hash="-", role="agent"))
    ref = raise_incident()
    assert HOSTILE not in logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    box = _note_box(logged_in, ref)
    assert box.people is not None
    assert json.loads(box.people) == [{"address": "bob@example.com", "handle": "bob"}]


def test_markup_in_the_people_list_reaches_the_browser_as_data_not_markup(
    logged_in: FlaskClient, raise_incident: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should the mention rules ever let such characters through, the attribute still holds them as text."""
    hostile = mentions.Suggestion(HOSTILE, HOSTILE)
    monkeypatch.setattr(incident_notes, "first_mentionable", lambda conn: ([hostile], False))
    ref = raise_incident()
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "<img" not in page
    box = _note_box(logged_in, ref)
    assert box.people is not None
    assert json.loads(box.people) == [{"address": HOSTILE, "handle": HOSTILE}]
