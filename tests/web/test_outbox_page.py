"""The notification queue page: dead letters with their last error, retried or discarded by an admin; the
notifications of one state, read a page at a time."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select, update

from hub.db import Database
from hub.models import OutboxMessage
from hub.outbox_admin import PAGE, STATES
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
    page = admin(client, make_user).get("/outbox?state=dead").get_data(as_text=True)
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
    assert "No dead letters." in client.get("/outbox?state=dead").get_data(as_text=True)


def owed(db: Database, statuses: list[str]) -> list[int]:
    """Notifications in these statuses, one each, in this order; their ids."""
    rows = [{"delivery_id": f"d-{n}", "kind": "assigned", "channel": "email", "recipient": f"p{n}@example.com",
             "subject": "s", "body": "b", "headers": {}, "status": status}
            for n, status in enumerate(statuses)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(OutboxMessage), rows)
        return list(session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td data-label="#">(\d+)</td>', page)]


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" id="\w+" href="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


@pytest.mark.parametrize("state", STATES)
def test_each_state_shows_only_its_notifications(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, state: str
) -> None:
    statuses = [each for each in STATES for _ in range(2)]
    ids = owed(db, statuses)
    page = admin(client, make_user).get(f"/outbox?state={state}").get_data(as_text=True)
    wanted = [i for i, status in zip(ids, statuses, strict=True) if status == state]
    assert listed(page) == wanted[::-1]  # newest first
    assert re.search(rf'href="/outbox\?state={state}" aria-current="true"', page)


def test_the_queue_shows_what_is_undelivered_unless_told_a_state(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    pending, queued, dead, _, _ = owed(db, list(STATES))
    assert listed(admin(client, make_user).get("/outbox").get_data(as_text=True)) == [dead, queued, pending]


def test_sent_notifications_offer_no_retry_or_discard(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    owed(db, ["sent"])
    page = admin(client, make_user).get("/outbox?state=sent").get_data(as_text=True)
    assert "/retry" not in page and "/discard" not in page


def test_a_pending_notification_says_when_it_will_be_given_up(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    [pending] = owed(db, ["pending"])
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == pending)
                        .values(give_up_at=datetime(2031, 5, 6, 7, 8, tzinfo=UTC)))  # fmt: skip
    page = admin(client, make_user).get("/outbox").get_data(as_text=True)
    assert "given up if still failing at 2031-05-06 07:08" in page


def test_a_sent_notifications_earlier_failure_is_said_to_be_behind_it(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    [sent] = owed(db, ["sent"])
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == sent).values(last_error="gave up after 6"))
    page = admin(client, make_user).get("/outbox?state=sent").get_data(as_text=True)
    assert "sent in the end; an earlier try failed: gave up after 6" in page


def test_paging_older_reaches_the_oldest_notification_and_newer_comes_back(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    ids = owed(db, ["sent"] * (2 * PAGE + 5) + ["dead"])
    admin(client, make_user)
    pages, url = [], "/outbox?state=sent"
    while url is not None:
        page = client.get(url).get_data(as_text=True)
        pages.append(listed(page))
        url = link(page, "next")
    assert [len(p) for p in pages] == [PAGE, PAGE, 5]
    assert [i for p in pages for i in p] == ids[:-1][::-1]  # every sent one once, down to the oldest, no dead one
    newer = link(page, "prev")
    assert newer is not None and "state=sent" in newer
    back = client.get(newer).get_data(as_text=True)
    assert listed(back) == pages[1] and link(back, "prev") is not None
    assert link(client.get("/outbox?state=sent").get_data(as_text=True), "prev") is None  # the newest page


def test_a_state_the_queue_does_not_have_is_not_found(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    answer = admin(client, make_user).get("/outbox?state=failed")
    assert answer.status_code == 404 and "it shows undelivered, dead, pending" in answer.get_data(as_text=True)


# -- buttons return to the view they were pressed on ----------------------------------------------------------------


def pressed(client: FlaskClient, page: str, outbox_id: int, action: str, **headers: str) -> str:
    """Press a row's button as a browser does, with the fields its form carries; where the answer leads."""
    form = re.search(rf'<form method="post" action="([^"]*/outbox/{outbox_id}/{action})">(.*?)</form>', page, re.S)
    assert form is not None, f"no {action} button for #{outbox_id}"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))
    answer = client.post(html.unescape(form.group(1)), data={k: html.unescape(v) for k, v in fields.items()})
    assert answer.status_code == 302
    return answer.headers["Location"]


@pytest.mark.parametrize(("action", "after"), [("retry", "pending"), ("discard", "discarded")])
def test_a_button_on_a_filtered_older_page_returns_to_that_page(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, action: str, after: str
) -> None:
    ids = owed(db, ["dead"] * (PAGE + 3) + ["pending"])
    older = link(admin(client, make_user).get("/outbox?state=dead").get_data(as_text=True), "next")
    assert older is not None and "state=dead" in older and "before=" in older
    page = client.get(older).get_data(as_text=True)
    oldest = ids[0]
    assert oldest in listed(page)
    assert pressed(client, page, oldest, action) == older
    assert status(db, oldest) == after


def test_retry_all_dead_returns_to_the_view_it_was_pressed_on(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    owed(db, ["dead", "sent"])
    page = admin(client, make_user).get("/outbox?state=sent").get_data(as_text=True)
    assert '<input type="hidden" name="back" value="/outbox?state=sent">' in page
    answer = client.post("/outbox/retry-dead", data={"csrf_token": csrf_token(page), "back": "/outbox?state=sent"})
    assert answer.headers["Location"] == "/outbox?state=sent"


@pytest.mark.parametrize(
    "back",
    ["https://evil.example/outbox?state=dead", "//evil.example/outbox?state=dead", "/\\evil.example/outbox?state=dead",
     "/incidents?state=dead", "/outbox/1/retry?state=dead", ""],
)  # fmt: skip
def test_a_back_field_naming_anything_but_the_queue_on_this_site_returns_to_the_queue(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, back: str
) -> None:
    [dead] = owed(db, ["dead"])
    page = admin(client, make_user).get("/outbox").get_data(as_text=True)
    answer = client.post(f"/outbox/{dead}/retry", data={"csrf_token": csrf_token(page), "back": back})
    assert answer.headers["Location"] == "/outbox" and status(db, dead) == "pending"


def test_behind_a_proxys_prefix_a_button_returns_to_the_view_under_that_prefix(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    [dead] = owed(db, ["dead"])
    admin(client, make_user)
    page = client.get("/outbox?state=dead", base_url="http://localhost/desk").get_data(as_text=True)
    form = re.search(rf'action="(/desk/outbox/{dead}/retry)"><input [^>]*value="([^"]+)">'
                     r'<input type="hidden" name="back" value="([^"]+)">', page)  # fmt: skip
    assert form is not None and html.unescape(form.group(3)) == "/desk/outbox?state=dead"
    answer = client.post(f"/outbox/{dead}/retry", base_url="http://localhost/desk",
                         data={"csrf_token": form.group(2), "back": html.unescape(form.group(3))})  # fmt: skip
    assert answer.headers["Location"] == "/desk/outbox?state=dead"
