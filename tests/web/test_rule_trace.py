"""The rules' decision trace on the incident page: which rules matched, on which conditions, what each set."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient


def test_incident_timeline_shows_the_matching_rule_its_condition_and_what_it_set(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident("Disk full on db1", severity="critical")
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "Default: everything goes to the service desk: matched" in page
    assert "because source exists (got &#39;generic&#39;)" in page
    assert "assignee = service-desk" in page and "category = general" in page
