"""Mailing a link to an address typed into a public form: once in ten minutes per kind, never to an address that
bounced or to an erased requester's pseudonym, and only what the form composed. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hub import link_mail, notices
from hub.addresses import pseudonym
from hub.db import Database
from hub.models import BouncedAddress, OutboxMessage
from hub.notices import Notice
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DESK = {"desk_address": "desk@example.com", "base_url": "https://desk.example.com"}


def confirmation(address: str) -> Notice:
    return notices.status_confirmation(recipient=address, confirm_url="https://desk.example.com/status/confirm/T",
                                       **DESK)  # fmt: skip


def ask_mail(address: str) -> Notice:
    return notices.ask_confirmation(recipient=address, confirm_url="https://desk.example.com/help/ask/confirm/T",
                                    valid_for="24 hours", **DESK)  # fmt: skip


def never(address: str) -> Notice:
    raise AssertionError(f"a mail to {address} was composed, though it must not be sent")


def owe(
    db: Database, address: str, compose: Callable[[str], Notice] | None, now: datetime = NOW,
    kind: str = "status_confirmation",
) -> bool:  # fmt: skip
    with db.transaction() as session:
        made = (lambda: compose(address)) if compose is not None else (lambda: None)
        return link_mail.owe_link(session.connection(), address, kind, now, made)


def mailed(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        return [tuple(row) for row in session.execute(select(OutboxMessage.kind, OutboxMessage.recipient))]  # type: ignore[misc]


def test_one_address_is_mailed_once_in_ten_minutes_and_again_after(db: Database) -> None:
    assert owe(db, "ann@example.org", confirmation)
    assert not owe(db, "ann@example.org", never, NOW + timedelta(minutes=9))
    assert owe(db, "bob@example.org", confirmation, NOW + timedelta(minutes=9))
    assert owe(db, "ann@example.org", confirmation, NOW + timedelta(minutes=11))
    assert [to for _, to in mailed(db)] == ["ann@example.org", "bob@example.org", "ann@example.org"]


def test_the_quiet_period_is_per_kind_of_mail(db: Database) -> None:
    assert owe(db, "ann@example.org", confirmation)
    assert owe(db, "ann@example.org", ask_mail, NOW + timedelta(minutes=1), kind="ask_confirmation")
    assert not owe(db, "ann@example.org", never, NOW + timedelta(minutes=2), kind="ask_confirmation")
    assert mailed(db) == [("status_confirmation", "ann@example.org"), ("ask_confirmation", "ann@example.org")]


def test_an_address_that_bounced_lately_is_not_mailed_and_nothing_is_composed(db: Database) -> None:
    with db.transaction() as session:
        session.add(BouncedAddress(address="ann@example.org", until=NOW + timedelta(hours=5), reason="550"))
    assert not owe(db, "ann@example.org", never)
    assert owe(db, "ann@example.org", confirmation, NOW + timedelta(hours=6))  # the pause is over


def test_an_erased_requesters_pseudonym_is_never_mailed(db: Database) -> None:
    assert not owe(db, pseudonym("ann@example.org", "k"), never)


def test_a_form_that_composes_nothing_owes_nothing_and_starts_no_quiet_period(db: Database) -> None:
    assert not owe(db, "ann@example.org", None)
    assert owe(db, "ann@example.org", confirmation, NOW + timedelta(minutes=1))


def test_a_mail_to_another_address_than_the_one_allowed_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match=r"not the status_confirmation mail to ann@example\.org"):
        owe(db, "ann@example.org", lambda _: confirmation("bob@example.org"))
    assert mailed(db) == []


@pytest.mark.parametrize("typed", ["", "ann", "ann@example.org bob@example.org", "<ann@example.org>", "a@b\nBcc: x@y"])
def test_anything_but_one_address_is_refused(typed: str) -> None:
    with pytest.raises(link_mail.NotAnAddress):
        link_mail.clean_address(typed)


def test_an_address_is_kept_lower_cased() -> None:
    assert link_mail.clean_address("  Ann@Example.ORG ") == "ann@example.org"
