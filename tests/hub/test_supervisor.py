"""`switchboard up`'s care of its embedded Redis (started again when it dies, but not without end), and what it
says when no one can log in yet."""

from __future__ import annotations

import time
from pathlib import Path

import click
import pytest
import redis

from hub import accounts
from hub.accounts import FIRST_ADMIN_COMMAND
from hub.config import Settings
from hub.db import Database
from hub.net import free_port
from hub.redis_server import RedisServer
from hub.supervisor import MAX_RESTARTS, RESTART_WINDOW, _first_login_hint, _restart_redis


def test_a_redis_that_died_long_ago_too_is_started_again(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", port=free_port(), persist=False)
    restarts = [time.monotonic() - RESTART_WINDOW - 1] * MAX_RESTARTS  # all outside the window
    try:
        _restart_redis(server, restarts)
        assert not server.exited and len(restarts) == 1
    finally:
        server.stop()


def test_a_redis_that_keeps_dying_stops_the_hub_pointing_at_its_log(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", port=free_port(), persist=False)
    with pytest.raises(click.ClickException, match=r"stopped 6 times within a minute; see .*redis\.log"):
        _restart_redis(server, [time.monotonic()] * MAX_RESTARTS)
    assert not server.exited  # it was not started again


def test_up_says_how_to_create_the_first_admin_while_no_one_has_an_account(settings: Settings, db: Database) -> None:
    assert _first_login_hint(settings) == f"up: no one can log in yet: in another terminal run  {FIRST_ADMIN_COMMAND}"


def test_up_says_nothing_of_a_first_admin_once_a_user_exists(settings: Settings, db: Database) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="a long passphrase", role="viewer")
    assert _first_login_hint(settings) is None


def test_a_redis_stopping_late_leaves_the_socket_of_the_one_started_after_it(tmp_path: Path) -> None:
    older = RedisServer(tmp_path / "redis", persist=False, socket_name="redis-1.sock").start()
    newer = RedisServer(tmp_path / "redis", persist=False, socket_name="redis-2.sock").start()
    try:
        older.stop()
        assert newer.socket_path.exists() and not older.socket_path.exists()
        assert redis.Redis.from_url(newer.url).ping()
    finally:
        newer.stop()
