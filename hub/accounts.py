"""People and machines that may use the hub: users, API tokens and integrations."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from hub import credentials, kept_mappings, name_words, people, zones
from hub.account_names import check_name, check_role
from hub.addresses import is_address

# Tokens have their own module; these two are kept here for the many callers that make one through accounts.
from hub.api_tokens import Principal as Principal
from hub.api_tokens import create_token as create_token
from hub.db import Database
from hub.domain import INTEGRATION_KINDS, NO_POLICY, Policy
from hub.errors import BadField, BadInput, LastAdmin
from hub.models import Change, Event, Incident, Integration, User
from hub.numbers import MAX_ID

MIN_PASSWORD, MAX_PASSWORD = 8, 1024

#: How the first person gets an account (there is no sign-up page): the login page and `switchboard up` show it
#: while `has_users` is False. No --password: the command asks for it twice, hidden and out of the shell's history,
#: so a pasted placeholder never becomes the admin's password.
FIRST_ADMIN_COMMAND = "switchboard user create --email you@example.com --role admin"


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"the password must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:  # argon2 hashes whatever it is given: a megabyte would pin a worker
        raise BadInput(f"the password must be at most {MAX_PASSWORD} characters long")


def create_user(session: Session, *, email: str, password: str, role: str, display_name: str = "") -> User:
    """A person who logs in; `display_name` signs their replies (hub/people.py), blank: their address's local part."""
    email = email.strip().lower()
    if not is_address(email):
        raise BadInput(f"{email[:340]!r} is not an email address")
    check_role(role)
    _check_password(password)
    named = people.check_display_name(display_name)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise BadInput(f"a user with email {email} already exists")
    user = User(email=email, password_hash=credentials.hash_password(password), role=role)
    session.add(user)
    session.flush()
    _name(session, user, named)
    return user


def has_users(session: Session) -> bool:
    """Whether anyone has an account yet, enabled or not: a fresh install has none, and no one can log in."""
    return session.scalar(select(User.id).limit(1)) is not None


def user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise BadInput(f"there is no user {email!r}")
    return user


def user_by_id(session: Session, user_id: int) -> User:
    """The user a form or link names by number, or BadInput saying there is none (removed since the page loaded)."""
    user = session.get(User, user_id)
    if user is None:
        raise BadInput(f"there is no user #{user_id}")
    return user


def change_user(session: Session, email: str, *, role: str | None = None, active: bool | None = None) -> User:
    """Change a person's role or switch their account off; the last active admin cannot be demoted or disabled
    (`LastAdmin`), so the hub can never be left with nobody able to manage it."""
    user = user_by_email(session, email)
    if role is not None:
        check_role(role)
    losing_admin = user.role == "admin" and user.active and (role not in (None, "admin") or active is False)
    if losing_admin:
        # The active admins' rows are locked till the commit: two admins demoting each other at once would each
        # count two and leave none; the second now waits, and counts again what the first left.
        admins = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update())
        if len(admins.all()) <= 1:
            raise LastAdmin(f"{user.email} is the last active admin; make someone else admin first")
    if role is not None:
        user.role = role
    if active is not None:
        user.active = active
    return user


def set_password(session: Session, email: str, password: str) -> User:
    """A new password: one the person chose, or one an admin set for someone who forgot theirs. The web UI keys
    its sessions to the password's hash, so every session logged in with the old one ends."""
    user = user_by_email(session, email)
    _check_password(password)
    user.password_hash = credentials.hash_password(password)
    return user


def set_timezone(session: Session, email: str, zone: str | None) -> User:
    """The zone the web UI shows and reads someone's times in; None goes back to the installation's."""
    user = user_by_email(session, email)
    if zone is not None and zone not in zones.names():
        raise BadInput(f"{zone!r} is not a time zone; choose one from the list, such as Europe/Berlin")
    user.timezone = zone
    return user


def set_timeline_order(session: Session, email: str, newest_first: bool) -> tuple[User, bool]:
    """Whether someone reads an incident's timeline newest first (else oldest first). Returns the user and whether
    it changed, so only a change is audited."""
    user = user_by_email(session, email)
    changed = user.timeline_newest_first != newest_first
    user.timeline_newest_first = newest_first
    return user, changed


def set_display_name(session: Session, email: str, name: str) -> tuple[User, bool]:
    """The name someone signs replies with and colleagues see (hub/people.py), checked as the CLI checks it; blank
    goes back to the address's local part. Returns the user and whether the name changed (so only a change is
    audited)."""
    user = user_by_email(session, email)
    named = people.check_display_name(name)
    changed = named != user.display_name
    if changed:
        _name(session, user, named)
    return user, changed


def _name(session: Session, user: User, named: str | None) -> None:
    """Set a person's display name and, with it, the words the suggestions find them by (hub/name_words.py): the
    one place a name is set, so the two never disagree."""
    user.display_name = named
    name_words.keep(session.connection(), user.id, named)


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        credentials.hash_password(password)  # same work either way, so timing does not reveal who exists
        return None
    return user if credentials.verify_password(user.password_hash, password) else None


