"""Knowledge articles through the API: what other tools (a chat bot, a portal) read and are suggested."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from hub import accounts, knowledge
from hub.config import Settings
from hub.db import Database


@pytest.fixture
def token(db: Database) -> str:
    with db.transaction() as session:
        return accounts.create_token(session, name="portal", role="viewer")


@pytest.fixture
def printer(db: Database) -> int:
    with db.transaction() as session:
        knowledge.add(session, title="VPN runbook", body="Internal: restart the gateway.", by="a@x")  # a draft
        return knowledge.add(session, title="When the printer jams", keywords="paper, toner", published=True,
                             body="Open tray 2.", by="ann@example.com").id  # fmt: skip


def get(client: FlaskClient, path: str, token: str) -> tuple[int, object]:
    answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.json


def test_suggest_answers_what_an_acknowledgement_would_offer(
    client: FlaskClient, settings: Settings, token: str, printer: int
) -> None:
    code, found = get(client, "/api/v1/articles/suggest?text=The printer on floor 3 eats paper", token)
    assert code == 200 and found == [{"title": "When the printer jams", "url": f"{settings.base_url}/help/{printer}"}]
    assert get(client, "/api/v1/articles/suggest?text=restart the gateway", token) == (200, [])  # drafts: never


def test_suggest_without_a_text_or_with_too_long_a_one_is_400(client: FlaskClient, token: str) -> None:
    assert get(client, "/api/v1/articles/suggest", token)[0] == 400
    assert get(client, f"/api/v1/articles/suggest?text={'a' * 10_001}", token)[0] == 400


def test_the_list_holds_drafts_for_the_desks_tokens_and_one_article_its_text(
    client: FlaskClient, token: str, printer: int
) -> None:
    code, listed = get(client, "/api/v1/articles", token)
    assert code == 200 and isinstance(listed, list)
    assert {(a["title"], a["published"], a["url"] is None) for a in listed} == {
        ("When the printer jams", True, False),
        ("VPN runbook", False, True),
    }
    assert "body" not in listed[0]
    code, one = get(client, f"/api/v1/articles/{printer}", token)
    assert code == 200 and isinstance(one, dict) and one["body"] == "Open tray 2."
    assert one["keywords"] == ["paper", "toner"]
    assert get(client, "/api/v1/articles/999", token)[0] == 404


def test_the_articles_api_needs_a_token(client: FlaskClient) -> None:
    assert client.get("/api/v1/articles/suggest?text=printer").status_code == 401
