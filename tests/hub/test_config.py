"""Settings read from the environment at start-up, each mistake named there rather than found later."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hub.config import Settings, without_password
from hub.errors import ConfigError


def test_no_mail_server_is_believed_unless_switchboard_mail_authserv_id_names_one(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path)}
    assert Settings.from_env(env).mail_authserv_id is None
    assert Settings.from_env({**env, "SWITCHBOARD_MAIL_AUTHSERV_ID": " "}).mail_authserv_id is None
    assert Settings.from_env({**env, "SWITCHBOARD_MAIL_AUTHSERV_ID": " MX.Example.com "}).mail_authserv_id == (
        "mx.example.com"
    )


@pytest.mark.parametrize("value", ["mx.example.com; dmarc=pass", "mx.example.com mx2.example.com", "-mx", "a" * 300])
def test_an_authserv_id_no_header_could_carry_is_refused_at_start_up(tmp_path: Path, value: str) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_MAIL_AUTHSERV_ID": value}
    with pytest.raises(ConfigError, match="SWITCHBOARD_MAIL_AUTHSERV_ID must name your receiving mail servers"):
        Settings.from_env(env)


def test_several_authserv_ids_are_kept_comma_separated_lower_cased_once_each(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path)}
    value = " MX.Example.com , microsoft365,,mx.example.com "
    found = Settings.from_env({**env, "SWITCHBOARD_MAIL_AUTHSERV_ID": value}).mail_authserv_id
    assert found == "mx.example.com,microsoft365"
    assert Settings.from_env({**env, "SWITCHBOARD_MAIL_AUTHSERV_ID": " , "}).mail_authserv_id is None


def test_the_error_for_a_list_names_the_one_bad_authserv_id(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path)}
    with pytest.raises(ConfigError, match=r"'mx 2\.example\.com' is not such a name") as refused:
        Settings.from_env({**env, "SWITCHBOARD_MAIL_AUTHSERV_ID": "mx.example.com,mx 2.example.com"})
    assert "'mx.example.com'" not in str(refused.value)


def test_the_major_incident_group_is_unset_unless_named_and_reviews_are_due_in_five_days(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path)}
    default = Settings.from_env(env)
    assert (default.major_incident_group, default.review_due_days) == (None, 5)
    chosen = Settings.from_env({**env, "SWITCHBOARD_MAJOR_INCIDENT_GROUP": " mim ", "SWITCHBOARD_REVIEW_DUE_DAYS": "3"})
    assert (chosen.major_incident_group, chosen.review_due_days) == ("mim", 3)


@pytest.mark.parametrize("value", ["boss@example.com", "a" * 101, "two\tparts"])
def test_a_major_incident_group_no_group_could_be_called_is_refused_at_start_up(tmp_path: Path, value: str) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_MAJOR_INCIDENT_GROUP": value}
    with pytest.raises(ConfigError, match="SWITCHBOARD_MAJOR_INCIDENT_GROUP"):
        Settings.from_env(env)


def test_the_desk_is_named_service_desk_unless_named_otherwise_or_left_bare(tmp_path: Path) -> None:
    env = {"SWITCHBOARD_HOME": str(tmp_path)}
    assert Settings.from_env(env).desk_name == "Service desk"
    assert Settings.from_env({**env, "SWITCHBOARD_DESK_NAME": " IT  help\r\n"}).desk_name == "IT help"
    assert Settings.from_env({**env, "SWITCHBOARD_DESK_NAME": ""}).desk_name is None


def test_a_desk_name_holding_an_address_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SWITCHBOARD_DESK_NAME"):
        Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_DESK_NAME": "Desk <x@example.com>"})


def test_webhooks_may_reach_the_hubs_own_network_unless_told_public(tmp_path: Path) -> None:
    assert Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path)}).webhook_targets == "network"
    public = {"SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_WEBHOOK_TARGETS": "Public"}
    assert Settings.from_env(public).webhook_targets == "public"


def test_a_webhook_targets_setting_naming_no_reach_is_refused_at_start_up_listing_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be one of network, public"):
        Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_WEBHOOK_TARGETS": "intranet"})


@pytest.mark.parametrize("url", ["desk.example.com", "ftp://desk.example.com", "https://"])
def test_a_public_url_without_a_web_scheme_and_host_is_refused_at_start_up(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="SWITCHBOARD_PUBLIC_URL must be the address people open, with its scheme"):
        Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_PUBLIC_URL": url})


def test_a_malformed_smtp_relay_is_named_at_start_up_without_its_password(tmp_path: Path) -> None:
    relay = "smtp+starttls://mailer:Relay-Pw-1@mail.example:587"
    with pytest.raises(ConfigError, match="SWITCHBOARD_SMTP_RELAY must look like") as refused:
        Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_SMTP_RELAY": relay})
    assert "Relay-Pw-1" not in str(refused.value) and "smtp+starttls://***@mail.example:587" in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),
        ("redis://user:p@ss@127.0.0.1:6379/0", "redis://***@127.0.0.1:6379/0"),  # clients split at the last @
        (
            "postgresql+psycopg://u:pw@db.example/hub?sslmode=require",
            "postgresql+psycopg://***@db.example/hub?sslmode=require",
        ),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("sqlite:////var/lib/switchboard/switchboard.db", "sqlite:////var/lib/switchboard/switchboard.db"),
    ],
)
def test_a_url_shown_in_an_error_keeps_no_user_or_password(url: str, shown: str) -> None:
    assert without_password(url) == shown


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [("DATABASE_URL", "mysql://root:hunter2@db/desk", "DATABASE_URL must be sqlite:////absolute/path.db or"),
     ("DATABASE_URL", "switchboard.db", "DATABASE_URL must be"),
     ("REDIS_URL", "localhost:6379", "unset it to use the embedded Redis"),
     ("REDIS_URL", "http://:hunter2@cache:6379/0", "REDIS_URL must be redis://")],
)  # fmt: skip
def test_a_database_or_redis_url_of_the_wrong_shape_is_refused_at_start_up_saying_what_fits_without_its_password(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path), name: value}
    with pytest.raises(ConfigError, match=says) as refused:
        Settings.from_env(env)
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("given", "used"),
    [("postgres://u:p@db/desk", "postgresql+psycopg://u:p@db/desk"),
     ("postgresql://u:p@db/desk", "postgresql+psycopg://u:p@db/desk"),
     ("postgresql+psycopg://u@db/desk", "postgresql+psycopg://u@db/desk"),
     ("sqlite:////var/lib/switchboard/desk.db", "sqlite:////var/lib/switchboard/desk.db")],
)  # fmt: skip
def test_a_database_url_is_used_with_its_driver_named(tmp_path: Path, given: str, used: str) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path), "DATABASE_URL": given}
    assert Settings.from_env(env).database_url == used


def test_settings_shown_in_a_log_or_a_traceback_hold_no_secret(tmp_path: Path) -> None:
    env = {"SECRET_KEY": "s3cret-key", "SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_METRICS_TOKEN": "m3trics",
           "DATABASE_URL": "postgresql://u:dbpass@db/desk", "REDIS_URL": "redis://:redispass@cache:6379/0",
           "SWITCHBOARD_SMTP_RELAY": "smtp://u:relaypass@mail:587"}  # fmt: skip
    shown = repr(Settings.from_env(env))
    assert not any(secret in shown for secret in ("s3cret-key", "m3trics", "dbpass", "redispass", "relaypass"))


def test_parts_started_at_once_on_one_home_generate_one_whole_secret_key(tmp_path: Path) -> None:
    """A Procfile starts every part at once: none may read the key file before the one making it has written it."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns between every few bytecodes, as processes on several cores would
    try:
        for attempt in range(40):
            env = {"SWITCHBOARD_HOME": str(tmp_path / str(attempt))}
            start = threading.Barrier(8)

            def key(env: dict[str, str] = env, start: threading.Barrier = start) -> str:
                start.wait()
                return Settings.from_env(env).secret_key

            with ThreadPoolExecutor(8) as pool:
                keys = set(pool.map(lambda _: key(), range(8)))
            assert len(keys) == 1 and "" not in keys, keys
    finally:
        sys.setswitchinterval(before)
