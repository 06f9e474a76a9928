"""Small helpers for driving the web app the way a browser or a monitoring tool would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import event, func, insert, select
from werkzeug.test import TestResponse

from hub import accounts
from hub.db import Database
from hub.models import Incident, OutboxMessage, User, utcnow

if TYPE_CHECKING:  # only the browser tests pass a page; the others need not import Playwright
    from playwright.sync_api import Page

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Login:
    email: str
    password: str


def bearer(token: str) -> dict[str, str]:
    """The header an API token travels in."""
    return {"Authorization": f"Bearer {token}"}


def token_headers(db: Database, *, name: str, role: str) -> dict[str, str]:
    """The header of a new API token `name` with `role`: the one step every API test of a role starts with."""
    with db.transaction() as session:
        return bearer(accounts.create_token(session, name=name, role=role))


def confirm_path(db: Database, kind: str, address: str) -> str:
    """The path of the `confirm_url` in the newest mail of `kind` owed to `address`: the link a public form's
    confirmation mail (asking the desk, subscribing to the status page) carries."""
    with db.read() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id.desc())
        ).first()  # fmt: skip
    assert row is not None and row.facts is not None
    return urlsplit(str(row.facts["confirm_url"])).path


def csrf_token(html: str) -> str:
    """The CSRF token a page's form carries (fails the test when there is none)."""
    match = _CSRF.search(html)
    assert match, "the page has no csrf_token field"
    return match.group(1)


def log_in(client: FlaskClient, login: Login, *, next_url: str | None = None) -> TestResponse:
    """Fetch the login form, then post it with its CSRF token, as a browser does."""
    url = "/login" if next_url is None else f"/login?next={next_url}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"email": login.email, "password": login.password, "csrf_token": token})


def post_event(client: FlaskClient, integration: str, secret: str | None, payload: Any) -> TestResponse:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    return client.post(f"/api/v1/events/{integration}", json=payload, headers=headers)


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def on_disk(db: Database, text: str) -> bool:
    """Whether a SQLite database's files (the file and its write-ahead log) hold `text` anywhere: what someone who
    copied them away would find."""
    path = Path(db.engine.url.database or "")
    assert path.is_file(), "on_disk reads a SQLite database's files"
    return any(text.encode() in f.read_bytes() for f in (path, path.with_name(path.name + "-wal")) if f.exists())


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements the database is sent meanwhile."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def add_people(db: Database, count: int, *, role: str = "agent", active: bool = True) -> list[str]:
    """`count` people (user000@example.com on) in one insert, as a large desk has: for the pages that must not
    list them all. They cannot log in (no password hash matches)."""
    emails = [f"user{i:03d}@example.com" for i in range(count)]
    rows = [{"email": e, "password_hash": "x", "role": role, "active": active, "created_at": utcnow()} for e in emails]
    with db.transaction() as session:
        session.execute(insert(User), rows)
    return emails


def console_errors(page: Page) -> list[str]:
    """The errors the page's scripts log from now on (a list that fills as the test goes)."""
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if msg.type == "error" else None)
    return found


def policy_violations(page: Page) -> list[str]:
    """The Content Security Policy violations the browser reports from now on."""
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security" in msg.text else None)
    return found


def add_incidents(db: Database, count: int) -> None:
    """`count` open incidents (INC-1 on, "Alert 1" on) in one insert: past the list's count, which stops at 10,000."""
    now = utcnow()
    rows = [{"title": f"Alert {i}", "source": "generic", "first_seen": now, "last_seen": now}
            for i in range(1, count + 1)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Incident), rows)
