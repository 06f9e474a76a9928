"""On a fresh install each list page says what it is for and what to do next, not only that it is empty.

The empty state is a `<p class="empty">` (the stylesheet's muted note) holding a link to the page that makes one or
a command that does, checked here on an empty database as an admin sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from hub.command_index import SHORT_HELP
from tests.web.helpers import Login, log_in

#: The list pages a new installation starts with nothing on (the rules page: the one default rule).
LIST_PAGES = ("incidents", "problems", "changes", "oncall", "rules", "integrations", "silences", "replies", "groups",
              "mailboxes", "cis", "services", "reviews", "articles", "approvals", "reports/requests")  # fmt: skip


@dataclass
class EmptyState:
    """A `.empty` note's words, its links and the commands it quotes."""

    text: str = ""
    links: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


class EmptyStates(HTMLParser):
    """The page's `<p class="empty">` notes, as a reader meets them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[EmptyState] = []
        self._depth = 0  # open elements inside the current note; 0: outside one
        self._code: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth:
            self._depth += 1
            if tag == "a" and (href := dict(attrs).get("href")):
                self.found[-1].links.append(href)
            if tag == "code":
                self._code = ""
        elif tag == "p" and "empty" in (dict(attrs).get("class") or "").split():
            self.found.append(EmptyState())
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            if tag == "code" and self._code is not None:
                self.found[-1].commands.append(" ".join(self._code.split()))
                self._code = None

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.found[-1].text += data
            if self._code is not None:
                self._code += data


def empty_states(html: str) -> list[EmptyState]:
    parser = EmptyStates()
    parser.feed(html)
    return parser.found


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    assert log_in(client, make_user(email="root@example.com", role="admin")).status_code == 302
    return client


def test_empty_states_are_found_with_their_links_and_commands() -> None:
    """The reader the test below relies on: a note's link and command are found, a note without either is bare."""
    found = empty_states('<p class="empty">None. <a href="/x">Add</a> or <code>switchboard  x add</code>.</p>'
                         '<p class="muted">Not a note <a href="/y">y</a></p><p class="empty">Nothing.</p>')  # fmt: skip
    assert [(state.links, state.commands) for state in found] == [(["/x"], ["switchboard x add"]), ([], [])]


@pytest.mark.parametrize("path", LIST_PAGES)
def test_a_list_page_on_a_fresh_install_says_what_to_do_next(path: str, admin: FlaskClient) -> None:
    response = admin.get(f"/{path}")
    assert response.status_code == 200
    states = empty_states(response.get_data(as_text=True))
    assert states, f"/{path} shows no empty-state note"
    helpful = [state for state in states if state.links or any(c.startswith("switchboard ") for c in state.commands)]
    assert helpful, f"/{path}'s empty state names no page to go to nor command to run: {[s.text for s in states]}"
    for state in helpful:
        for command in state.commands:
            if command.startswith("switchboard "):
                assert command.split()[1] in SHORT_HELP, f"/{path} quotes {command!r}, which is no command"
        for link in state.links:
            if link.startswith("/"):
                assert admin.get(link).status_code == 200, f"/{path} links to {link}, which does not open"
