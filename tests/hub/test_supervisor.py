"""`switchboard up`'s care of its embedded Redis: started again when it dies, but not without end."""

from __future__ import annotations

import time
from pathlib import Path

import click
import pytest

from hub.net import free_port
from hub.redis_server import RedisServer
from hub.supervisor import MAX_RESTARTS, RESTART_WINDOW, _restart_redis


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
