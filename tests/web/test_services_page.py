"""The service catalogue's page, /services: everyone reads the services, their unresolved incidents, the SLA policies
and the calendars; admins add and edit services and add and remove policies, audited, as the CLI does. On SQLite
and PostgreSQL (the counts are grouped queries)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import groups
from hub.calendars import add_calendar
from hub.catalogue import Targets, add_policy, add_service
from hub.db import Database
from hub.models import AuditEntry, Incident, Service
from tests.staff import agents
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, csrf_token, log_in, statements
from web.queries import incident_id

H = timedelta(hours=1)


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def add_service_on_page(client: FlaskClient, **fields: str) -> str:
    """Post the page's "Add a service" form as a browser does; the page shown after it, as text."""
    token = csrf_token(client.get("/services").get_data(as_text=True))
    data = {"service-csrf_token": token, **{f"service-{name}": value for name, value in fields.items()}}
    return client.post("/services", data=data, follow_redirects=True).get_data(as_text=True)


def add_policy_on_page(client: FlaskClient, **fields: str) -> str:
    token = csrf_token(client.get("/services").get_data(as_text=True))
    data = {"policy-csrf_token": token, "policy-warn_at": "0.75",
            **{f"policy-{name}": value for name, value in fields.items()}}  # fmt: skip
    return client.post("/services/policies", data=data, follow_redirects=True).get_data(as_text=True)


def edit_on_page(client: FlaskClient, name: str, **fields: str) -> str:
    token = csrf_token(client.get(f"/services/{name}/edit").get_data(as_text=True))
    response = client.post(f"/services/{name}/edit", data={"csrf_token": token, **fields}, follow_redirects=True)
    return response.get_data(as_text=True)


def row_of(page: str, service: str) -> str:
    """The catalogue table's row of `service`, as HTML."""
    [row] = [r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if f'<td data-label="Service">{service}</td>' in r]
    return row


def cell(row: str, label: str) -> str:
    found = re.search(rf'<td data-label="{label}">(.*?)</td>', row, re.S)
    assert found, label
    return found.group(1)


