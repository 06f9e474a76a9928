"""The request catalogue on the help centre: a requester picks what they need, answers its questions, and sends it
through the same confirmation as any "Ask the desk" request; it opens a service request with the type's category
and group (unless a specific rule decides), the answers in its description, and the type on the incident."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select

from hub import catalogue, groups, request_types
from hub.db import Database
from hub.models import Incident
from hub.request_questions import parse_lines
from hub.request_types import TypeView
from tests.rules.test_intake_routing import use_rules
from tests.staff import agents
from tests.web.helpers import csrf_token
from tests.web.mail_desk import Desk, desk_on_the_web  # noqa: F401  (the fixture `desk`)
from tests.web.test_ask_desk import confirmation_link, incidents, press_send

HOSTILE = "<script>alert(1)</script>"


def laptop(db: Database) -> TypeView:
    with db.transaction() as session:
        groups.save_group(session, "hardware", agents(session, "hw@example.com"))
        return request_types.add(session, name="New laptop", summary="A laptop for a new starter",
                                 description="Takes about a week.", category="hardware", group="hardware",
                                 questions=parse_lines("Model [choice: Standard, Developer] *\nCost centre *\n"
                                                       "What for? [text]"))  # fmt: skip


def ask_for(client: FlaskClient, shown: TypeView, **fields: str) -> tuple[int, str]:
    token = csrf_token(client.get(f"/help/ask?type={shown.id}").get_data(as_text=True))
    sent = client.post("/help/ask", data={"csrf_token": token, "request_type": str(shown.id), **fields})
    return sent.status_code, sent.get_data(as_text=True)


ANSWERS = {"email": "ann@example.org", "answer_0": "Developer", "answer_1": "CC-42"}


def test_the_help_centre_offers_the_active_request_types_and_each_one_its_form(
    client: FlaskClient, db: Database
) -> None:
    shown = laptop(db)
    with db.transaction() as session:
        request_types.add(session, name="Fax line", summary="A fax")
        request_types.change(session, "Fax line", active=False)
    assert 'id="request-something"' in client.get("/help").get_data(as_text=True)  # no articles yet: a 404 page
    offered = client.get("/help/request").get_data(as_text=True)
    assert "New laptop" in offered and "A laptop for a new starter" in offered and "Fax line" not in offered
    form = client.get(f"/help/ask?type={shown.id}").get_data(as_text=True)
    assert "Request: New laptop" in form and "Takes about a week." in form and "<option>Developer</option>" in form


def test_a_request_types_form_is_sent_with_the_button_its_links_page_has(client: FlaskClient, db: Database) -> None:
    shown = laptop(db)
    form = client.get(f"/help/ask?type={shown.id}").get_data(as_text=True)
    assert '<button type="submit" class="button">Send my request</button>' in form


def test_a_type_that_is_no_number_is_refused_as_a_retired_one_is(client: FlaskClient, db: Database) -> None:
    shown = laptop(db)
    with db.transaction() as session:
        request_types.set_active(session, "New laptop", active=False)
    tampered, retired = client.get("/help/ask?type=abc"), client.get(f"/help/ask?type={shown.id}")
    assert tampered.status_code == retired.status_code == 404
    refusal = re.compile(r'<p class="form-error" role="alert">.*?</p>', re.S)
    assert refusal.findall(tampered.get_data(as_text=True)) == refusal.findall(retired.get_data(as_text=True)) != []


def test_a_request_type_asked_for_by_mail_link_opens_a_service_request_with_its_defaults_and_answers(
    desk: Desk,
) -> None:
    shown = laptop(desk.db)
    form = desk.client.get(f"/help/ask?type={shown.id}").get_data(as_text=True)
    fields = {**ANSWERS, "request_type": str(shown.id), "body": "Starts on Monday."}
    assert desk.client.post("/help/ask", data={"csrf_token": csrf_token(form), **fields}).status_code == 200
    desk.deliver()
    [confirmation] = desk.sink.handler.wait_for(1)
    text = confirmation.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"https?://\S+/help/ask/confirm/\S+", text)
    assert link is not None and "CC-42" not in text  # the mail quotes nothing typed
    path = urlsplit(link.group(0)).path
    page = desk.client.get(path).get_data(as_text=True)
    assert "<dt>Cost centre</dt>" in page and "CC-42" in page
    desk.client.post(path, data={"csrf_token": csrf_token(page)})
    [incident] = incidents(desk.db)
    assert (incident.kind, incident.category, incident.assignee) == ("request", "hardware", "hardware")
    assert incident.title == "New laptop" and incident.request_type_id == shown.id
    assert incident.description == "Starts on Monday.\n\nModel: Developer\nCost centre: CC-42"


def test_a_required_question_left_empty_is_refused_beside_it_and_nothing_is_stored(
    client: FlaskClient, db: Database
) -> None:
    shown = laptop(db)
    code, page = ask_for(client, shown, **{**ANSWERS, "answer_1": " "})
    assert code == 400 and 'id="answer_1-error"' in page and "it is needed for this request" in page
    assert 'value="Developer"' not in page and "<option selected>Developer</option>" in page  # kept as typed


def test_an_answer_that_is_none_of_the_choices_is_refused(client: FlaskClient, db: Database) -> None:
    code, page = ask_for(client, laptop(db), **{**ANSWERS, "answer_0": "Gaming rig"})
    assert code == 400 and "choose one of the list" in page


def test_a_form_naming_a_type_retired_since_it_was_opened_is_refused_saying_so(
    client: FlaskClient, db: Database
) -> None:
    shown = laptop(db)
    token = csrf_token(client.get(f"/help/ask?type={shown.id}").get_data(as_text=True))
    with db.transaction() as session:
        request_types.change(session, "New laptop", active=False)
    sent = client.post("/help/ask", data={"csrf_token": token, "request_type": str(shown.id), **ANSWERS})
    assert sent.status_code == 400 and "no longer offered" in sent.get_data(as_text=True)
    assert client.get(f"/help/ask?type={shown.id}").status_code == 404


def test_a_request_whose_type_was_retired_before_its_link_was_used_is_not_sent_and_says_so(
    client: FlaskClient, db: Database
) -> None:
    shown = laptop(db)
    ask_for(client, shown, **ANSWERS)
    link = confirmation_link(db, "ann@example.org")
    page = client.get(link).get_data(as_text=True)
    with db.transaction() as session:
        request_types.change(session, "New laptop", active=False)
    sent = client.post(link, data={"csrf_token": csrf_token(page)})
    assert sent.status_code == 409 and "Nothing was sent: that kind of request is no longer offered" in sent.text
    assert "Send my request" not in client.get(link).get_data(as_text=True) and incidents(db) == []


def test_hostile_html_in_answers_is_text_on_every_page(
    client: FlaskClient, logged_in: FlaskClient, db: Database
) -> None:
    shown = laptop(db)
    ask_for(client, shown, **{**ANSWERS, "answer_1": HOSTILE, "answer_2": f"For {HOSTILE}"})
    link = confirmation_link(db, "ann@example.org")
    assert "<script>" not in client.get(link).get_data(as_text=True)
    press_send(client, link)
    [incident] = incidents(db)
    shown_page = logged_in.get(f"/incidents/INC-{incident.id}").get_data(as_text=True)
    assert "<script>alert" not in shown_page and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown_page
    assert "New laptop" in shown_page


def test_a_specific_rule_testing_the_request_type_wins_over_its_group(client: FlaskClient, db: Database) -> None:
    shown = laptop(db)
    use_rules(db, """rules:
- name: Developer laptops
  when: {field: request_type, op: equals, value: New laptop}
  set: {assignee: dev-desk}
- name: Default
  set: {assignee: servicedesk, category: general}
""", **{"dev-desk": ["dev@example.com"], "servicedesk": ["desk@example.com"]})  # fmt: skip
    ask_for(client, shown, **ANSWERS)
    press_send(client, confirmation_link(db, "ann@example.org"))
    with db.read() as session:
        incident = session.scalars(select(Incident)).one()
    # The specific rule's group stands; the catch-all's category gives way to the type's.
    assert (incident.assignee, incident.category) == ("dev-desk", "hardware")


def test_agents_see_the_request_type_on_the_incident_and_filter_the_list_by_it(
    client: FlaskClient, logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    ask_for(client, laptop(db), **ANSWERS)
    press_send(client, confirmation_link(db, "ann@example.org"))
    other = raise_incident("Disk full on db1")
    [asked] = [incident for incident in incidents(db) if incident.kind == "request"]
    page = logged_in.get(f"/incidents/INC-{asked.id}").get_data(as_text=True)
    assert re.search(r'id="incident-request-type"><a href="[^"]+">New laptop</a>', page)
    listed = logged_in.get("/incidents?request_type=New+laptop").get_data(as_text=True)
    assert f"INC-{asked.id}" in listed and f"{other}<" not in listed and 'id="request-type-filter"' in listed


def test_a_request_types_service_labels_its_requests(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="vpn")  # not public: the requester could not choose it, the admin did
        shown = request_types.add(session, name="VPN access", summary="Remote access", service="vpn")
    ask_for(client, shown, email="ann@example.org")
    press_send(client, confirmation_link(db, "ann@example.org"))
    [incident] = incidents(db)
    assert incident.labels["service"] == "vpn" and incident.title == "VPN access"
