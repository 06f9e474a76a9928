"""Who acts on a write request is checked again inside each transaction of the action, not only before it.

`requires` (the pages) and `token_required` (the API) check the logged-in person or the token before the view runs.
An admin may deactivate that person, make them a viewer, or change the token's role while the view works: checked
only then, the action would still be written as theirs. `acting_db()` is the database for the view's writes:
`Database.guarded` (hub/db.py) runs `still_allowed` as the first read of each write transaction, which asks the
permission the route's decorator already required (web/permissions.py: no second table), of the role read again
from the person's or the token's row (a personal token's: its person's, hub/api_tokens.py). On PostgreSQL that
read holds the row `FOR SHARE` till the commit, so a change to it waits for the action rather than slipping in
after the check; SQLite's writers take turns already. The cost is that one read by primary or unique key per write
transaction; the webhook and event intake never takes it
(its group commits mix requests, so one person's refusal must not undo another's).

A refusal has one answer wherever it is raised, given by web/errors.py: 403 with `{"error": ...}` on the API, the
message flashed and the person sent back to the page they were on. It is not a BadInput, so a view that answers bad
input itself (400, or a form's error) lets it through to that one handler rather than calling it their mistake.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g
from flask_login import current_user
from sqlalchemy import Connection, select

from hub.db import Database, Guard
from hub.errors import SwitchboardError
from hub.models import ApiToken, User
from web.permissions import allowed
from web.services import services

#: Where the route's decorator leaves the permission it required (`g.required`).
REQUIRED = "required"


class NoLongerAllowed(SwitchboardError):
    """Whoever the request acts for lost, since the route let them in, the permission it requires: nothing was
    written. Answered app-wide (web/errors.py): the page flashes it, the API answers 403."""


def acting_db(*also: str) -> Database:
    """The database for this request's writes: each write transaction first checks, under the person's (or the
    token's) row lock, that they still hold the permission the route required, and `also` those the write relies
    on beyond it (see `with_right`)."""
    return services().db.guarded(acting_guard(*also))


def acting_guard(*also: str) -> Guard:
    """`acting_db`'s check by itself, for a write whose transaction is not this request's alone (logging an
    incident through the shared intake, `Intake.record_guarded`)."""
    permission: str | None = g.get(REQUIRED)
    if permission is None:
        raise RuntimeError("acting_db() is for views behind @requires or @token_required, which say what they need")
    principal = g.get("principal")  # the API's token (web/api.py `token_required`), else the logged-in person
    if principal is not None and principal.user_id is not None:  # a personal token: its person acts
        role_now = _personal_token_role(principal.name, principal.user_id)
        refusal = (f"{principal.email}'s account was deactivated or its role changed meanwhile, or the token "
                   f"{principal.name!r} was revoked; nothing was changed")  # fmt: skip
    elif principal is not None:
        role_now = _token_role(principal.name)
        refusal = (f"the token {principal.name!r} may no longer do this (its role changed or it was removed); "
                   "nothing was changed")  # fmt: skip
    else:
        role_now = _user_role(current_user.id)
        refusal = ("Your account was deactivated or its role changed meanwhile, so nothing was changed; "
                   "ask an admin if you should still do this")  # fmt: skip
    return still_allowed(permission, role_now, refusal, also)


def check_now(*also: str) -> None:
    """Ask `acting_db`'s question once, now, outside any write (NoLongerAllowed if refused): for an action of many
    writes (the list's bulk actions) that should be refused whole, not once per item, when the person may not act
    at all. Each of its writes is still guarded."""
    with services().db.reader() as conn:
        acting_guard(*also)(conn)


def with_right(permission: str) -> tuple[Database, bool]:
    """Whether whoever acts holds `permission` beyond the route's (an admin's right to change anyone's time entry,
    say), and the database for the write, which checks again that they still hold it when the write relies on it:
    an admin made an agent meanwhile changes no one else's entry."""
    principal = g.get("principal")
    has = allowed(principal.role if principal is not None else current_user.role, permission)
    return (acting_db(permission) if has else acting_db()), has


def still_allowed(
    permission: str, role_now: Callable[[Connection], str | None], refusal: str, also: tuple[str, ...] = ()
) -> Guard:
    """The guard that refuses a write transaction once the role `role_now` reads (None: no longer there) does not
    grant `permission` and each of `also`: one read of the role for all of them."""

    def guard(conn: Connection) -> None:
        role = role_now(conn)
        if role is None or not all(allowed(role, needed) for needed in (permission, *also)):
            raise NoLongerAllowed(refusal)

    return guard


def _user_role(user_id: int) -> Callable[[Connection], str | None]:
    """The person's role while their account is active, reading (and on PostgreSQL locking) their row."""

    def read(conn: Connection) -> str | None:
        found = conn.execute(
            select(User.role, User.active).where(User.id == user_id).with_for_update(read=True)
        ).first()
        return found.role if found is not None and found.active else None

    return read


def _token_role(name: str) -> Callable[[Connection], str | None]:
    """The desk token's role while it exists, reading (and on PostgreSQL locking) its row. Only a desk token's: were
    it revoked and its name given to a personal token meanwhile, that row's stored role is no one's to act with."""

    def read(conn: Connection) -> str | None:
        role: str | None = conn.scalar(
            select(ApiToken.role).where(ApiToken.name == name, ApiToken.user_id.is_(None)).with_for_update(read=True)
        )
        return role

    return read


def _personal_token_role(name: str, user_id: int) -> Callable[[Connection], str | None]:
    """A personal token's person's role while their account is active and the token exists, still theirs, reading
    (and on PostgreSQL locking) both rows: the person's, since their role is the token's, and the token's, which a
    revocation deletes (a token of that name made for someone else meanwhile is not it)."""

    def read(conn: Connection) -> str | None:
        found = conn.execute(
            select(User.role, User.active)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.name == name, User.id == user_id)
            .with_for_update(read=True)
        ).first()
        return found.role if found is not None and found.active else None

    return read