def missing_integration(name: str) -> str:
    """What to say of an integration name that names none: where the real names are, and how to make one."""
    return (
        f"there is no integration {name!r}; the Integrations page (/integrations) lists them, and "
        "`switchboard integration create --kind KIND --name NAME` makes one"
    )


def create_integration(
    session: Session, *, name: str, kind: str = "generic", rate_limit: int | None = None
) -> tuple[Integration, str]:
    """Create an integration and return it with its secret, which is stored only as a digest."""
    check_name(name, "integration")
    if kind not in INTEGRATION_KINDS:
        raise BadInput(f"unknown integration kind {kind!r}; use one of: {', '.join(INTEGRATION_KINDS)}")
    _check_positive(rate_limit, "the rate limit (requests per minute)", "rate_limit")
    if session.scalar(select(Integration.id).where(Integration.name == name)) is not None:
        raise BadInput(
            f"an integration named {name!r} already exists; choose another name (a lost secret is replaced by "
            f"rotating it: `switchboard integration rotate {name}`, or 'Make a new secret' on its page)"
        )
    secret = credentials.new_token("sbi")
    row = Integration(name=name, kind=kind, secret_hash=credentials.digest(secret), rate_limit=rate_limit)
    session.add(row)
    session.flush()
    if kind == "generic":  # its events name the mapping that read them, none included (hub/kept_mappings.py)
        kept_mappings.keep(session, row, None)
    return row, secret


def integration_named(session: Session, name: str) -> Integration:
    """The integration called `name`, or BadInput saying where the names are (`missing_integration`)."""
    row = session.scalar(select(Integration).where(Integration.name == name))
    if row is None:
        raise BadInput(missing_integration(name))
    return row


def rotate_integration_secret(session: Session, name: str) -> str:
    """Give an integration a new secret and return it (shown once); the old one stops working within a second."""
    row = integration_named(session, name)
    secret = credentials.new_token("sbi")
    row.secret_hash = credentials.digest(secret)
    return secret


_UNSET: Any = object()


def configure_integration(
    session: Session,
    name: str,
    *,
    rate_limit: int | None = _UNSET,
    reopen_window: int | None = _UNSET,
    auto_resolve_after: int | None = _UNSET,
    threshold: tuple[int, int] | None = _UNSET,
    flapping: tuple[int, int] | None = _UNSET,
    mapping: dict[str, Any] | None = _UNSET,
    enabled: bool | None = None,
) -> Integration:
    """Change an integration's settings; only the ones given change (None clears a limit or window). A value out of
    range is a BadField naming its keyword."""
    row = integration_named(session, name)
    if rate_limit is not _UNSET:
        _check_positive(rate_limit, "the rate limit (requests per minute)", "rate_limit")
        row.rate_limit = rate_limit
    if reopen_window is not _UNSET:
        _check_positive(reopen_window, "the reopen window (seconds)", "reopen_window")
        row.reopen_window = reopen_window
    if auto_resolve_after is not _UNSET:
        _check_positive(auto_resolve_after, "the quiet time before auto-resolve (seconds)", "auto_resolve_after")
        row.auto_resolve_after = auto_resolve_after
    if threshold is not _UNSET:
        count, window = threshold if threshold is not None else (None, None)
        _check_positive(count, "the threshold (events)", "threshold")
        _check_positive(window, "the threshold window (seconds)", "threshold")
        row.threshold, row.threshold_window = count, window
    if flapping is not _UNSET:
        changes, window = flapping if flapping is not None else (None, None)
        _check_positive(changes, "the number of state changes that makes an alert flapping", "flapping")
        _check_positive(window, "the flapping window (seconds)", "flapping")
        row.flap_changes, row.flap_window = changes, window
    if mapping is not _UNSET:
        if mapping is not None and row.kind != "generic":
            raise BadInput(f"only generic integrations take a mapping; {name!r} is {row.kind}")
        # validated by the caller (ingest.webhooks.mapping.check): hub knows no JMESPath
        kept_mappings.keep(session, row, mapping)
    if enabled is not None:
        row.enabled = enabled
    return row


def _check_positive(value: int | None, what: str, setting: str) -> None:
    """At least 1, and no more than the column holds (a larger one was PostgreSQL's overflow: a 500); a BadField
    naming the setting (configure_integration's keyword), so a form shows it beside its field."""
    if value is not None and value < 1:
        raise BadField(setting, f"{what} must be at least 1 (leave it out for none)")
    if value is not None and value > MAX_ID:
        raise BadField(setting, f"{what} must be at most {MAX_ID} (leave it out for none)")


def remove_integration(session: Session, name: str) -> None:
    """Delete an integration that nothing recorded refers to (one made by mistake, or never used), with its
    heartbeats and counters. One whose events, incidents or deploys are kept is refused: they would lose the name
    of the source they came from, and its incidents their deduplication scope; disabling it keeps them whole."""
    row = integration_named(session, name)
    for model, what in ((Event, "events"), (Incident, "incidents"), (Change, "deploys")):
        if session.scalar(select(model.id).where(model.integration_id == row.id).limit(1)) is not None:
            raise BadInput(
                f"{name} cannot be removed: its {what} are kept and name it as their source; disable it instead "
                f"(its events are then refused): `switchboard integration set {name} --disable`, or Disable on its page"
            )
    session.delete(row)


