"""Each agent's queue: the incidents assigned to them or to a group they are in (`queue=mine`, or a person's
address), and the ones no one was assigned (`queue=unassigned`), on the list, its CSV, the API and the dashboard.
On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from hub import accounts, api_tokens, groups, rulebook, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.incident_search import FilterError, IncidentFilter
from rules import rules_file
from tests.staff import agents, deactivate
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.conftest import PASSWORD
from tests.web.helpers import Login, log_in, statements
from web.queries import incident_id

MEMBER = "ann@example.com"  # in network
COLLEAGUE = "bob@example.com"  # in network too
OUTSIDER = "dan@example.com"  # in no group
#: Who the desk's alerts go to: the rules assign each by its `to` label; one without is left unassigned.
TARGETS = ("network", "db", MEMBER, COLLEAGUE)


def use_routes(db: Database, *targets: str) -> None:
    """A rule book that assigns an alert to its `to` label's target, and nothing else (no default assignee)."""
    routes = "".join(
        f"- {{name: 'to {to}', when: {{field: labels.to, op: equals, value: '{to}'}}, set: {{assignee: '{to}'}}}}\n"
        for to in targets
    )
    parsed = rules_file.parse_file(f"rules:\n{routes}")
    with db.transaction() as session:
        rulebook.replace_all(session, parsed.rules, parsed.settings)


@pytest.fixture
def desk(db: Database, make_user: Callable[..., Login], raise_incident: Callable[..., str]) -> dict[str, str]:
    """Groups network (the member and a colleague) and db (someone else); one open incident for each target, and
    one for no one (its key "nobody"): their refs by target."""
    for email in (MEMBER, COLLEAGUE, OUTSIDER):
        make_user(email=email)
    with db.transaction() as session:
        groups.save_group(session, "network", agents(session, MEMBER, COLLEAGUE))
        groups.save_group(session, "db", agents(session, "carol@example.com"))
    use_routes(db, *TARGETS)
    made = {to: raise_incident(f"For {to}", dedup_key=to, labels={"to": to}) for to in TARGETS}
    return {**made, "nobody": raise_incident("For no one", dedup_key="nobody")}


def logged_in_as(client: FlaskClient, email: str) -> FlaskClient:
    assert log_in(client, Login(email, PASSWORD)).status_code == 302
    return client


@pytest.fixture
def member(client: FlaskClient, desk: dict[str, str]) -> FlaskClient:
    return logged_in_as(client, MEMBER)


def refs(page: str) -> list[str]:
    return re.findall(r'<a class="ref" href="/incidents/(INC-\d+)">', page)


def csv_refs(client: FlaskClient, query: str) -> list[str]:
    response = client.get(f"/incidents.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [row["ref"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff")))]


