"""The notification queue page: dead letters with their last error, retried or discarded by an admin."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub.db import Database
from hub.models import OutboxMessage
from tests.web.helpers import Login, csrf_token, log_in


def dead_letter(db: Database, raise_incident: Callable[..., str], make_user: Callable[..., Login]) -> int:
    """An incident assigned to a person owes them a mail; make that mail dead, as after its last retry."""
    make_user(email="oncall@example.com")
    ref = raise_incident()
    with db.transaction() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == int(ref[4:]))).first()
        if row is None:  # the default rule assigns to a group: owe a mail by hand
            row = OutboxMessage(delivery_id="d-1", incident_id=int(ref[4:]), kind="assigned", channel="email",
                                recipient="oncall@example.com", subject="s", body="b", headers={})  # fmt: skip
            session.add(row)
            session.flush()
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                        .values(status="dead", last_error="550 5.1.1 no such user", attempts=3))  # fmt: skip
        return row.id


def admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def status(db: Database, outbox_id: int) -> str:
    with db.read() as session:
        return str(session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == outbox_id)))


def test_dead_letters_are_listed_with_their_last_error(
    client: FlaskClient, make_user: Callable[..., Login], raise_incident: Callable[..., str], db: Database
) -> None:
    dead_letter(db, raise_incident, make_user)
    page = admin(client, make_user).get("/outbox?dead=1").get_data(as_text=True)
    assert "550 5.1.1 no such user" in page and "1 notification could not be delivered." in page


def test_retry_puts_a_dead_letter_back_in_the_queue_and_is_audited(
    client: FlaskClient, make_user: Callable[..., Login], raise_incident: Callable[..., str], db: Database
) -> None:
    outbox_id = dead_letter(db, raise_incident, make_user)
    page = admin(client, make_user).get("/outbox").get_data(as_text=True)
    client.post(f"/outbox/{outbox_id}/retry", data={"csrf_token": csrf_token(page)})
    assert status(db, outbox_id) == "pending"
    assert "<code>outbox.retry</code>" in client.get("/audit").get_data(as_text=True)


def test_discard_takes_it_off_the_list(
    client: FlaskClient, make_user: Callable[..., Login], raise_incident: Callable[..., str], db: Database
) -> None:
    outbox_id = dead_letter(db, raise_incident, make_user)
    page = admin(client, make_user).get("/outbox").get_data(as_text=True)
    client.post(f"/outbox/{outbox_id}/discard", data={"csrf_token": csrf_token(page)})
    assert status(db, outbox_id) != "dead"
    assert "No dead letters." in client.get("/outbox?dead=1").get_data(as_text=True)