@dataclass(frozen=True)
class IntegrationRef:
    """An enabled integration as the webhook edge needs it."""

    id: int
    name: str
    kind: str
    rate_limit: int | None = None  # requests per minute
    policy: Policy = NO_POLICY
    mapping: dict[str, Any] | None = None  # generic kind: JMESPath mapping of the tool's own JSON
    mapping_id: int | None = None  # its kept row, which each event stores (hub/kept_mappings.py)


def policy_of(row: Any) -> Policy:
    """An integration's policy from its row (or a row of its columns)."""
    return Policy(row.reopen_window, row.threshold, row.threshold_window, row.flap_changes, row.flap_window)


@dataclass(frozen=True)
class _Known:
    ref: IntegrationRef
    secret_hash: str
    fetched: float


# Built once: these run on every webhook request, where building a statement costs more than running it.
_COLUMNS = (
    Integration.id,
    Integration.name,
    Integration.kind,
    Integration.secret_hash,
    Integration.rate_limit,
    Integration.reopen_window,
    Integration.threshold,
    Integration.threshold_window,
    Integration.flap_changes,
    Integration.flap_window,
    Integration.mapping,
    kept_mappings.CURRENT_ID.label("mapping_id"),  # read with `mapping`, in one snapshot, so the two agree
)
_BY_NAME = select(*_COLUMNS).where(Integration.name == bindparam("name"), Integration.enabled.is_(True))
_BY_DIGEST = select(*_COLUMNS).where(Integration.secret_hash == bindparam("digest"), Integration.enabled.is_(True))


class IntegrationKeys:
    """Integration credentials kept per process for `ttl` seconds, so the webhook path usually reads nothing.

    A rotated secret or a disabled integration therefore takes effect within `ttl` (default 1 s) in every web
    process. Only known integrations are kept, so requests naming random integrations cannot grow the cache.
    """

    def __init__(self, db: Database, *, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._ttl = ttl
        self._clock = clock
        self._by_name: dict[str, _Known] = {}
        self._by_digest: dict[str, _Known] = {}

    def _fetch(self, cache: dict[str, _Known], key: str, statement: Any, params: dict[str, str]) -> _Known | None:
        now = self._clock()
        known = cache.get(key)
        if known is None or now - known.fetched > self._ttl:
            with self._db.reader() as conn:
                row = conn.execute(statement, params).first()
            if row is None:
                cache.pop(key, None)
                return None
            ref = IntegrationRef(int(row.id), row.name, row.kind, row.rate_limit, policy_of(row), row.mapping,
                                 row.mapping_id)  # fmt: skip
            known = cache[key] = _Known(ref, row.secret_hash, now)
        return known

    def forget(self, name: str) -> None:
        """Drop what this process keeps about `name` (after changing it here, so this process sees it at once)."""
        known = self._by_name.pop(name, None)
        if known is not None:
            self._by_digest.pop(known.secret_hash, None)

    def find(self, name: str) -> IntegrationRef | None:
        """The enabled integration called `name`, or None."""
        known = self._fetch(self._by_name, name, _BY_NAME, {"name": name})
        return known.ref if known is not None else None

    def authenticate(self, name: str, secret: str) -> IntegrationRef | None:
        """The enabled integration `name` if `secret` is its secret, else None."""
        known = self._fetch(self._by_name, name, _BY_NAME, {"name": name})
        return known.ref if known is not None and credentials.matches(secret, known.secret_hash) else None

    def signing_key(self, name: str) -> str | None:
        """The key senders sign bodies with (Grafana's HMAC): the hex SHA-256 of the secret, the one form we keep.

        It proves the body came from whoever holds the secret or its digest; the secret itself is still required
        as the bearer credential, so a leaked digest alone does not let anyone post.
        """
        known = self._fetch(self._by_name, name, _BY_NAME, {"name": name})
        return known.secret_hash if known is not None else None

    def by_secret(self, secret: str) -> IntegrationRef | None:
        """The enabled integration whose secret this is: for senders that send a key but no name (PagerDuty's
        routing_key, Opsgenie's GenieKey). Secrets are random, so the digest lookup reveals nothing."""
        digest = credentials.digest(secret)
        known = self._fetch(self._by_digest, digest, _BY_DIGEST, {"digest": digest})
        return known.ref if known is not None else None


#: When each integration's latest event arrived (None: never): a lookup per integration in the index on
#: (integration_id, received_at), so it costs the same with a thousand events or millions.
LAST_EVENTS = select(
    Integration.id,
    select(func.max(Event.received_at)).where(Event.integration_id == Integration.id).scalar_subquery(),
)


def last_events(session: Session) -> dict[int, datetime | None]:
    """Each integration's id and when its latest event arrived."""
    return {integration_id: last for integration_id, last in session.execute(LAST_EVENTS)}
