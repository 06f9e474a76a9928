"""Working an incident from its page and through the API: each action once, as a browser or a script sends it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub import accounts, mail_choices, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.mail_choices import MailChoices
from hub.models import Incident, OutboxMessage, TimelineEntry
from tests.web.helpers import Login, csrf_token, log_in


def act(client: FlaskClient, ref: str, action: str, **fields: str) -> str:
    """Post one action form from the incident page, follow the redirect, and return the page it lands on."""
    token = csrf_token(client.get(f"/incidents/{ref}").get_data(as_text=True))
    response = client.post(f"/incidents/{ref}/{action}", data={"csrf_token": token, **fields})
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def stored(db: Database, ref: str) -> Incident:
    with db.read() as session:
        found = session.get(Incident, int(ref.removeprefix("INC-")))
        assert found is not None
        return found


def test_the_page_offers_only_the_moves_the_status_allows(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f"/incidents/{ref}/acknowledge" in page and f"/incidents/{ref}/resolve" in page
    assert f"/incidents/{ref}/reopen" not in page


def test_acknowledge_then_resolve_from_the_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    assert f"{ref} now acknowledged." in act(logged_in, ref, "acknowledge")
    assert f"{ref} now resolved." in act(logged_in, ref, "resolve")
    assert stored(db, ref).status == "resolved"


def test_an_actions_outcome_takes_the_focus_so_the_keyboard_goes_on_from_there(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "acknowledge")
    assert f'<p class="flash flash-success" role="status" tabindex="-1" autofocus>{ref} now acknowledged.</p>' in page


def test_a_stale_action_says_what_happened_instead_of_changing_anything(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    act(logged_in, ref, "resolve")
    page = act(logged_in, ref, "acknowledge")
    assert f"{ref} is resolved; only open incidents can be acknowledged: reopen it first." in page
    assert stored(db, ref).status == "resolved"


def test_resolving_with_a_note_from_the_page_shows_how_it_was_resolved(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "resolve", resolution="Freed 40 GB of <old> logs.")
    assert f"{ref} now resolved." in page
    assert '<pre class="text">Freed 40 GB of &lt;old&gt; logs.</pre>' in page
    assert stored(db, ref).resolution == "Freed 40 GB of <old> logs."


def test_api_patch_resolves_with_a_resolution(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response = client.patch(f"/api/v1/incidents/{ref}", json={"status": "resolved", "resolution": "Freed 40 GB."},
                            headers=agent_token(db))  # fmt: skip
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["resolution"]) == ("resolved", "Freed 40 GB.")  # type: ignore[index]


def test_api_patch_refuses_a_resolution_without_resolving(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response, before = patched_beside_a_new_priority(client, db, ref, resolution="Freed.")
    assert response.status_code == 400 and "sent with" in response.json["error"]  # type: ignore[index]
    assert (stored(db, ref).priority, stored(db, ref).resolution) == (before, None)  # nothing was half done


def test_the_title_is_changed_from_the_page_and_the_old_one_shown(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident("Help!!!")
    page = act(logged_in, ref, "retitle", title="Outlook crashes at start")
    assert f"{ref} has a new title." in page and "Help!!! → Outlook crashes at start" in page
    assert stored(db, ref).title == "Outlook crashes at start"


def test_api_patch_changes_the_title(client: FlaskClient, raise_incident: Callable[..., str], db: Database) -> None:
    ref = raise_incident("Help!!!")
    response = client.patch(f"/api/v1/incidents/{ref}", json={"title": "VPN drops hourly"}, headers=agent_token(db))
    assert response.status_code == 200 and response.json["title"] == "VPN drops hourly"  # type: ignore[index]


def test_category_and_service_are_corrected_from_the_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "categorise", category="network", service="VPN")
    assert f"{ref} now category network, service VPN." in page
    assert "Category general → network; service — → VPN by agent@example.com" in page
    assert (stored(db, ref).category, stored(db, ref).service) == ("network", "VPN")


def test_a_note_appears_on_the_timeline_escaped(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "note", text="<script>alert(1)</script> checked the disk")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; checked the disk" in page
    assert "<script>alert(1)</script>" not in page


def test_a_possessive_after_a_name_mentions_them_and_an_apostrophe_in_a_name_is_not_cut_short(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    make_user(email="o@example.com")
    ref = raise_incident()
    page = act(logged_in, ref, "note", text="@bob's disk is full; @o'brien, look")
    assert "note added; mailed to bob@example.com (no user is called @o&#39;brien: no one was told of those)" in page


def test_a_note_mentioning_a_colleague_mails_them_and_says_so(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="bob@example.com")
    ref = raise_incident()
    page = act(logged_in, ref, "note", text="@bob the disk is yours, and @nobody's")
    assert "note added; mailed to bob@example.com (no user is called @nobody: no one was told of those)" in page
    with db.read() as session:
        mailed = list(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "mentioned")))
    assert mailed == ["bob@example.com"]


def test_a_note_mentioning_a_colleague_who_turned_mention_mail_off_says_they_were_not_mailed(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="bob@example.com")
    with db.transaction() as session:
        mail_choices.choose(session, "bob@example.com", MailChoices(mentioned=False))
    page = act(logged_in, raise_incident(), "note", text="@bob the disk is yours")
    assert "note added; not mailed to bob@example.com, who turned mention mail off" in page


def test_api_comment_mentioning_a_colleague_mails_them(
    client: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="bob@example.com")
    ref = raise_incident()
    response = client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "@bob@example.com look"},
                           headers=agent_token(db))  # fmt: skip
    assert response.status_code == 201
    with db.read() as session:
        mailed = list(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "mentioned")))
    assert mailed == ["bob@example.com"]


def test_assign_to_a_colleague_from_the_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="bob@example.com")
    ref = raise_incident()
    assert f"{ref} assigned to bob@example.com." in act(logged_in, ref, "assign", assignee="bob@example.com")
    assert stored(db, ref).assignee == "bob@example.com"


def test_assigning_to_whom_it_already_is_says_so_rather_than_assigned(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    ref = raise_incident()
    act(logged_in, ref, "assign", assignee="bob@example.com")
    again = act(logged_in, ref, "assign", assignee="bob@example.com")
    assert f"{ref} was already assigned to bob@example.com." in again


def test_assign_to_me_takes_the_incident_in_one_press_and_is_then_no_longer_offered(
    logged_in: FlaskClient, raise_incident: Callable[..., str], user: Login, db: Database
) -> None:
    ref = raise_incident()
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f'<input type="hidden" name="assignee" value="{user.email}">' in page and "Assign to me" in page
    page = act(logged_in, ref, "assign", assignee=user.email)
    assert f"{ref} assigned to {user.email}." in page and "Assign to me" not in page
    assert stored(db, ref).assignee == user.email


def test_a_viewer_sees_no_actions_and_cannot_post_one(
    client: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    ref = raise_incident()
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    page = client.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "/acknowledge" not in page
    response = client.post(f"/incidents/{ref}/acknowledge", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 403
    assert stored(db, ref).status == "open"


def test_an_action_without_its_csrf_token_is_refused(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    assert logged_in.post(f"/incidents/{ref}/resolve").status_code == 400
    assert stored(db, ref).status == "open"


def test_merge_from_the_page_links_both(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    survivor, duplicate = raise_incident("Disk full", dedup_key="a"), raise_incident("Disk full", dedup_key="b")
    page = act(logged_in, duplicate, "merge", into=survivor.lower())
    assert f"{duplicate} merged into {survivor}." in page
    assert f'href="/incidents/{survivor}"' in page


def test_a_merged_incidents_page_says_at_the_top_where_it_is_worked_now(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    survivor, duplicate = raise_incident("Disk full", dedup_key="a"), raise_incident("Disk full", dedup_key="b")
    page = act(logged_in, duplicate, "merge", into=survivor)
    top = page.split('id="merged"', 1)[1].split("Actions", 1)[0]
    assert f'Merged into <a href="/incidents/{survivor}">{survivor}</a>: it is worked there now' in top


def test_reopening_a_merged_incident_from_the_page_is_refused_naming_the_one_to_reopen(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    survivor, duplicate = raise_incident("Disk full", dedup_key="a"), raise_incident("Disk full", dedup_key="b")
    assert ">Reopen</button>" not in act(logged_in, duplicate, "merge", into=survivor)
    page = act(logged_in, duplicate, "reopen")
    assert f"{duplicate} was merged into {survivor}: reopen {survivor} instead" in page
    assert stored(db, duplicate).status == "closed"


def test_acting_on_a_merged_incident_names_the_one_to_work_on_not_reopening_it(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    survivor, duplicate = raise_incident("Disk full", dedup_key="a"), raise_incident("Disk full", dedup_key="b")
    act(logged_in, duplicate, "merge", into=survivor)
    page = act(logged_in, duplicate, "acknowledge")
    assert f"{duplicate} was merged into {survivor}: work on {survivor} instead" in page and "reopen it" not in page
    assert stored(db, duplicate).status == "closed"


def agent_token(db: Database, role: str = "agent") -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name=f'bot-{role}', role=role)}"}


def patched_beside_a_new_priority(
    client: FlaskClient, db: Database, ref: str, **fields: object
) -> tuple[TestResponse, int]:
    """PATCH `ref` with `fields` and a new priority, as an agent's token: the answer and the priority before it, for
    the tests that a refusal of the fields leaves the priority as it was."""
    before = stored(db, ref).priority
    response = client.patch(f"/api/v1/incidents/{ref}", json={"priority": before % 5 + 1, **fields},
                            headers=agent_token(db))  # fmt: skip
    return response, before


def test_api_patch_changes_status_priority_and_assignee(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response = client.patch(
        f"/api/v1/incidents/{ref}",
        json={"status": "acknowledged", "priority": 2, "assignee": "dba-team"},
        headers=agent_token(db),
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body is not None
    assert (body["status"], body["priority"], body["assignee"]) == ("acknowledged", 2, "dba-team")
    assert body["acknowledged_at"] is not None


def test_api_patch_recategorises_and_null_clears(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    headers = agent_token(db)
    client.patch(f"/api/v1/incidents/{ref}", json={"category": "network", "service": "VPN"}, headers=headers)
    response = client.patch(f"/api/v1/incidents/{ref}", json={"service": None}, headers=headers)
    assert response.status_code == 200, response.json
    assert (stored(db, ref).category, stored(db, ref).service) == ("network", None)


def test_api_patch_refuses_a_category_that_is_no_name(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response = client.patch(f"/api/v1/incidents/{ref}", json={"category": ["network"]}, headers=agent_token(db))
    assert response.status_code == 400 and "'category' and 'service' must be names" in response.json["error"]  # type: ignore[index]


def test_api_refuses_reopening_a_merged_incident_with_409(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    survivor, duplicate = raise_incident("Disk full", dedup_key="a"), raise_incident("Disk full", dedup_key="b")
    triage.merge(db, stored(db, duplicate).id, stored(db, survivor).id, Actor("ann@example.com"),
                 Mail("helpdesk@localhost", "http://x"))  # fmt: skip
    response = client.patch(f"/api/v1/incidents/{duplicate}", json={"status": "open"}, headers=agent_token(db))
    assert response.status_code == 409
    assert f"{duplicate} was merged into {survivor}: reopen {survivor} instead" in response.json["error"]  # type: ignore[index]


def test_api_patch_refuses_an_impossible_move_with_409(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response = client.patch(f"/api/v1/incidents/{ref}", json={"status": "closed"}, headers=agent_token(db))
    assert response.status_code == 409
    assert "is open; it cannot become closed from there" in response.json["error"]  # type: ignore[index]


def test_api_patch_with_one_malformed_field_is_a_400_and_changes_nothing(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response, before = patched_beside_a_new_priority(client, db, ref, title=5)
    assert response.status_code == 400 and "'title' must be text" in response.json["error"]  # type: ignore[index]
    assert stored(db, ref).priority == before


def test_api_patch_refuses_an_impossible_move_before_writing_the_other_fields(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response, before = patched_beside_a_new_priority(client, db, ref, status="closed")
    assert response.status_code == 409 and stored(db, ref).priority == before


@pytest.mark.parametrize(
    ("field", "said"),
    [
        ({"assignee": "ghost@example.com"}, "ghost@example.com is not an active user"),
        ({"title": " "}, "the title is empty"),
    ],
)
def test_api_patch_refuses_a_value_the_hub_refuses_before_writing_the_other_fields(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database, field: dict[str, str], said: str
) -> None:
    ref = raise_incident()
    response, before = patched_beside_a_new_priority(client, db, ref, **field)
    assert response.status_code == 409 and said in response.json["error"]  # type: ignore[index]
    assert stored(db, ref).priority == before


def test_api_patch_refused_by_a_write_leaves_the_fields_before_it_unchanged(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    """A reopening that another open incident's dedup key forbids is refused by the status change itself, after the
    priority is written in the same transaction: the priority is rolled back with it."""
    first = raise_incident(dedup_key="disk-db1")
    client.patch(f"/api/v1/incidents/{first}", json={"status": "resolved"}, headers=agent_token(db, "admin"))
    assert raise_incident(dedup_key="disk-db1") != first  # the same alert again: another incident, the same key
    response, before = patched_beside_a_new_priority(client, db, first, status="open")
    assert response.status_code == 409 and "same dedup key" in response.json["error"]  # type: ignore[index]
    assert stored(db, first).priority == before


def test_api_comment_refuses_a_reply_flag_in_quotes(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    headers = agent_token(db)
    ref = raise_incident()
    response = client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "hi", "reply": "true"}, headers=headers)
    assert response.status_code == 400 and "'reply' is true" in response.json["error"]  # type: ignore[index]
    timeline = client.get(f"/api/v1/incidents/{ref}", headers=headers).json["timeline"]  # type: ignore[index]
    assert "note" not in [entry["kind"] for entry in timeline]


@pytest.mark.parametrize(
    ("path", "body"), [("comments", {"text": "hi", "replay": True}), ("time", {"minutes": 5, "wat": "x"})]
)
def test_api_comment_and_time_refuse_unknown_fields(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database, path: str, body: dict[str, object]
) -> None:
    response = client.post(f"/api/v1/incidents/{raise_incident()}/{path}", json=body, headers=agent_token(db))
    assert response.status_code == 400 and "unknown field(s)" in response.json["error"]  # type: ignore[index]


def test_api_patch_names_unknown_fields(client: FlaskClient, raise_incident: Callable[..., str], db: Database) -> None:
    ref = raise_incident()
    response = client.patch(f"/api/v1/incidents/{ref}", json={"colour": "red"}, headers=agent_token(db))
    assert response.status_code == 400 and "colour" in response.json["error"]  # type: ignore[index]


def test_api_patch_with_a_body_nested_thousands_deep_is_a_400_not_a_500(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    body = '{"status": ' + "[" * 50_000 + "]" * 50_000 + "}"
    response = client.patch(f"/api/v1/incidents/{ref}", data=body, content_type="application/json",
                            headers=agent_token(db))  # fmt: skip
    assert response.status_code == 400 and "send a JSON object" in response.json["error"]  # type: ignore[index]


@pytest.mark.parametrize(("path", "ref"), [("/incidents/INC-abc/resolve", "INC-abc"), ("/incidents/xyz/note", "xyz")])
def test_a_form_posted_to_a_malformed_reference_gets_the_no_incident_page(
    logged_in: FlaskClient, path: str, ref: str
) -> None:
    token = csrf_token(logged_in.get("/account").get_data(as_text=True))
    response = logged_in.post(path, data={"csrf_token": token})
    assert response.status_code == 404
    assert f"There is no incident {ref}: check the reference" in response.get_data(as_text=True)


def test_api_patch_on_a_missing_incident_is_404(client: FlaskClient, db: Database) -> None:
    response = client.patch("/api/v1/incidents/INC-999", json={"priority": 1}, headers=agent_token(db))
    assert response.status_code == 404


def test_a_viewer_token_cannot_change_incidents(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response = client.patch(f"/api/v1/incidents/{ref}", json={"priority": 1}, headers=agent_token(db, "viewer"))
    assert response.status_code == 403


def test_api_comment_as_note_and_as_reply(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    headers = agent_token(db)
    note = client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "looking"}, headers=headers)
    assert note.status_code == 201
    assert note.json["timeline"][-1]["kind"] == "note"  # type: ignore[index]
    reply = client.post(f"/api/v1/incidents/{ref}/comments", json={"text": "hi", "reply": True}, headers=headers)
    assert reply.status_code == 409 and "no requester" in reply.json["error"]  # type: ignore[index]
    with db.read() as session:
        assert not list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")))


def test_api_patch_status_open_resumes_a_waiting_incident(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    headers = agent_token(db)
    assert (
        client.patch(f"/api/v1/incidents/{ref}", json={"status": "waiting"}, headers=headers).json["status"]
        == "waiting"
    )  # type: ignore[index]
    assert client.patch(f"/api/v1/incidents/{ref}", json={"status": "open"}, headers=headers).json["status"] == "open"  # type: ignore[index]


def test_watch_and_unwatch_from_the_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str], user: Login
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "watch")
    assert f"{ref} is watched by you" in page and f"/incidents/{ref}/unwatch" in page
    assert f"<dt>Watchers</dt><dd>{user.email}</dd>" in page
    page = act(logged_in, ref, "unwatch")
    assert f"{ref} is no longer watched by you." in page and f"/incidents/{ref}/watch" in page


def test_a_watcher_hears_when_someone_else_resolves_it(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database, user: Login
) -> None:
    ref = raise_incident()
    act(logged_in, ref, "watch")
    response = logged_in.application.test_client().patch(
        f"/api/v1/incidents/{ref}", json={"status": "resolved"}, headers=agent_token(db)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with db.read() as session:
        rows = session.execute(select(OutboxMessage.kind, OutboxMessage.recipient)).all()
    assert [tuple(r) for r in rows] == [("resolved", user.email)]


def test_watch_needs_the_forms_csrf_token(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident()
    assert logged_in.post(f"/incidents/{ref}/watch").status_code == 400


def test_api_incident_lists_its_watchers(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database, api_token: str, user: Login
) -> None:
    ref = raise_incident()
    act(logged_in, ref, "watch")
    answer = logged_in.get(f"/api/v1/incidents/{ref}", headers={"Authorization": f"Bearer {api_token}"})
    assert answer.json is not None and answer.json["watchers"] == [user.email]


def test_api_adds_a_user_as_watcher_and_they_hear_of_the_resolution(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database, make_user: Callable[..., Login]
) -> None:
    ref = raise_incident()
    make_user("carol@example.com")
    headers = agent_token(db)
    added = client.put(f"/api/v1/incidents/{ref}/watchers/Carol@Example.com", headers=headers)
    assert added.status_code == 200 and added.json["watchers"] == ["carol@example.com"]  # type: ignore[index]
    assert "Watched by carol@example.com (set by" in added.json["timeline"][-1]["summary"]  # type: ignore[index]
    again = client.put(f"/api/v1/incidents/{ref}/watchers/carol@example.com", headers=headers)
    assert again.status_code == 200 and again.json["watchers"] == ["carol@example.com"]  # type: ignore[index]
    client.patch(f"/api/v1/incidents/{ref}", json={"status": "resolved"}, headers=headers)
    with db.read() as session:
        told = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "resolved")).all()
    assert told == ["carol@example.com"]


def test_api_removes_a_watcher(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database, make_user: Callable[..., Login]
) -> None:
    ref = raise_incident()
    make_user("carol@example.com")
    headers = agent_token(db)
    client.put(f"/api/v1/incidents/{ref}/watchers/carol@example.com", headers=headers)
    removed = client.delete(f"/api/v1/incidents/{ref}/watchers/carol@example.com", headers=headers)
    assert removed.status_code == 200 and removed.json["watchers"] == []  # type: ignore[index]


def test_api_will_not_make_a_stranger_a_watcher(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    headers = agent_token(db)
    stranger = client.put(f"/api/v1/incidents/{ref}/watchers/someone@elsewhere.example", headers=headers)
    assert stranger.status_code == 409 and "not an active user" in stranger.json["error"]  # type: ignore[index]
    not_an_address = client.put(f"/api/v1/incidents/{ref}/watchers/nobody", headers=headers)
    assert not_an_address.status_code == 400
    viewer = client.put(f"/api/v1/incidents/{ref}/watchers/nobody@x.example", headers=agent_token(db, "viewer"))
    assert viewer.status_code == 403
    with db.read() as session:
        assert session.scalar(select(Incident).where(Incident.id == int(ref[4:]))).watchers == []  # type: ignore[union-attr]


def test_copy_someone_from_the_page_and_the_api_lists_them(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database, api_token: str
) -> None:
    ref = raise_incident()
    with db.transaction() as session:
        stored_incident = session.get(Incident, int(ref.removeprefix("INC-")))
        assert stored_incident is not None
        stored_incident.requester = "ann@example.com"
    page = act(logged_in, ref, "copy", email="Carl@Example.com")
    assert f"{ref} copies carl@example.com: replies and the resolution mail go to them too." in page
    assert 'aria-label="Remove carl@example.com"' in page
    answer = logged_in.get(f"/api/v1/incidents/{ref}", headers={"Authorization": f"Bearer {api_token}"})
    assert answer.json is not None and answer.json["copied"] == ["carl@example.com"]
    page = act(logged_in, ref, "uncopy", email="carl@example.com")
    assert f"{ref} no longer copies carl@example.com." in page


def test_api_copies_someone_once_however_often_asked(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref, headers = raise_incident(), agent_token(db)
    for _ in range(2):
        answer = client.put(f"/api/v1/incidents/{ref}/copied/Carl@Example.org", headers=headers)
        assert answer.status_code == 200 and answer.json == {"copied": ["carl@example.org"]}
    with db.read() as session:
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "copied")).all()
    assert summaries == ["carl@example.org copied on the conversation by token:bot-agent"]


def test_api_refuses_to_copy_one_of_the_desks_people_in_the_pages_words(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database, make_user: Callable[..., Login]
) -> None:
    ref = raise_incident()
    make_user("carol@example.com")
    answer = client.put(f"/api/v1/incidents/{ref}/copied/carol@example.com", headers=agent_token(db))
    assert answer.status_code == 400
    assert answer.json == {"error": "carol@example.com is one of the desk's people: they can watch the incident "
                                    "instead; nothing was changed"}  # fmt: skip


def test_api_removes_someone_copied_and_names_one_who_is_not(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref, headers = raise_incident(), agent_token(db)
    client.put(f"/api/v1/incidents/{ref}/copied/carl@example.org", headers=headers)
    removed = client.delete(f"/api/v1/incidents/{ref}/copied/carl@example.org", headers=headers)
    assert removed.status_code == 200 and removed.json == {"copied": []}
    again = client.delete(f"/api/v1/incidents/{ref}/copied/carl@example.org", headers=headers)
    assert again.status_code == 404 and "carl@example.org is not copied on " in again.json["error"]  # type: ignore[index]
