"""An integration's settings, on/off switch, removal and heartbeats, changed from its page by an admin
(web/integration_settings.py), through the hub functions `switchboard integration set|remove` and
`switchboard heartbeat add|remove` use."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape
from typing import Any

import click
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, heartbeats
from hub.db import Database
from hub.heartbeat_cli import heartbeat_add
from hub.models import AuditEntry, Heartbeat, Integration
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, csrf_token, log_in, post_event
from web.integration_forms import HeartbeatForm

PAGE = "/integrations/monitoring"
NONE = {"rate_limit": "", "reopen_window": "", "auto_resolve_after": "", "threshold": "", "flapping": ""}


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login], integration: IntegrationCredentials) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def send(client: FlaskClient, path: str, **fields: str) -> Any:
    token = csrf_token(client.get(PAGE).get_data(as_text=True))
    return client.post(f"{PAGE}{path}", data={"csrf_token": token, **fields}, follow_redirects=True)


def row(db: Database) -> Integration:
    with db.read() as session:
        return session.scalars(select(Integration).where(Integration.name == "monitoring")).one()


def audited(db: Database) -> list[tuple[str, str, dict[str, Any] | None]]:
    with db.read() as session:
        return [(e.actor, e.action, e.detail) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.mark.parametrize(
    ("field", "typed", "columns", "stored"),
    [
        ("rate_limit", "600", ("rate_limit",), (600,)),
        ("reopen_window", "15m", ("reopen_window",), (900,)),
        ("auto_resolve_after", "4h", ("auto_resolve_after",), (14400,)),
        ("threshold", "3/5m", ("threshold", "threshold_window"), (3, 300)),
        ("flapping", "4/10m", ("flap_changes", "flap_window"), (4, 600)),
    ],
)
def test_each_setting_is_saved_as_typed_audited_and_shown_again(
    admin: FlaskClient, db: Database, field: str, typed: str, columns: tuple[str, ...], stored: tuple[int, ...]
) -> None:
    page = unescape(send(admin, "/settings", **{**NONE, field: typed}).get_data(as_text=True))
    assert tuple(getattr(row(db), column) for column in columns) == stored
    assert f"{typed} (was none)" in page and f'name="{field}" type="text" value="{typed}"' in page
    assert audited(db)[-1][:2] == ("root@example.com", "integration.configure") and field in audited(db)[-1][2]  # type: ignore[operator]


def test_an_empty_field_clears_its_setting(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        accounts.configure_integration(session, "monitoring", reopen_window=900, rate_limit=600)
    page = unescape(send(admin, "/settings", **{**NONE, "rate_limit": "600"}).get_data(as_text=True))
    assert (row(db).reopen_window, row(db).rate_limit) == (None, 600)
    assert "Saved: reopen window none (was 15m). Every web process" in page


def test_a_value_that_is_not_a_duration_is_named_beside_its_field_with_what_was_typed(
    admin: FlaskClient, db: Database
) -> None:
    answer = send(admin, "/settings", **{**NONE, "threshold": "3 per 5m", "reopen_window": "15m"})
    page = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200 and "The threshold: '3 per 5m' is not a count within a time" in page
    assert 'value="3 per 5m"' in page and 'value="15m"' in page
    assert (row(db).threshold, row(db).reopen_window) == (None, None)


def test_every_mistyped_setting_is_named_beside_its_own_field_in_one_answer(admin: FlaskClient, db: Database) -> None:
    answer = send(admin, "/settings", **{**NONE, "rate_limit": "lots", "flapping": "x/5m", "reopen_window": "15m"})
    page = unescape(answer.get_data(as_text=True))
    rate, flapping = page.index("The rate limit: 'lots'"), page.index("The flapping: 'x/5m'")
    assert page.index('name="rate_limit"') < rate < page.index('name="flapping"') < flapping
    assert (row(db).rate_limit, row(db).flap_changes, row(db).reopen_window) == (None, None, None)


def test_a_value_the_hub_refuses_is_named_beside_its_field(admin: FlaskClient, db: Database) -> None:
    page = unescape(send(admin, "/settings", **{**NONE, "auto_resolve_after": "0m"}).get_data(as_text=True))
    assert "The quiet time before auto-resolve (seconds) must be at least 1" in page
    assert page.index("must be at least 1") > page.index('name="auto_resolve_after"')


def test_disabling_refuses_its_events_with_the_answer_the_page_names(
    admin: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    before = admin.get(PAGE).get_data(as_text=True)
    assert "refused with 404 (no enabled integration by that name)" in before
    assert "disabled" in send(admin, "/enabled", enabled="no").get_data(as_text=True)
    refused = post_event(admin, integration.name, integration.secret, {"title": "Disk full"})
    assert refused.status_code == 404 and "enable it on its page" in refused.get_json()["error"]
    assert audited(db)[-1][1:] == ("integration.configure", {"enabled": False})


def test_enabling_again_accepts_its_events(
    admin: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    with db.transaction() as session:
        accounts.configure_integration(session, "monitoring", enabled=False)
    send(admin, "/enabled", enabled="yes")
    assert post_event(admin, integration.name, integration.secret, {"title": "Disk full"}).status_code == 202


def test_an_integration_whose_events_are_kept_is_not_removed_and_disabling_is_offered(
    admin: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    post_event(admin, integration.name, integration.secret, {"title": "Disk full"})
    page = send(admin, "/remove").get_data(as_text=True)
    assert "monitoring cannot be removed: its events are kept" in page and "disable it instead" in page
    assert row(db).enabled


def test_an_unused_integration_is_removed_with_its_heartbeats_and_audited(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        heartbeats.add(session, "monitoring", "watchdog", "5m")
    page = send(admin, "/remove").get_data(as_text=True)
    assert "Integration monitoring removed." in page
    with db.read() as session:
        assert session.scalars(select(Integration)).all() == [] and session.scalars(select(Heartbeat)).all() == []
    assert audited(db)[-1][1:] == ("integration.remove", None)


def test_admin_adds_a_heartbeat_from_the_page(admin: FlaskClient, db: Database) -> None:
    page = send(admin, "/heartbeats", heartbeat="nightly-backup", every="1d").get_data(as_text=True)
    assert (
        "Heartbeat nightly-backup added: a ping every 1 d" in page
        and '<td data-label="Name">nightly-backup</td>' in page
    )
    assert audited(db)[-1][1:] == ("heartbeat.add", {"every": "1d"})


def test_a_heartbeat_refused_is_explained_with_what_was_typed(admin: FlaskClient, db: Database) -> None:
    page = unescape(send(admin, "/heartbeats", heartbeat="watchdog", every="30s").get_data(as_text=True))
    assert "'30s' is not a duration" in page and 'value="watchdog"' in page
    with db.read() as session:
        assert session.scalars(select(Heartbeat)).all() == []


def test_a_mistyped_heartbeat_name_and_interval_are_each_named_beside_their_field(
    admin: FlaskClient, db: Database
) -> None:
    page = unescape(send(admin, "/heartbeats", heartbeat=" ", every="30s").get_data(as_text=True))
    name, every = page.index("A heartbeat needs a name"), page.index("'30s' is not a duration")
    assert page.index('name="heartbeat"') < name < page.index('name="every"') < every
    with db.read() as session:
        assert session.scalars(select(Heartbeat)).all() == []


def test_a_heartbeat_of_a_taken_name_is_refused_above_the_form(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        heartbeats.add(session, "monitoring", "watchdog", "5m")
    page = unescape(send(admin, "/heartbeats", heartbeat="watchdog", every="10m").get_data(as_text=True))
    said = page.index("Monitoring has a heartbeat 'watchdog' already; remove it first")
    assert page.index("<h3>Add a heartbeat</h3>") < said < page.index('name="every"')


def test_admin_removes_a_heartbeat(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        heartbeats.add(session, "monitoring", "watchdog", "5m")
    page = send(admin, "/heartbeats/remove", heartbeat="watchdog").get_data(as_text=True)
    assert "Heartbeat watchdog removed" in page and '<td data-label="Name">watchdog</td>' not in page
    assert audited(db)[-1][1:] == ("heartbeat.remove", None)


def test_agents_see_the_settings_but_no_form_to_change_them(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, integration: IntegrationCredentials
) -> None:
    with db.transaction() as session:
        accounts.configure_integration(session, "monitoring", threshold=(3, 300))
    log_in(client, make_user(role="agent"))
    page = client.get(PAGE).get_data(as_text=True)
    assert "<dt>Threshold</dt><dd>3/5m</dd>" in page
    assert "Save settings" not in page and "Add heartbeat" not in page and "Disable monitoring" not in page


def test_a_refused_setting_shows_the_saved_mapping_still(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        accounts.configure_integration(session, "monitoring", mapping={"title": "alert.text"})
    page = unescape(send(admin, "/settings", **{**NONE, "reopen_window": "soon"}).get_data(as_text=True))
    assert "is not a duration" in page and '"title": "alert.text"' in page


def test_the_heartbeat_forms_hints_are_the_commands_option_help() -> None:
    options = {param.name: param.help for param in heartbeat_add.params if isinstance(param, click.Option)}
    assert HeartbeatForm.every.kwargs["description"] == options["every"]
    assert HeartbeatForm.heartbeat.kwargs["description"] == options["name"]