def api_refs(client: FlaskClient, db: Database, query: str) -> list[str]:
    with db.transaction() as session:
        token = accounts.create_token(session, name="queue-script", role="viewer")
    response = client.get(f"/api/v1/incidents?{query}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [incident["ref"] for incident in response.json]  # type: ignore[union-attr]


def current_links(page: str) -> list[str]:
    """The labels of the filter links marked as the current choice."""
    return re.findall(r'<a [^>]*aria-current="true"[^>]*>([^<]*)</a>', page)


def href(page: str, pattern: str) -> str:
    """The address of the first link whose tag and text match `pattern` (its `href` is the group)."""
    match = re.search(pattern, page)
    assert match, f"no link like {pattern!r} on the page"
    return html.unescape(match.group(1))


# -- what the queue holds ----------------------------------------------------------------------------------------


def test_my_queue_holds_what_is_assigned_to_me_and_to_my_groups_not_other_groups_or_colleagues(
    member: FlaskClient, desk: dict[str, str]
) -> None:
    page = member.get("/incidents?queue=mine").get_data(as_text=True)
    assert sorted(refs(page)) == sorted([desk["network"], desk[MEMBER]])


def test_unassigned_lists_the_incidents_with_no_assignee_not_those_of_groups_with_an_active_member(
    member: FlaskClient, desk: dict[str, str]
) -> None:
    assert refs(member.get("/incidents?queue=unassigned").get_data(as_text=True)) == [desk["nobody"]]


def test_an_incident_assigned_to_a_queue_no_group_holds_is_counted_and_listed_as_unassigned(
    member: FlaskClient, desk: dict[str, str], db: Database, raise_incident: Callable[..., str]
) -> None:
    use_routes(db, *TARGETS, "service-desk")  # the seeded default rule's queue, and no group of that name
    waiting = raise_incident("For the service desk", dedup_key="desk", labels={"to": "service-desk"})
    assert refs(member.get("/incidents?queue=unassigned").get_data(as_text=True)) == [waiting, desk["nobody"]]
    href(member.get("/dashboard").get_data(as_text=True), r'<a href="([^"]*)" id="waiting-unassigned"[^>]*>2 open')


def test_an_incidents_page_says_when_no_group_holds_its_queue(
    member: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    use_routes(db, *TARGETS, "service-desk")
    waiting = raise_incident("For the service desk", dedup_key="desk", labels={"to": "service-desk"})
    page = member.get(f"/incidents/{waiting}").get_data(as_text=True)
    assert "(in no one's queue: no group with an active member holds it, so it is listed as Unassigned)" in page


def test_an_incident_of_a_group_whose_members_are_all_deactivated_is_unassigned(
    client: FlaskClient, db: Database, desk: dict[str, str]
) -> None:
    deactivate(db, "carol@example.com")  # db's only member
    assert api_refs(client, db, "queue=unassigned") == [desk["nobody"], desk["db"]]


def test_the_csv_holds_my_queue_and_the_unassigned_as_the_list_does(member: FlaskClient, desk: dict[str, str]) -> None:
    assert sorted(csv_refs(member, "queue=mine")) == sorted([desk["network"], desk[MEMBER]])
    assert csv_refs(member, "queue=unassigned") == [desk["nobody"]]


def test_the_api_gives_a_persons_queue_by_their_address(
    client: FlaskClient, db: Database, desk: dict[str, str]
) -> None:
    assert sorted(api_refs(client, db, f"queue={MEMBER}")) == sorted([desk["network"], desk[MEMBER]])


def test_the_api_lists_the_unassigned(client: FlaskClient, db: Database, desk: dict[str, str]) -> None:
    assert api_refs(client, db, "queue=unassigned") == [desk["nobody"]]


def test_the_api_refuses_queue_mine_to_a_desk_token_saying_it_belongs_to_no_one(
    client: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        token = accounts.create_token(session, name="queue-script", role="admin")
    response = client.get("/api/v1/incidents?queue=mine", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert "a desk's API token belongs to no one" in response.json["error"]  # type: ignore[index]


def test_queue_mine_with_a_personal_token_is_its_persons_queue(
    client: FlaskClient, db: Database, desk: dict[str, str]
) -> None:
    with db.transaction() as session:
        token = api_tokens.create_token(session, name="ann-laptop", owner=MEMBER)
    response = client.get("/api/v1/incidents?queue=mine", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    assert sorted(row["ref"] for row in response.json) == sorted([desk["network"], desk[MEMBER]])  # type: ignore[union-attr]


def test_a_queue_is_found_whatever_the_case_of_the_address(
    client: FlaskClient, db: Database, desk: dict[str, str]
) -> None:
    assert sorted(api_refs(client, db, "queue=Ann@Example.COM")) == sorted([desk["network"], desk[MEMBER]])


def test_a_queue_is_mine_unassigned_or_an_address_and_never_a_group_name() -> None:
    for value in ("network", "nobody", "@none"):
        with pytest.raises(FilterError, match="'queue' must be mine, unassigned or a person's address"):
            IncidentFilter.from_args({"queue": value}, me=MEMBER)


def test_the_queue_combines_with_the_other_filters(member: FlaskClient, desk: dict[str, str]) -> None:
    assert refs(member.get("/incidents?queue=mine&q=network").get_data(as_text=True)) == [desk["network"]]


def test_a_bad_filter_shows_a_member_everything_and_still_offers_my_queue(
    member: FlaskClient, desk: dict[str, str]
) -> None:
    page = member.get("/incidents?queue=network").get_data(as_text=True)
    assert "&#39;queue&#39; must be mine, unassigned or a person&#39;s address" in page
    assert len(refs(page)) == len(desk) and ">My queue</a>" in page


# -- the links ---------------------------------------------------------------------------------------------------


def test_a_member_of_a_group_is_offered_my_queue_and_it_is_marked_when_chosen(
    member: FlaskClient, desk: dict[str, str]
) -> None:
    offered = member.get("/incidents").get_data(as_text=True)
    assert href(offered, r'<a href="([^"]*)" title="Assigned to you or to network" >My queue</a>') == (
        "/incidents?queue=mine"
    )
    assert current_links(offered) == ["All"]
    chosen = member.get("/incidents?queue=mine").get_data(as_text=True)
    assert current_links(chosen) == ["All", "My queue"]
    assert href(chosen, r'<a href="([^"]*)"[^>]*>My queue</a>') == "/incidents"  # a second click takes it away


def test_someone_in_no_group_is_not_offered_my_queue(client: FlaskClient, desk: dict[str, str]) -> None:
    page = logged_in_as(client, OUTSIDER).get("/incidents").get_data(as_text=True)
    assert ">Mine</a>" in page and ">Unassigned</a>" in page
    assert ">My queue</a>" not in page


def test_unassigned_is_marked_when_chosen_and_replaces_mine(member: FlaskClient, desk: dict[str, str]) -> None:
    page = member.get(f"/incidents?assignee={MEMBER}").get_data(as_text=True)
    assert current_links(page) == ["All", "Mine"]
    unassigned = member.get(href(page, r'<a href="([^"]*)" >Unassigned</a>')).get_data(as_text=True)
    assert current_links(unassigned) == ["All", "Unassigned"] and refs(unassigned) == [desk["nobody"]]


def test_the_queue_survives_paging_sorting_searching_and_the_download(
    member: FlaskClient, desk: dict[str, str], db: Database, raise_incident: Callable[..., str]
) -> None:
    for n in range(50):  # with the two of the desk, 52: two pages
        raise_incident(f"Switch {n} down", dedup_key=f"switch-{n}", labels={"to": "network"})
    first = member.get("/incidents?queue=mine").get_data(as_text=True)
    assert "52 incidents, page 1 of 2" in first
    second = member.get(href(first, r'<a rel="next" href="([^"]*)">')).get_data(as_text=True)
    assert len(refs(second)) == 2 and "52 incidents, page 2 of 2" in second
    by_priority = member.get(href(first, r'<a href="([^"]*)">Priority</a>')).get_data(as_text=True)
    assert "52 incidents, page 1 of 2" in by_priority
    assert '<input type="hidden" name="queue" value="mine">' in first  # the search form keeps it
    assert len(csv_refs(member, href(first, r'<a href="/incidents.csv\?([^"]*)" download>'))) == 52


def test_the_list_reads_my_queue_in_the_same_queries_in_one_group_or_three(
    member: FlaskClient, desk: dict[str, str], db: Database
) -> None:
    """The groups are a subquery of the incidents' query, not a lookup per group."""

    def queries_for_my_queue() -> int:
        with statements(db) as sent:
            assert member.get("/incidents?queue=mine").status_code == 200
        return len(sent)

    one = queries_for_my_queue()
    with db.transaction() as session:
        groups.save_group(session, "db", agents(session, "carol@example.com", MEMBER))
        groups.save_group(session, "storage", agents(session, MEMBER))
    page = member.get("/incidents?queue=mine").get_data(as_text=True)
    assert sorted(refs(page)) == sorted([desk["network"], desk["db"], desk[MEMBER]])
    assert queries_for_my_queue() == one


# -- the dashboard and the groups page ---------------------------------------------------------------------------


def test_the_dashboard_counts_what_waits_open_in_my_queue_and_unassigned_and_links_to_those_lists(
    member: FlaskClient, desk: dict[str, str], db: Database
) -> None:
    triage.change_status(db, incident_id(desk[MEMBER]) or 0, "acknowledge", Actor(MEMBER),
                         Mail("helpdesk@localhost", "http://x"))  # fmt: skip
    page = member.get("/dashboard").get_data(as_text=True)
    for element, count, listed in (("waiting-queue", "1 open in my queue", [desk["network"]]),
                                   ("waiting-unassigned", "1 open unassigned", [desk["nobody"]])):  # fmt: skip
        link = href(page, rf'<a href="([^"]*)" id="{element}"[^>]*>{count}</a>')
        assert refs(member.get(link).get_data(as_text=True)) == listed


def test_the_dashboard_shows_someone_in_no_group_what_is_assigned_to_them(
    client: FlaskClient, desk: dict[str, str]
) -> None:
    page = logged_in_as(client, OUTSIDER).get("/dashboard").get_data(as_text=True)
    link = href(page, r'<a href="([^"]*)" id="waiting-queue">0 open assigned to me</a>')
    assert link == f"/incidents?status=open&assignee={OUTSIDER}"


def test_the_dashboard_shows_a_viewer_no_queue(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(email="vera@example.com", role="viewer"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Open incidents" in page and 'id="waiting"' not in page


def test_each_group_on_the_groups_page_links_to_its_open_incidents(
    client: FlaskClient, make_user: Callable[..., Login], desk: dict[str, str], db: Database
) -> None:
    log_in(client, make_user(email="root@example.com", role="admin"))
    acknowledged = incident_id(desk["network"]) or 0  # and still open: the link lists it
    triage.change_status(db, acknowledged, "acknowledge", Actor(MEMBER), Mail("helpdesk@localhost", "http://x"))
    page = client.get("/groups").get_data(as_text=True)
    link = href(page, r'<a href="([^"]*)">Open incidents<span class="visually-hidden"> assigned to network</span>')
    assert refs(client.get(link).get_data(as_text=True)) == [desk["network"]]