def flashes(page: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', page, re.S)]


def audited(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as session:
        return [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# -- services ----------------------------------------------------------------------------------------------------


def test_an_admin_adds_a_service_with_an_owner_group_and_sees_it_listed(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        groups.save_group(session, "messaging", agents(session, "ann@example.com"))
    page = add_service_on_page(admin, name="mail", owner_group="messaging", description="Exchange and the MX relays")
    assert flashes(page) == ["Service mail added."]
    row = row_of(page, "mail")
    assert cell(row, "Owner group") == "messaging" and cell(row, "What it is") == "Exchange and the MX relays"
    assert cell(row, "Status page") == "—"


def test_a_service_owned_by_a_group_not_made_yet_is_added_with_a_warning(admin: FlaskClient) -> None:
    page = add_service_on_page(admin, name="mail", owner_group="messaging")
    [said] = flashes(page)
    assert said.startswith("Service mail added. But there is no group 'messaging' yet")
    assert cell(row_of(page, "mail"), "Owner group") == "messaging"


def test_a_duplicate_name_is_refused_beside_the_name_field(admin: FlaskClient) -> None:
    add_service_on_page(admin, name="mail")
    page = add_service_on_page(admin, name=" mail ", description="again")
    assert re.search(
        r'id="service-name"[^>]*>\s*<p class="muted" id="service-name-help">[^<]*</p>\s*'
        r"<p class=\"field-error\">There is already a service named &#39;mail&#39;; "
        r"`switchboard service list` shows them.</p>",
        page,
    ), page
    assert "again" not in cell(row_of(page, "mail"), "What it is")


def test_a_name_the_cli_would_refuse_is_refused_with_its_words(admin: FlaskClient, db: Database) -> None:
    page = add_service_on_page(admin, name="x" * 101)
    assert "A service needs a name of 1 to 100 characters on one line." in page
    with db.read() as session:
        assert session.scalar(select(AuditEntry.id)) is None


def test_editing_public_puts_a_service_on_the_status_page_and_off_again(
    admin: FlaskClient, client: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", description="Email for everyone")
    assert client.get("/status").status_code == 404  # no public service: no status page

    page = edit_on_page(admin, "mail", public="y", description="Email for everyone", owner_group="")
    assert flashes(page) == ["Service mail saved; shown on the status page."]
    status = client.get("/status")
    assert status.status_code == 200 and "Email for everyone" in status.get_data(as_text=True)

    edit_on_page(admin, "mail", description="Email for everyone", owner_group="")  # an unticked box is not sent
    assert client.get("/status").status_code == 404


def test_an_edit_changes_the_owner_group_and_description_and_audits_what_moved(
    admin: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", owner_group="messaging", description="Exchange")
    page = edit_on_page(admin, "mail", owner_group="", description="Exchange Online")
    row = row_of(page, "mail")
    assert (cell(row, "Owner group"), cell(row, "What it is")) == ("—", "Exchange Online")
    with db.read() as session:
        [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.target) == ("root@example.com", "service.change", "mail")
    assert entry.detail == {"owner_group": None, "description": "Exchange Online"}


def test_editing_an_unknown_service_is_not_found(admin: FlaskClient) -> None:
    assert admin.get("/services/nothing-such/edit").status_code == 404


def test_a_service_named_with_a_slash_is_edited_by_its_link(admin: FlaskClient) -> None:
    page = add_service_on_page(admin, name="ops/eu")
    assert 'href="/services/ops/eu/edit"' in page
    assert "Edit ops/eu" in admin.get("/services/ops/eu/edit").get_data(as_text=True)


def test_a_service_named_under_the_policies_pages_is_refused_beside_the_name_field(
    admin: FlaskClient, db: Database
) -> None:
    page = add_service_on_page(admin, name="policies/x")
    assert ("A service&#39;s name cannot start with &#39;policies/&#39;: /services/policies/... are the SLA "
            "policies&#39; pages; name it e.g. &#39;policies-x&#39;.") in page  # fmt: skip
    with db.read() as session:
        assert session.scalar(select(AuditEntry.id)) is None


def test_a_service_named_so_before_is_listed_without_an_edit_link_that_would_open_a_policy(
    admin: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:  # as a service could be named before names under /services/policies/ were refused
        session.add(Service(name="policies/x"))
    row = row_of(admin.get("/services").get_data(as_text=True), "policies/x")
    assert "/services/policies/x/edit" not in row
    assert "its address is the SLA policies'): rename it with <code>switchboard service rename</code>" in row


def test_html_in_a_description_is_shown_as_text(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", description='<script>alert("x")</script><b>bold</b>')
    page = admin.get("/services").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    shown = cell(row_of(page, "mail"), "What it is")
    assert shown == "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_read_the_catalogue_but_are_offered_no_changes(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, role: str
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", owner_group="messaging")
        add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
    log_in(client, make_user(email=f"{role}@example.com", role=role))
    page = client.get("/services").get_data(as_text=True)
    assert cell(row_of(page, "mail"), "Owner group") == "messaging" and '<td data-label="Policy">P1</td>' in page
    assert "Add a service" not in page and "Add an SLA policy" not in page and "Remove…" not in page
    assert "/services/mail/edit" not in page
    token = csrf_token(page)
    assert client.post("/services", data={"service-csrf_token": token, "service-name": "web"}).status_code == 403


# -- the counts --------------------------------------------------------------------------------------------------


def test_each_service_counts_its_unresolved_incidents_by_status_linked_to_the_list(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        add_service(session, name="vpn")
    opened = [raise_incident(f"Mail {n}", dedup_key=f"mail-{n}", labels={"service": "mail"}) for n in range(4)]
    raise_incident("Elsewhere", dedup_key="other")
    with db.transaction() as session:
        for ref, status in zip(opened[1:], ("acknowledged", "waiting", "resolved"), strict=True):
            row = session.get(Incident, incident_id(ref))
            assert row is not None
            row.status = status
    page = admin.get("/services").get_data(as_text=True)
    assert cell(row_of(page, "mail"), "Unresolved incidents") == (
        '<a href="/incidents?service=mail&amp;status=open">1 open</a>, '
        '<a href="/incidents?service=mail&amp;status=acknowledged">1 acknowledged</a>, '
        '<a href="/incidents?service=mail&amp;status=waiting">1 waiting</a>'
    )
    assert cell(row_of(page, "vpn"), "Unresolved incidents") == "none"
    listed = admin.get("/incidents?service=mail&status=open").get_data(as_text=True)
    assert re.findall(r'<a class="ref" href="/incidents/(INC-\d+)">', listed) == [opened[0]]


def test_the_page_is_read_in_as_many_queries_however_many_services_policies_and_incidents(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    def queries_for_the_page() -> int:
        with statements(db) as sent:
            assert admin.get("/services").status_code == 200
        return len(sent)

    with db.transaction() as session:
        add_service(session, name="svc0")
        add_policy(session, name="P1 svc0", priority=1, service="svc0", targets=Targets(resolution=4 * H))
    raise_incident("Down", dedup_key="0", severity="critical", labels={"service": "svc0"})
    one = queries_for_the_page()
    with db.transaction() as session:
        add_calendar(session, name="office", tz="Europe/Berlin", hours="mon-fri 09:00-17:00")
        for n in range(1, 6):
            add_service(session, name=f"svc{n}", owner_group="messaging")
            add_policy(session, name=f"P1 svc{n}", priority=1, service=f"svc{n}", calendar="office",
                       targets=Targets(resolution=4 * H))  # fmt: skip
        groups.save_group(session, "messaging", agents(session, "ann@example.com"))
    for n in range(1, 6):
        raise_incident("Down", dedup_key=str(n), severity="critical", labels={"service": f"svc{n}"})
    page = admin.get("/services").get_data(as_text=True)
    assert [cell(row_of(page, f"svc{n}"), "Unresolved incidents").count("1 open") for n in range(6)] == [1] * 6
    assert queries_for_the_page() == one


# -- SLA policies ------------------------------------------------------------------------------------------------


def test_policies_for_every_service_are_listed_apart_from_those_naming_one(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        add_calendar(session, name="office", tz="Europe/Berlin", hours="mon-fri 09:00-17:00", country="DE")
        add_policy(session, name="P3", priority=3, calendar="office", targets=Targets(resolution=72 * H))
        add_policy(session, name="P1 mail", priority=1, service="mail", targets=Targets(first_response=H / 2))
    page = admin.get("/services").get_data(as_text=True)
    every = page[page.index('id="policies-every-service"') : page.index("For one service")]
    one = page[page.index('id="policies-one-service"') :]
    assert "P3" in every and "P1 mail" not in every and "3 d" in every and "office" in every
    assert '<td data-label="Policy">P1 mail</td>' in one and "first response 30 min" in one
    assert cell(row_of(page, "mail"), "SLA policies naming it") == "P1 mail (P1)"
    assert "office: Europe/Berlin, mon-fri 09:00-17:00; holidays DE" in page  # as `calendar list` prints it


def test_a_policy_added_on_the_page_starts_clocks_on_the_next_matching_incident(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
    before = raise_incident("Mail down", dedup_key="before", severity="critical", labels={"service": "mail"})
    page = add_policy_on_page(admin, name="P1 mail", priority="P1", first_response="30m", resolution="4h",
                              service="mail", warn_at="0.8")  # fmt: skip
    assert flashes(page) == ["SLA policy P1 mail added: incidents opened from now on that it fits get its clocks."]
    after = raise_incident("Mail down again", dedup_key="after", severity="critical", labels={"service": "mail"})
    elsewhere = raise_incident("Disk full", dedup_key="disk", severity="critical")
    with db.read() as session:
        opened = {ref: session.get(Incident, incident_id(ref)) for ref in (before, after, elsewhere)}
    clocked = opened[after]
    assert clocked is not None and clocked.sla_due_at == clocked.first_seen + 4 * H
    assert clocked.sla_response_warn_at == clocked.first_seen + 0.8 * (H / 2)
    assert [opened[ref].sla_policy_id for ref in (before, elsewhere)] == [None, None]  # type: ignore[union-attr]
    assert ("root@example.com", "sla.add", "P1 mail") in audited(db)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"resolution": "4 hours"}, "resolution", "&#39;4 hours&#39; is not a duration; write a number and a unit"),
        ({"resolution": ""}, "resolution", "A policy needs a first-response or a resolution target"),
        ({"resolution": "4h", "calendar": "nope"}, "calendar", "There is no calendar &#39;nope&#39;"),
        ({"resolution": "4h", "warn_at": "1.5"}, "warn_at", "Warn-at is a share of the target between 0 and 1"),
        (
            {"resolution": "4h", "kind": "problem"},
            "kind",
            "The kind is &#39;incident&#39; (incidents) or &#39;request&#39; (service requests), not &#39;problem&#39;",
        ),
    ],
)
def test_a_policy_the_cli_would_refuse_is_refused_beside_its_field(
    admin: FlaskClient, db: Database, fields: dict[str, str], field: str, message: str
) -> None:
    page = add_policy_on_page(admin, **{"name": "P1", "priority": "P1", **fields})
    after_field = page[page.index(f'id="policy-{field}"') :]
    assert after_field[: after_field.index("</div>")].count(message) == 1, page
    assert "Nothing" not in flashes(page) and audited(db) == []


def test_a_policy_removed_on_the_page_stops_applying_to_new_incidents(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
        add_policy(session, name="P1 slow", priority=1, targets=Targets(resolution=8 * H))
    running = raise_incident("Disk full", dedup_key="disk", severity="critical")
    page = admin.get("/services").get_data(as_text=True)
    assert '<td data-label="Running clocks">1</td>' in page
    assert "1 unresolved incident(s) run clocks under it: they are re-planned" in page  # said before the button

    removed = admin.post("/services/policies/P1/remove", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert flashes(removed.get_data(as_text=True)) == [
        "SLA policy P1 removed; 1 unresolved incident(s) re-planned under the policy that now fits."
    ]
    later = raise_incident("CPU hot", dedup_key="cpu", severity="critical")
    with db.read() as session:
        replanned, new = (session.get(Incident, incident_id(ref)) for ref in (running, later))
    assert replanned is not None and replanned.sla_due_at == replanned.first_seen + 8 * H  # under P1 slow now
    assert new is not None and new.sla_due_at == new.first_seen + 8 * H
    assert ("root@example.com", "sla.remove", "P1") in audited(db)


def test_removing_a_policy_that_is_gone_says_so(admin: FlaskClient) -> None:
    page = admin.get("/services").get_data(as_text=True)
    answer = admin.post("/services/policies/P9/remove", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert flashes(answer.get_data(as_text=True)) == [
        "Nothing changed: there is no SLA policy 'P9'; `switchboard sla list` shows them."
    ]


def test_removing_a_policy_needs_the_pages_token(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
    assert admin.post("/services/policies/P1/remove").status_code == 400
    assert '<td data-label="Policy">P1</td>' in admin.get("/services").get_data(as_text=True)
