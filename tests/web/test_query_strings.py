"""Odd values in a query string or a reference in a path get an answer (a page, a 400, a 404), never a 500.

Every page and API route that takes GET is asked with each query argument any view reads, set to values that have
broken number and date parsing before: `²` (a digit to str.isdigit, not to int), more digits than int() reads or
a database integer holds (64-bit, and PostgreSQL's 32-bit ids), a NUL, an impossible date. On both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient

from hub import accounts
from hub.db import Database
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, log_in

#: Every argument a view reads from the query string (grep request.args and IncidentFilter.from_args).
ARGUMENTS = ("action", "against", "at", "days", "dead", "integration", "limit", "next", "related_hours", "service",
             "source", "state", "status", "view", "q", "priority", "assignee", "queue", "category", "page",
             "sort", "major", "overdue", "tz")  # fmt: skip
BIG = "9" * 19  # past a 64-bit integer
ID = "2147483648"  # past PostgreSQL's INTEGER, which it refuses to compare an id with
ODD_VALUES = ("²", "①", BIG, ID, "1" * 5000, "-1", "\x00", "2026-02-30", "99999-01-01", "%", "[", "1e400", f"INC-{BIG}",
              f"INC-{ID}")  # fmt: skip
REFERENCES = (("incidents", "INC"), ("changes", "CHG"), ("problems", "PRB"), ("api/v1/incidents", "INC"),
              ("api/v1/changes", "CHG"), ("api/v1/problems", "PRB"))  # fmt: skip
ODD_PATHS = (f"/incidents/INC-{BIG}", "/incidents/INC-²", f"/changes/CHG-{BIG}", f"/problems/PRB-{BIG}",
             f"/rules/versions/{BIG}", f"/incidents/INC-1/attachments/{BIG}", f"/api/v1/incidents/INC-{BIG}",
             f"/api/v1/changes/CHG-{BIG}", f"/api/v1/events/{BIG}", f"/api/v1/problems/PRB-{BIG}",
             *(f"/{kind}/{prefix}-{ID}" for kind, prefix in REFERENCES),
             f"/rules/versions/{ID}", f"/incidents/INC-1/attachments/{ID}", f"/incidents/INC-{BIG}/review",
             f"/incidents/INC-{ID}/review", f"/api/v1/incidents/INC-{BIG}/review",
             f"/api/v1/incidents/INC-{ID}/review")  # fmt: skip


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login], raise_incident: Callable[..., str]) -> FlaskClient:
    assert log_in(client, make_user(email="root@example.com", role="admin")).status_code == 302
    raise_incident("Disk full")
    return client


def get_routes(client: FlaskClient) -> Iterator[str]:
    for rule in client.application.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and not rule.arguments and not rule.rule.startswith(("/static", "/healthz")):
            yield rule.rule
    yield from ("/incidents/INC-1", "/api/v1/incidents/INC-1", "/rules/versions/1")


@pytest.mark.parametrize("value", ODD_VALUES, ids=[value[:12] for value in ODD_VALUES])
def test_odd_query_values_never_make_a_server_error(admin: FlaskClient, db: Database, value: str) -> None:
    """The value goes first in every argument at once: a page that answers 200 read them all and broke on none.
    Only where that answer is anything else (a view refused or redirected at one argument, and may not have read
    the rest) is each argument asked alone. The same cover as asking each alone everywhere, in a tenth of the
    requests. A test for each value, not one for all: that one grew with every page and, on a loaded machine, ran
    into the two-minute limit a test has; these spread over the workers."""
    with db.transaction() as session:
        token = {"Authorization": f"Bearer {accounts.create_token(session, name='odd', role='admin')}"}
    errors = []
    for path in get_routes(admin):
        together = admin.get(path, query_string=dict.fromkeys(ARGUMENTS, value), headers=token).status_code
        if together >= 500:
            errors.append(f"{path}?<every argument>={value[:12]!r}: {together}")
        if together == 200:
            continue
        for name in ARGUMENTS:
            status = admin.get(path, query_string={name: value}, headers=token).status_code
            if status >= 500:
                errors.append(f"{path}?{name}={value[:12]!r}: {status}")
    assert errors == []


@pytest.mark.parametrize("path", ODD_PATHS)
def test_an_odd_reference_in_a_path_is_not_found(admin: FlaskClient, db: Database, path: str) -> None:
    with db.transaction() as session:
        token = {"Authorization": f"Bearer {accounts.create_token(session, name='odd', role='admin')}"}
    # 405: past 64 bits Werkzeug's int converter lets it go, and /api/v1/events/<name> only takes POST.
    assert admin.get(path, headers=token).status_code in (404, 405)
