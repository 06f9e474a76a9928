"""Admins add IMAP mailboxes on the mailboxes page and test the connection against a real Dovecot."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.db import Database
from hub.models import Mailbox
from tests.conftest import ImapAccount
from tests.web.helpers import Login, csrf_token, log_in, on_disk
from tests.web.test_acting_guard_pages import changed_in_the_window


def as_admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def add(admin: FlaskClient, account: ImapAccount, password: str) -> str:
    token = csrf_token(admin.get("/mailboxes").get_data(as_text=True))
    form = {"csrf_token": token, "name": "support", "host": "127.0.0.1", "port": str(account.server.port),
            "tls": "none", "username": account.user, "auth": "password", "secret_kind": "literal",
            "secret": password, "folder": "INBOX"}  # fmt: skip
    return admin.post("/mailboxes", data=form, follow_redirects=True).get_data(as_text=True)


def test_the_page_names_the_smtp_desk_addresses(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    assert "<code>helpdesk@localhost</code>" in as_admin(client, make_user).get("/mailboxes").get_data(as_text=True)


def test_add_a_mailbox_and_test_its_connection(
    client: FlaskClient, make_user: Callable[..., Login], imap_account: ImapAccount
) -> None:
    admin = as_admin(client, make_user)
    assert "Mailbox support added" in add(admin, imap_account, imap_account.password)
    imap_account.append(b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n")
    token = csrf_token(admin.get("/mailboxes").get_data(as_text=True))
    page = admin.post("/mailboxes/support/test", data={"csrf_token": token}, follow_redirects=True)
    assert "support: connected; 1 messages in INBOX, 1 unread" in page.get_data(as_text=True)
    assert imap_account.password not in page.get_data(as_text=True)  # the secret is never shown back


def test_a_wrong_password_is_reported_with_what_to_check(
    client: FlaskClient, make_user: Callable[..., Login], imap_account: ImapAccount
) -> None:
    admin = as_admin(client, make_user)
    add(admin, imap_account, "not the password")
    token = csrf_token(admin.get("/mailboxes").get_data(as_text=True))
    page = admin.post("/mailboxes/support/test", data={"csrf_token": token}, follow_redirects=True)
    assert "support: " in page.get_data(as_text=True) and "connected;" not in page.get_data(as_text=True)


def test_a_typed_password_is_kept_sealed_in_the_database(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    admin = as_admin(client, make_user)
    token = csrf_token(admin.get("/mailboxes").get_data(as_text=True))
    form = {"csrf_token": token, "name": "support", "host": "imap.example.org", "tls": "ssl",
            "username": "support@example.org", "auth": "password", "secret_kind": "literal",
            "secret": "correct horse battery", "folder": "INBOX"}  # fmt: skip
    assert "Mailbox support added" in admin.post("/mailboxes", data=form, follow_redirects=True).get_data(as_text=True)
    with db.read() as session:
        assert session.scalars(select(Mailbox.secret)).one().startswith("sealed:v1:")
    assert on_disk(db, "support@example.org") and not on_disk(db, "correct horse battery")


def test_a_mailbox_test_by_an_admin_deactivated_meanwhile_does_not_sign_in(
    client: FlaskClient, make_user: Callable[..., Login], imap_account: ImapAccount, db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    admin = as_admin(client, make_user)
    add(admin, imap_account, imap_account.password)
    token = csrf_token(admin.get("/mailboxes").get_data(as_text=True))
    changed_in_the_window(db, monkeypatch, active=False)
    page = admin.post("/mailboxes/support/test", data={"csrf_token": token},
                      headers={"Referer": "http://localhost/mailboxes"}, follow_redirects=True)  # fmt: skip
    said = page.get_data(as_text=True)
    assert "Your account was deactivated or its role changed meanwhile" in said and "connected;" not in said
