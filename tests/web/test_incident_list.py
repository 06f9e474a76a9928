"""The incident list: filters, search, sorting, pages and bulk actions, on the page and in the API."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from hub import accounts
from hub.db import Database
from hub.incident_search import FilterError, IncidentFilter
from tests.web.helpers import add_incidents, bearer, csrf_token


def refs(page: str) -> list[str]:
    return re.findall(r'<a class="ref" href="/incidents/(INC-\d+)">', page)


def test_filter_arguments_are_checked_and_name_the_bad_one() -> None:
    assert IncidentFilter.from_args({"priority": "2", "q": " disk ", "sort": "priority"}) == IncidentFilter(
        priority=2, text="disk", sort="priority"
    )
    for args, name in (({"priority": "9"}, "priority"), ({"sort": "colour"}, "sort"), ({"status": "x"}, "status")):
        with pytest.raises(FilterError, match=f"'{name}'"):
            IncidentFilter.from_args(args)


def test_several_statuses_are_read_each_once_in_the_order_given() -> None:
    assert IncidentFilter.from_args({"status": " acknowledged, open,,open "}).statuses == ("acknowledged", "open")
    with pytest.raises(FilterError, match="'status' must be one of open, acknowledged, waiting, resolved, closed, or "
                                          "several joined by commas"):  # fmt: skip
        IncidentFilter.from_args({"status": "open,solved"})


def test_several_statuses_list_the_incidents_in_any_of_them_on_the_page_in_the_csv_and_in_the_api(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    from hub import triage
    from hub.agent_action import Actor, Mail

    waiting, open_, resolved = (raise_incident(title, dedup_key=title) for title in ("Waiting", "Open", "Resolved"))
    mail = Mail("helpdesk@localhost", "http://x")
    triage.change_status(db, 1, "wait", Actor("root"), mail)
    triage.change_status(db, 3, "resolve", Actor("root"), mail)
    page = logged_in.get("/incidents?status=waiting,open").get_data(as_text=True)
    assert refs(page) == [open_, waiting] and "2 incidents" in page
    assert '<input type="hidden" name="status" value="waiting,open">' in page  # the search form keeps both
    csv = logged_in.get("/incidents.csv?status=waiting,open").get_data(as_text=True)
    assert waiting in csv and open_ in csv and resolved not in csv
    with db.transaction() as session:
        token = accounts.create_token(session, name="statuses", role="viewer")
    answer = logged_in.get("/api/v1/incidents?status=waiting,open", headers={"Authorization": f"Bearer {token}"})
    assert [i["ref"] for i in answer.json] == [open_, waiting]  # type: ignore[union-attr]


def test_filter_links_keep_the_other_arguments() -> None:
    filt = IncidentFilter(status="open", text="disk", page=3)
    assert filt.args(page=4) == {"status": "open", "q": "disk", "page": 4}
    assert filt.args(sort="priority", page=1) == {"status": "open", "q": "disk", "sort": "priority"}


def test_text_search_finds_titles_and_references(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    disk = raise_incident("Disk full on db1", dedup_key="disk")
    raise_incident("CPU hot on web1", dedup_key="cpu")
    assert refs(logged_in.get("/incidents?q=disk").get_data(as_text=True)) == [disk]
    assert refs(logged_in.get(f"/incidents?q={disk.lower()}").get_data(as_text=True)) == [disk]


def test_search_treats_like_wildcards_as_plain_text(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    raise_incident("Disk full", dedup_key="a")
    assert refs(logged_in.get("/incidents?q=%25").get_data(as_text=True)) == []


def test_priority_filter_and_sort(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    low = raise_incident("Low", severity="info", dedup_key="low")
    high = raise_incident("High", severity="critical", dedup_key="high")
    assert refs(logged_in.get("/incidents?sort=priority").get_data(as_text=True)) == [high, low]
    assert refs(logged_in.get("/incidents?priority=1").get_data(as_text=True)) == [high]


def test_requester_and_service_filters(logged_in: FlaskClient, db: Database) -> None:
    from hub import triage
    from hub.agent_action import Actor
    from ingest.logged_intake import log_incident
    from web.services import services

    with logged_in.application.app_context():
        intake = services().intake
        ann = log_incident(intake, {"title": "Printer", "requester": "ann@example.com"}, by="agent@example.com").ref
        log_incident(intake, {"title": "VPN", "requester": "bob@example.com"}, by="agent@example.com")
    triage.categorise(db, 2, Actor("agent@example.com"), service="VPN")
    assert refs(logged_in.get("/incidents?requester=Ann@Example.com").get_data(as_text=True)) == [ann]
    assert refs(logged_in.get("/incidents?service=VPN").get_data(as_text=True)) == ["INC-2"]


def test_mine_shows_what_is_assigned_to_me_and_toggles_off(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    from hub import triage
    from hub.agent_action import Actor, Mail

    mine = raise_incident("Disk full", dedup_key="a")
    raise_incident("CPU hot", dedup_key="b")
    triage.assign(db, 1, "agent@example.com", Actor("root"), Mail("helpdesk@localhost", "http://x"))
    page = logged_in.get("/incidents").get_data(as_text=True)
    assert '<a href="/incidents?assignee=agent@example.com" >Mine</a>' in page
    narrowed = logged_in.get("/incidents?assignee=agent%40example.com").get_data(as_text=True)
    assert refs(narrowed) == [mine] and '<a href="/incidents" aria-current="true">Mine</a>' in narrowed


def test_pages_of_fifty_with_links_between_them(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    made = [raise_incident(f"Alert {n}", dedup_key=f"k{n}") for n in range(52)]
    first = logged_in.get("/incidents").get_data(as_text=True)
    assert len(refs(first)) == 50 and "52 incidents, page 1 of 2" in first
    second = logged_in.get("/incidents?page=2").get_data(as_text=True)
    assert refs(second) == [made[1], made[0]]


def test_past_ten_thousand_the_page_says_more_than_that_and_links_the_next_page(
    logged_in: FlaskClient, db: Database
) -> None:
    add_incidents(db, 10_001)
    first = logged_in.get("/incidents").get_data(as_text=True)
    assert "More than 10,000 incidents, page 1</span>" in first
    assert '<a rel="next" href="/incidents?page=2">' in first


def test_a_page_past_ten_thousand_counts_to_its_end_and_the_last_says_so(logged_in: FlaskClient, db: Database) -> None:
    add_incidents(db, 10_001)
    deep = logged_in.get("/incidents?page=200").get_data(as_text=True)
    assert "More than 10,000 incidents, page 200</span>" in deep and 'rel="next"' in deep
    last = logged_in.get("/incidents?page=201").get_data(as_text=True)
    assert refs(last) == ["INC-1"] and "10001 incidents, page 201 of 201" in last and 'rel="next"' not in last


def test_the_api_counts_every_match_unless_asked_to_stop_past_ten_thousand(
    client: FlaskClient, db: Database, api_token: str
) -> None:
    add_incidents(db, 10_001)
    exact = client.get("/api/v1/incidents?limit=1", headers=bearer(api_token))
    capped = client.get("/api/v1/incidents?limit=1&total=capped", headers=bearer(api_token))
    assert (exact.headers["X-Total-Count"], exact.headers["X-Total-Count-Exact"]) == ("10001", "true")
    assert (capped.headers["X-Total-Count"], capped.headers["X-Total-Count-Exact"]) == ("10000", "false")


def test_the_apis_total_is_exact_or_capped(client: FlaskClient, api_token: str) -> None:
    answer = client.get("/api/v1/incidents?total=rough", headers=bearer(api_token))
    assert answer.status_code == 400 and "'total' must be exact" in answer.json["error"]  # type: ignore[index]


def test_a_bad_filter_on_the_page_explains_and_shows_everything(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident()
    page = logged_in.get("/incidents?priority=high").get_data(as_text=True)
    assert "&#39;priority&#39; must be a whole number from 1 to 5" in page and len(refs(page)) == 1


def test_bulk_resolve_changes_each_ticked_incident_and_reports_the_rest(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    a, b = raise_incident("A", dedup_key="a"), raise_incident("B", dedup_key="b")
    token = csrf_token(logged_in.get("/incidents").get_data(as_text=True))
    logged_in.post("/incidents/bulk", data={"csrf_token": token, "action": "resolve", "ids": [a]})
    response = logged_in.post("/incidents/bulk", data={"csrf_token": token, "action": "resolve", "ids": [a, b]})
    assert response.status_code == 303
    page = logged_in.get("/incidents").get_data(as_text=True)
    assert f"Resolved 1: {b}; {a} is resolved; only" in page


@pytest.mark.parametrize(
    ("back", "lands_on"),
    [
        ("/incidents?status=open", "/incidents?status=open"),
        ("https://evil.example/", "/incidents"),
        ("//evil.example", "/incidents"),
    ],
)
def test_bulk_goes_back_to_the_list_it_came_from_and_nowhere_else(
    logged_in: FlaskClient, raise_incident: Callable[..., str], back: str, lands_on: str
) -> None:
    ref = raise_incident()
    token = csrf_token(logged_in.get("/incidents").get_data(as_text=True))
    response = logged_in.post("/incidents/bulk", data={"csrf_token": token, "action": "acknowledge", "ids": [ref],
                                                       "back": back})  # fmt: skip
    assert response.headers["Location"] == lands_on


def test_the_bulk_form_carries_the_lists_address_as_the_browser_asked_for_it_under_a_proxys_prefix_too(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident()
    plain = logged_in.get("/incidents").get_data(as_text=True)
    prefixed = logged_in.get("/incidents?status=open", base_url="http://localhost/desk").get_data(as_text=True)
    assert '<input type="hidden" name="back" value="/incidents">' in plain
    assert '<input type="hidden" name="back" value="/desk/incidents?status=open">' in prefixed


def test_api_list_filters_and_counts(client: FlaskClient, raise_incident: Callable[..., str], db: Database) -> None:
    raise_incident("Disk full", dedup_key="disk")
    raise_incident("CPU hot", dedup_key="cpu")
    with db.transaction() as session:
        headers = {"Authorization": f"Bearer {accounts.create_token(session, name='t', role='viewer')}"}
    response = client.get("/api/v1/incidents?q=cpu&limit=1", headers=headers)
    assert [i["title"] for i in response.json] == ["CPU hot"]  # type: ignore[union-attr]
    assert response.headers["X-Total-Count"] == "1"
