"""The keys every reader of something signed is given: SECRET_KEY, which signs, and the former keys, which verify."""

from __future__ import annotations

from pathlib import Path

from itsdangerous import URLSafeSerializer

from hub.config import Settings
from hub.verifying_keys import VerifyingKeys


def test_the_former_keys_come_from_the_environment_beside_secret_key(tmp_path: Path) -> None:
    env = {"SWITCHBOARD_HOME": str(tmp_path), "SECRET_KEY": "new", "SWITCHBOARD_OLD_SECRET_KEYS": "older, old"}
    assert Settings.from_env(env).verifying_keys.all == ("older", "old", "new")


def test_the_current_key_is_last_so_it_is_the_one_that_signs() -> None:
    keys = VerifyingKeys("new", ("old",))
    token = URLSafeSerializer(keys.all, salt="a salt").dumps([1])
    assert URLSafeSerializer("new", salt="a salt").loads(token) == [1]


def test_every_key_verifies() -> None:
    keys = VerifyingKeys("new", ("older", "old"))
    for key in ("older", "old", "new"):
        assert URLSafeSerializer(keys.all, salt="a salt").loads(URLSafeSerializer(key, salt="a salt").dumps(key)) == key


def test_blank_repeated_and_current_keys_among_the_former_ones_are_left_out() -> None:
    assert VerifyingKeys("new", ("old", "", "new", "old")).older == ("old",)


def test_the_keys_stay_out_of_logs_and_tracebacks() -> None:
    assert "secret" not in repr(VerifyingKeys("a secret", ("another secret",)))
