"""Who may do what: the one table of role checks, for people (web UI) and API tokens alike.

Every role may view incidents today; write actions (acknowledge, assign, resolve, rules) get a row here and a
`@requires(...)` on their view, so no view ever compares role names itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g
from flask_login import current_user, login_required

from hub.assignees import ASSIGNABLE_ROLES
from hub.domain import ROLES

VIEW_INCIDENTS = "incidents.view"
VIEW_INTEGRATIONS = "integrations.view"
MANAGE_SILENCES = "silences.manage"
MANAGE_INTEGRATIONS = "integrations.manage"
WORK_INCIDENTS = "incidents.work"
MANAGE_USERS = "users.manage"
MANAGE_PROBLEMS = "problems.manage"
VIEW_REPORTS = "reports.view"
VIEW_CHANGES = "changes.view"
WORK_CHANGES = "changes.work"
VIEW_RULES = "rules.view"
MANAGE_RULES = "rules.manage"
COVER_SHIFTS = "oncall.cover"
MANAGE_REQUESTER_DATA = "requesters.manage"
VIEW_CIS = "cis.view"
MANAGE_CIS = "cis.manage"
VIEW_CATALOGUE = "catalogue.view"
MANAGE_CATALOGUE = "catalogue.manage"
DECIDE_APPROVALS = "approvals.decide"

PERMISSIONS: dict[str, frozenset[str]] = {
    VIEW_INCIDENTS: frozenset(ROLES),
    # Payloads can carry hostnames and details of the estate: people who work incidents, not read-only viewers.
    VIEW_INTEGRATIONS: frozenset({"admin", "agent"}),
    MANAGE_SILENCES: frozenset({"admin", "agent"}),
    MANAGE_INTEGRATIONS: frozenset({"admin"}),
    # The roles the hub lets be assigned, act with `--as` and answer by mail (hub/assignees.py): one set, not two.
    WORK_INCIDENTS: frozenset(ASSIGNABLE_ROLES),
    MANAGE_USERS: frozenset({"admin"}),
    MANAGE_PROBLEMS: frozenset({"admin", "agent"}),
    VIEW_REPORTS: frozenset(ROLES),  # aggregates only: what anyone who sees incidents may see
    VIEW_CHANGES: frozenset(ROLES),
    # Requesting and moving changes on; approving also needs the person to be one of the change's named approvers,
    # whom naming refuses unless they hold one of these roles (hub/changes.py): one set for both.
    WORK_CHANGES: frozenset(ASSIGNABLE_ROLES),
    # Agents read the rules to understand why an incident was routed as it was; only admins change routing.
    VIEW_RULES: frozenset({"admin", "agent"}),
    MANAGE_RULES: frozenset({"admin"}),
    # People who take on-call shifts swap and cover them; setting up a rotation is an admin's, as groups are.
    COVER_SHIFTS: frozenset({"admin", "agent"}),
    # A requester's whole record, and erasing it: the organisation answers such requests through its admins.
    MANAGE_REQUESTER_DATA: frozenset({"admin"}),
    # Configuration items carry the estate's map (addresses, locations, serials), as integrations' payloads do: the
    # people who work incidents read them. They also keep them true, since they are the ones who find them wrong.
    VIEW_CIS: frozenset({"admin", "agent"}),
    MANAGE_CIS: frozenset({"admin", "agent"}),
    # The services, SLA policies and calendars are what /reports/sla already shows everyone its figures are measured
    # against. Changing them moves every incident's clocks and the public status page: admins, as with the rules.
    VIEW_CATALOGUE: frozenset(ROLES),
    MANAGE_CATALOGUE: frozenset({"admin"}),
    # Deciding the approvals asked of oneself (hub/approvals.py): approvers are often managers with a viewer's
    # role. Only the person asked decides; asking and withdrawing are incident work.
    DECIDE_APPROVALS: frozenset(ROLES),
}

F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    """Templates ask `can("integrations.view")` rather than naming roles, so the table above stays the one place."""
    app.jinja_env.globals["can"] = _current_user_can
    app.jinja_env.tests["can"] = _current_user_can  # `links|selectattr("permission", "can")` in the nav


def _current_user_can(permission: str) -> bool:
    return bool(current_user.is_authenticated) and allowed(current_user.role, permission)


def allowed(role: str, permission: str) -> bool:
    """Whether `role` grants `permission`; unknown permissions are granted to nobody."""
    return role in PERMISSIONS.get(permission, frozenset())


def demand(permission: str, description: str | None = None) -> None:
    """Inside a view that more roles may open than may write through (a page with its form): 403 unless the person
    holds `permission`, which then is what their write transactions ask again (web/acting.py), not the page's."""
    if not allowed(current_user.role, permission):
        abort(403, description=description or refusal(current_user.role, permission))
    g.required = permission


def refusal(role: str, permission: str) -> str:
    """Why a page is refused, and what to do: Werkzeug's 403 speaks of "read-protected" resources, and a person
    who followed a link needs to know it is their role, and who can change it."""
    roles = " and ".join(f"{r}s" for r in ROLES if r in PERMISSIONS[permission])
    return f"This is for {roles}, and your role is {role}. If your work needs it, ask an admin to change your role."


def requires(permission: str) -> Callable[[F], F]:
    """Decorate a UI view: anonymous visitors are sent to log in, logged-in users without the role get 403."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; add it to web.permissions.PERMISSIONS")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not allowed(current_user.role, permission):
                abort(403, description=refusal(current_user.role, permission))
            g.required = permission  # asked again inside the view's write transactions (web/acting.py)
            return view(*args, **kwargs)

        return login_required(wrapper)  # type: ignore[return-value]

    return decorate
