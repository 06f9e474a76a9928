"""The links in mail that act without a login (hub/signed_links.py), each against every page that reads one: a
link opens only the page it was made for, and only while the person it names is still who it is about.

Each kind's own tests pin its tampered, expired and stale links; here every kind's genuine token is tried on every
other kind's page, and the requester's links after the requester was erased (someone who asked to be forgotten: a
link in their old mail, or a copy someone forwarded, must show nothing of them).
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import ack_links, my_requests, pending_requests, request_links, requester_erasure, satisfaction
from hub import status_subscriptions as subscriptions
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import SatisfactionAnswer
from hub.signed_links import LinkKind
from tests.web.helpers import csrf_token

ANN = "ann@example.org"
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")
#: Every kind of link, by its name, with the number it carries (0 for those about a person alone).
KINDS: dict[str, tuple[LinkKind, bool]] = {
    "acknowledge": (ack_links.LINKS, True),
    "ask-confirm": (pending_requests.CONFIRM, True),
    "request": (request_links.LINKS, True),
    "status-confirm": (subscriptions.CONFIRM, True),
    "status-leave": (subscriptions.LEAVE, True),
    "satisfaction": (satisfaction.LINKS, True),
    "my-requests": (my_requests.LINKS, False),
}


@pytest.fixture
def incident_id(intake: Intake) -> int:
    event = InboundEvent(source="email", title="Printer jams on floor 2", requester=ANN, message_id="<p@x>",
                         description="It jams on every page.")  # fmt: skip
    outcome = intake.record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def token(settings: Settings, kind: str, number: int, person: str = ANN) -> str:
    made, names_record = KINDS[kind]
    return made.sign(settings.secret_key, number if names_record else 0, person)


@pytest.mark.parametrize(
    ("made_for", "tried_on"), [(a, b) for a in KINDS for b in KINDS if a != b], ids=lambda kind: str(kind)
)
def test_a_genuine_link_of_one_kind_is_refused_by_every_other_kinds_page(
    client: FlaskClient, settings: Settings, incident_id: int, made_for: str, tried_on: str
) -> None:
    page = KINDS[tried_on][0].path + token(settings, made_for, incident_id)
    answer = client.get(page)
    assert answer.status_code == 400, (page, answer.status_code)
    assert "Printer jams" not in answer.get_data(as_text=True)


def test_after_the_requester_is_erased_their_request_link_shows_nothing_of_it(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    link = f"/requests/{token(settings, 'request', incident_id)}"
    assert client.get(link).status_code == 200
    requester_erasure.erase(db, ANN, key=settings.secret_key, actor="cli")
    answer = client.get(link)
    assert answer.status_code == 410 and "jams" not in answer.get_data(as_text=True)


def test_after_the_requester_is_erased_their_request_link_cannot_say_it_is_solved(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    link = f"/requests/{token(settings, 'request', incident_id)}"
    form = csrf_token(client.get(link).get_data(as_text=True))
    requester_erasure.erase(db, ANN, key=settings.secret_key, actor="cli")
    assert client.post(f"{link}/solved", data={"csrf_token": form}).status_code == 410


def test_after_the_requester_is_erased_their_survey_link_records_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    link = f"/satisfaction/{token(settings, 'satisfaction', incident_id)}"
    form = csrf_token(client.get(link).get_data(as_text=True))
    requester_erasure.erase(db, ANN, key=settings.secret_key, actor="cli")
    answer = client.post(link, data={"csrf_token": form, "rating": "good", "comment": "thanks"})
    assert answer.status_code == 410 and "Printer jams" not in answer.get_data(as_text=True)
    with db.read() as session:
        assert session.scalars(select(SatisfactionAnswer)).all() == []


def test_after_the_requester_is_erased_their_list_of_requests_lists_none(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    link = f"/help/my-requests/{token(settings, 'my-requests', 0)}"
    assert "Printer jams" in client.get(link).get_data(as_text=True)
    requester_erasure.erase(db, ANN, key=settings.secret_key, actor="cli")
    assert "Printer jams" not in client.get(link).get_data(as_text=True)


def test_a_request_link_for_someone_else_on_the_same_incident_is_refused(
    client: FlaskClient, settings: Settings, incident_id: int
) -> None:
    """Someone copied on the thread, or who guesses the number, gets no link of their own to make."""
    answer = client.get(f"/requests/{token(settings, 'request', incident_id, 'mallory@example.org')}")
    assert answer.status_code == 410 and "Printer jams" not in answer.get_data(as_text=True)
