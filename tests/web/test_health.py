"""GET /healthz: 200 only when the database and Redis both answer; otherwise 503 naming what failed. GET
/healthz/intake: 200 while the database answers, whatever Redis does."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from hub.config import Settings
from hub.db import Database
from tests.conftest import make_settings
from tests.docs import fenced
from web import create_app


def test_healthz_is_ok_when_database_and_redis_answer(settings: Settings, db: Database, redis_url: str) -> None:
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_naming_redis_when_it_is_unreachable(settings: Settings, db: Database, closed_port: int) -> None:
    closed = f"redis://127.0.0.1:{closed_port}/0"
    client = create_app(make_settings(settings.home, redis_url=closed), db=db).test_client()
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "redis": "unavailable"}
    assert time.monotonic() - started < 5, "a dead Redis must not hang the health check"


def test_healthz_is_503_when_redis_is_not_configured(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json is not None and response.json["redis"] == "not configured"


@pytest.mark.parametrize("path", ["/healthz", "/healthz/intake"])
def test_healthz_is_503_naming_the_database_when_it_cannot_be_opened(tmp_path: Path, redis_url: str, path: str) -> None:
    (tmp_path / "a-directory").mkdir()
    unopenable = f"sqlite:///{tmp_path / 'a-directory'}"
    settings = make_settings(tmp_path / "var", database_url=unopenable, redis_url=redis_url)
    response = create_app(settings).test_client().get(path)
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unavailable", "redis": "ok"}


def test_healthz_sets_no_cookie(client: FlaskClient) -> None:
    assert "Set-Cookie" not in client.get("/healthz").headers


def test_the_intakes_check_is_ok_while_redis_is_away_and_says_so_as_the_readme_shows(
    settings: Settings, db: Database, closed_port: int
) -> None:
    [block] = fenced("README.md", "Running the parts separately", "sh")
    command, shown = block.splitlines()
    url = command.split()[-1]
    assert url.startswith("http://127.0.0.1:8000/")
    closed = f"redis://127.0.0.1:{closed_port}/0"
    client = create_app(make_settings(settings.home, redis_url=closed), db=db).test_client()
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == shown.removeprefix("# ").split(": answered 200")[0]


def test_the_intakes_check_is_503_when_the_database_cannot_be_opened(tmp_path: Path, redis_url: str) -> None:
    (tmp_path / "a-directory").mkdir()
    unopenable = f"sqlite:///{tmp_path / 'a-directory'}"
    settings = make_settings(tmp_path / "var", database_url=unopenable, redis_url=redis_url)
    response = create_app(settings).test_client().get("/healthz/intake")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unavailable", "redis": "ok"}
