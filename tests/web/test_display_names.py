"""Display names in the web UI: each person sets theirs on /account, an admin sets anyone's on /users, both checked
as `switchboard user create --name` is and audited; agents then see names where people are shown (the list's and
the incident page's assignee, who did a timeline entry, the assignee fields' and the note box's suggestions, a major
incident's coordinator and its review, a problem's owner, a change's requester and approvers, who is on call),
addresses still submitted and written."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import (
    accounts,
    changes,
    cis,
    groups,
    incident_notes,
    major_incidents,
    name_words,
    oncall,
    problem_links,
    problems,
    reviews,
    triage,
)
from hub.agent_action import Actor, Mail
from hub.audit import recent
from hub.db import Database
from hub.models import TimelineEntry, User, utcnow
from tests.web.helpers import Login, csrf_token, log_in, statements

ME = "agent@example.com"  # the `user` fixture
MAIL = Mail("helpdesk@localhost", "http://x")


def name_of(db: Database, email: str) -> str | None:
    with db.read() as session:
        return session.scalar(select(User.display_name).where(User.email == email))


def name(db: Database, email: str, display_name: str) -> None:
    with db.transaction() as session:
        session.execute(update(User).where(User.email == email).values(display_name=display_name))


def set_own(client: FlaskClient, typed: str) -> str:
    token = csrf_token(client.get("/account").get_data(as_text=True))
    response = client.post("/account/name", data={"csrf_token": token, "name": typed}, follow_redirects=True)
    return response.get_data(as_text=True)


def test_a_person_names_themselves_on_the_account_page_and_it_is_audited(logged_in: FlaskClient, db: Database) -> None:
    page = set_own(logged_in, "  Alice   Smith ")
    assert "Your name is now Alice Smith." in page and 'value="Alice Smith"' in page
    assert name_of(db, ME) == "Alice Smith"
    with db.read() as session:
        [entry] = recent(session, action="user.name")
    assert (entry.actor, entry.target, entry.detail) == (ME, ME, {"name": "Alice Smith"})


def test_saving_the_same_name_again_is_not_audited_and_blank_goes_back_to_the_address(
    logged_in: FlaskClient, db: Database
) -> None:
    set_own(logged_in, "Alice Smith")
    set_own(logged_in, "Alice Smith")
    assert "signed with your address&#39;s first part again" in set_own(logged_in, "")
    assert name_of(db, ME) is None
    with db.read() as session:
        assert [e.detail for e in recent(session, action="user.name")] == [{"name": None}, {"name": "Alice Smith"}]


def test_a_name_the_cli_refuses_is_refused_beside_the_field_and_nothing_changes(
    logged_in: FlaskClient, db: Database
) -> None:
    token = csrf_token(logged_in.get("/account").get_data(as_text=True))
    response = logged_in.post("/account/name", data={"csrf_token": token, "name": "alice@example.com"})
    assert response.status_code == 400
    assert "a display name is up to 100 characters on one line, without @ &lt; &gt;" in response.get_data(as_text=True)
    assert name_of(db, ME) is None


def test_an_admin_names_someone_on_the_users_page_audited_as_theirs(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    make_user()
    log_in(client, make_user(email="root@example.com", role="admin"))
    with db.read() as session:
        agent_id = accounts.user_by_email(session, ME).id
    token = csrf_token(client.get("/users").get_data(as_text=True))
    answer = client.post(f"/users/{agent_id}/name", data={"csrf_token": token, "name": "Bob O'Brien"},
                         follow_redirects=True)  # fmt: skip
    assert f"{ME} is now named Bob O&#39;Brien." in answer.get_data(as_text=True)
    assert name_of(db, ME) == "Bob O'Brien"
    with db.read() as session:
        [entry] = recent(session, action="user.name")
    assert (entry.actor, entry.target, entry.detail) == ("root@example.com", ME, {"name": "Bob O'Brien"})
    refused = client.post(f"/users/{agent_id}/name", data={"csrf_token": token, "name": "Bob <b@x.org>"},
                          follow_redirects=True)  # fmt: skip
    assert "Nothing changed: a display name is up to 100 characters" in refused.get_data(as_text=True)
    assert name_of(db, ME) == "Bob O'Brien"


def test_an_admin_adding_a_person_may_name_them(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    log_in(client, make_user(email="root@example.com", role="admin"))
    token = csrf_token(client.get("/users").get_data(as_text=True))
    client.post("/users", data={"csrf_token": token, "email": "cy@example.com", "role": "agent",
                                "password": "a long passphrase", "name": "Cy Young"})  # fmt: skip
    assert name_of(db, "cy@example.com") == "Cy Young"


def test_the_list_and_the_incident_page_name_the_assignee_and_who_wrote(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")  # as stored by older code: escaped wherever shown
    ref = raise_incident()
    incident_id = int(ref.removeprefix("INC-"))
    triage.assign(db, incident_id, "bob@example.com", Actor("bob@example.com"), MAIL)
    incident_notes.add_note(db, incident_id, "On it", Actor("bob@example.com"))
    shown = '<span class="person" title="bob@example.com">Bob &lt;Builder&gt;</span>'
    assert f'<td data-label="Assignee">{shown}</td>' in logged_in.get("/incidents").get_data(as_text=True)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f"<dt>Assignee</dt><dd>{shown}</dd>" in page
    assert f"Assigned to {shown} by {shown}" in page and f"Note by {shown}" in page
    assert 'class="by"' not in page  # each line names who did it itself: not said twice
    assert 'value="bob@example.com" label="Bob &lt;Builder&gt;"' in page  # the Assign field's suggestion


def test_someone_without_a_name_is_shown_by_address(logged_in: FlaskClient, db: Database,
                                                     raise_incident: Callable[..., str]) -> None:  # fmt: skip
    ref = raise_incident()
    triage.assign(db, int(ref.removeprefix("INC-")), ME, Actor(ME), MAIL)
    assert f'<td data-label="Assignee">{ME}</td>' in logged_in.get("/incidents").get_data(as_text=True)
    assert 'class="by"' not in logged_in.get(f"/incidents/{ref}").get_data(as_text=True)


def test_the_list_names_its_assignees_in_one_read_however_many_rows(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    def queries() -> int:
        with statements(db) as sent:
            assert logged_in.get("/incidents").status_code == 200
        return len(sent)

    for n in range(2):
        make_user(email=f"p{n}@example.com")
        name(db, f"p{n}@example.com", f"Person {n}")
    first = raise_incident("Disk 0", dedup_key="0")
    triage.assign(db, int(first.removeprefix("INC-")), "p0@example.com", Actor(ME), MAIL)
    one = queries()
    for n in range(1, 6):
        ref = raise_incident(f"Disk {n}", dedup_key=str(n))
        triage.assign(db, int(ref.removeprefix("INC-")), f"p{n % 2}@example.com", Actor(ME), MAIL)
    page = logged_in.get("/incidents").get_data(as_text=True)
    assert len(re.findall(r'<span class="person" title="p\d@example.com">Person \d</span>', page)) == 6
    assert queries() == one


def test_assignee_suggestions_show_a_name_beside_the_address_they_submit(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    make_user(email="bobby@example.com")
    name(db, "bob@example.com", "Bob Smith")
    assert logged_in.get("/suggest/assignees?q=bob").get_json() == [
        {"value": "bob@example.com", "label": "Bob Smith"},
        "bobby@example.com",
    ]


def declare_major(db: Database, ref: str, coordinator: str) -> None:
    incident_id = int(ref.removeprefix("INC-"))
    major_incidents.declare(db, incident_id, "Nobody can run payroll", Actor(ME), MAIL, coordinator=coordinator)


BOB = '<span class="person" title="bob@example.com">Bob &lt;Builder&gt;</span>'


def test_a_major_incidents_card_names_its_coordinator_and_who_declared_it(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    name(db, ME, "Ann Lee")
    ref = raise_incident()
    declare_major(db, ref, "bob@example.com")
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f'<strong id="coordinator">{BOB}</strong>' in page
    assert f'Declared by <span class="person" title="{ME}">Ann Lee</span>' in page


def test_the_banners_name_each_coordinator_and_the_lists_major_badge_says_it_in_its_tooltip(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    declare_major(db, raise_incident(), "bob@example.com")
    listed = logged_in.get("/incidents").get_data(as_text=True)
    assert f"coordinator {BOB}, declared" in listed
    assert 'title="Coordinator: Bob &lt;Builder&gt; (bob@example.com)">major</span>' in listed
    assert f"coordinator {BOB}, declared" in logged_in.get("/dashboard").get_data(as_text=True)


def test_a_coordinator_without_a_name_is_shown_by_address(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    declare_major(db, ref, ME)
    assert f'<strong id="coordinator">{ME}</strong>' in logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    listed = logged_in.get("/incidents").get_data(as_text=True)
    assert f"coordinator {ME}, declared" in listed and f'title="Coordinator: {ME}">major</span>' in listed


def test_the_note_box_offers_colleagues_by_name_with_the_handle_it_writes(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    make_user(email="bonnie@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    page = logged_in.get(f"/incidents/{raise_incident()}").get_data(as_text=True)
    people = [{"address": "bob@example.com", "handle": "bob", "name": "Bob <Builder>", "words": ["bob", "builder"]},
              {"address": "bonnie@example.com", "handle": "bonnie"}]  # fmt: skip
    assert "data-mention-people='" + json.dumps(people).replace("<", "\\u003c").replace(">", "\\u003e") in page
    # What the server answers it matched already: the script does not test its words again.
    assert logged_in.get("/suggest/people?q=bo").get_json() == [{k: v for k, v in p.items() if k != "words"}
                                                                for p in people]  # fmt: skip


def test_the_note_box_is_handed_the_servers_own_table_of_letters_to_fold(
    logged_in: FlaskClient, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    page = logged_in.get(f"/incidents/{raise_incident()}").get_data(as_text=True)
    [folding] = re.findall(r"data-mention-folding='([^']*)'", page)
    assert json.loads(html.unescape(folding)) == name_words.FOLDED


def reviewed(
    db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str], *, started_by: str
) -> str:
    """A major incident Bob ("Bob <Builder>") coordinated, resolved, its review started by `started_by`."""
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    ref = raise_incident()
    declare_major(db, ref, "bob@example.com")
    incident_id = int(ref.removeprefix("INC-"))
    triage.change_status(db, incident_id, "resolve", Actor(ME), MAIL, resolution="Freed disk")
    reviews.start(db, incident_id, Actor(started_by))
    return ref


def test_a_reviews_pages_name_its_coordinator_and_who_started_it(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    ref = reviewed(db, make_user, raise_incident, started_by="bob@example.com")
    assert f'<td data-label="Coordinator">{BOB}</td>' in logged_in.get("/reviews").get_data(as_text=True)
    page = logged_in.get(f"/incidents/{ref}/review").get_data(as_text=True)
    assert f"Coordinated by {BOB}." in page and f"Started by {BOB};" in page


def test_a_problems_owner_and_who_filed_it_are_named(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    with db.transaction() as session:
        ref = problems.file(session, "Disks fill up", "bob@example.com", owner="bob@example.com").ref
    assert f'<td data-label="Owner">{BOB}</td>' in logged_in.get("/problems").get_data(as_text=True)
    page = logged_in.get(f"/problems/{ref}").get_data(as_text=True)
    assert f"<dt>Owner</dt><dd>{BOB}</dd>" in page and f"<dt>Filed by</dt><dd>{BOB}</dd>" in page


def test_a_problems_history_names_who_did_each_thing(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    with db.transaction() as session:
        ref = problems.file(session, "Disks fill up", "bob@example.com").ref
    page = logged_in.get(f"/problems/{ref}").get_data(as_text=True)
    assert f'<p class="entry-summary">{BOB} filed it</p>' in page


def test_the_groups_page_names_their_members(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="root@example.com", role="admin"))
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    with db.transaction() as session:
        groups.save_group(session, "dba", ["bob@example.com"])
    assert BOB in client.get("/groups").get_data(as_text=True)


def test_a_cis_owner_is_named_on_its_page_and_in_the_list(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    with db.transaction() as session:
        cis.create(session, cis.CiFields(name="db1", kind="server", owner="bob@example.com"))
    assert f"<dt>Owner</dt><dd>{BOB}</dd>" in logged_in.get("/cis/db1").get_data(as_text=True)
    assert f'<td data-label="Owner">{BOB}</td>' in logged_in.get("/cis").get_data(as_text=True)


def test_the_message_after_assigning_names_the_assignee(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    ref = raise_incident()
    token = csrf_token(logged_in.get(f"/incidents/{ref}").get_data(as_text=True))
    page = logged_in.post(f"/incidents/{ref}/assign", data={"csrf_token": token, "assignee": "bob@example.com"},
                          follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert f"{ref} assigned to Bob &lt;Builder&gt; (bob@example.com)." in page


def test_the_message_after_declaring_a_major_incident_names_its_coordinator(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob Stone")
    ref = raise_incident()
    token = csrf_token(logged_in.get(f"/incidents/{ref}").get_data(as_text=True))
    form = {"csrf_token": token, "reason": "Payroll down", "coordinator": "bob@example.com"}
    page = logged_in.post(f"/incidents/{ref}/major", data=form, follow_redirects=True).get_data(as_text=True)
    assert f"{ref} is a major incident, coordinated by Bob Stone (bob@example.com)." in page


def test_the_message_after_changing_a_groups_members_names_them(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="root@example.com", role="admin"))
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob Stone")
    token = csrf_token(client.get("/groups").get_data(as_text=True))
    page = client.post("/groups", data={"csrf_token": token, "name": "dba", "members": "bob@example.com"},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Group dba: Bob Stone (bob@example.com)." in page


def test_a_changes_requester_and_approvers_are_named(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    with db.transaction() as session:
        new = changes.NewChange(title="Rotate keys", approvers=("bob@example.com", ME))
        ref = changes.create(session, new, "bob@example.com").ref
    page = logged_in.get(f"/changes/{ref}").get_data(as_text=True)
    assert f"<dt>Requested by</dt><dd>{BOB}</dd>" in page
    assert f"<li>{BOB}:" in page and f"<li>{ME}:" in page  # no name: the address


def test_a_changes_history_names_who_did_each_step(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    with db.transaction() as session:
        ref = changes.create(session, changes.NewChange(title="Rotate keys", approvers=(ME,)), "bob@example.com").ref
        changes.advance(session, ref, "assess", "bob@example.com")
    page = logged_in.get(f"/changes/{ref}").get_data(as_text=True)
    assert f'<p class="entry-summary">by {BOB}</p>' in page
    assert f'<p class="entry-summary">by {BOB}: new → assessed</p>' in page


def test_the_on_call_page_names_who_is_on_call_and_the_rota(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    with db.transaction() as session:
        groups.save_group(session, "dba", ["bob@example.com"])
        oncall.set_rotation(session, "dba", zone="UTC", shift="1w", handoff="mon 09:00", now=utcnow())
    page = logged_in.get("/oncall").get_data(as_text=True)
    assert f"<strong>{BOB}</strong> is on call" in page
    assert f" in turn ({BOB})," in page and f'<td data-label="On call">{BOB}</td>' in page


ANN = f'<span class="person" title="{ME}">Ann Lee</span>'


def test_a_timeline_line_names_the_colleagues_it_writes_by_address_and_keeps_the_rest_as_stored(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    make_user(email="carol@example.com")  # no name: her address stays
    name(db, "bob@example.com", "Bob <Builder>")
    name(db, ME, "Ann Lee")
    ref = raise_incident()
    incident_id = int(ref.removeprefix("INC-"))
    triage.assign(db, incident_id, "bob@example.com", Actor(ME), MAIL)
    triage.assign(db, incident_id, "carol@example.com", Actor(ME.upper()), MAIL)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f'<p class="entry-summary">Assigned to {BOB} by {ANN}</p>' in page
    upper = f'<span class="person" title="{ME.upper()}">Ann Lee</span>'  # as written, on hover
    assert f'<p class="entry-summary">Assigned to carol@example.com by {upper}</p>' in page
    with db.read() as session:
        stored = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "assigned")).all()
    assert stored == [f"Assigned to bob@example.com by {ME}", f"Assigned to carol@example.com by {ME.upper()}"]


def test_a_mails_timeline_line_says_what_was_sent_naming_its_recipient(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    ref = raise_incident()
    triage.assign(db, int(ref.removeprefix("INC-")), "bob@example.com", Actor(ME), MAIL)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f'<p class="entry-summary">Assignment mail to {BOB} queued</p>' in page  # stored "assigned to ..."


def test_a_timeline_line_names_a_colleague_whose_address_has_an_apostrophe(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="o'brien@example.com")
    name(db, "o'brien@example.com", "Olive O'Brien")
    ref = raise_incident()
    triage.assign(db, int(ref.removeprefix("INC-")), "o'brien@example.com", Actor(ME), MAIL)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    olive = '<span class="person" title="o&#39;brien@example.com">Olive O&#39;Brien</span>'
    assert f'<p class="entry-summary">Assigned to {olive} by {ME}</p>' in page


def test_the_reviews_timeline_names_the_colleagues_its_lines_write(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    ref = reviewed(db, make_user, raise_incident, started_by=ME)
    page = logged_in.get(f"/incidents/{ref}/review").get_data(as_text=True)
    assert f"Declared a major incident by {ME}: Nobody can run payroll. Coordinator: {BOB}</p>" in page


def test_a_hostile_timeline_line_stays_text_around_the_names_it_gains(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    make_user(email="bob@example.com")
    name(db, "bob@example.com", "Bob <Builder>")
    ref = raise_incident()
    with db.transaction() as session:
        problem = problems.file(session, '<script>alert(1)</script><a href="mailto:bob@example.com">', ME)
    problem_links.link(db, int(ref.removeprefix("INC-")), problem.id, Actor(ME))
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "<script>alert" not in page and '<a href="mailto:' not in page
    assert f"&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#34;mailto:{BOB}&#34;&gt; (by {ME})</p>" in page


def test_naming_the_timelines_colleagues_adds_no_read_however_many_its_lines_name(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    def queries(ref: str) -> int:
        with statements(db) as sent:
            assert logged_in.get(f"/incidents/{ref}").status_code == 200
        return len(sent)

    for n in range(4):
        make_user(email=f"p{n}@example.com")
        name(db, f"p{n}@example.com", f"Person {n}")
    ref = raise_incident()
    incident_id = int(ref.removeprefix("INC-"))
    triage.assign(db, incident_id, "p0@example.com", Actor(ME), MAIL)
    one = queries(ref)
    for n in range(1, 4):
        triage.assign(db, incident_id, f"p{n}@example.com", Actor(ME), MAIL)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert len(re.findall(r'Assigned to <span class="person" title="p\d@example.com">Person \d</span>', page)) == 4
    assert queries(ref) == one
