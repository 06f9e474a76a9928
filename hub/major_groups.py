"""Which major-incident group is paged for an incident: its service's, else the installation's.

A larger organisation runs a major-incident team per area: payroll's outage should page payroll's incident managers,
not everyone's. So a service in the catalogue may name its own major-incident group (`services.major_group`,
`switchboard service set payroll --major-group payroll-mim`), and its incidents page that group *instead of*
SWITCHBOARD_MAJOR_INCIDENT_GROUP, never both: the installation's group is the catch-all for the incidents no area's
team owns (no service, or one that names no group), and paging it beside every area's team would page everyone's
incident managers for each outage again, which is what naming a team per service is for avoiding.

A service's group that has no active member (not made yet, or everyone in it gone) falls back to the installation's,
and the timeline says so: a slip in the catalogue must not leave a major incident paging no one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from hub import recipients
from hub.mail_choices import MailChoices
from hub.models import Incident, Service
from hub.outbox import entry


def service_group(conn: Connection, service: str | None) -> str | None:
    """The major-incident group the catalogue's service `service` names, or None (no service, or none named)."""
    if not service:
        return None
    return conn.scalar(select(Service.major_group).where(Service.name == service))


def chosen(conn: Connection, service: str | None, default: str | None) -> str | None:
    """The group an incident on `service` pages when declared major: the service's, else `default` (what the
    incident's page says it will page; `members` also falls back when the service's has no one in it)."""
    return service_group(conn, service) or default


def members(
    conn: Connection, incident: Incident, default: str | None
) -> tuple[dict[str, MailChoices], list[dict[str, Any]]]:
    """The active members, with their mail choices, of the major-incident group paged for `incident`: its
    service's, else `default` (SWITCHBOARD_MAJOR_INCIDENT_GROUP, or None); also the timeline lines saying which
    group had no one to page, and what was paged instead."""
    notes: list[dict[str, Any]] = []
    own = service_group(conn, incident.service)
    if own:
        found = recipients.active_members(conn, own)
        if found:
            return found, notes
        instead = f"the major-incident group {default} was told instead" if default else "no group was told"
        said = (f"The service {incident.service}'s major-incident group {own} has no active members (or does not "
                f"exist): {instead}")  # fmt: skip
        notes.append(entry(incident.id, "notification", said))
    if not default:
        return {}, notes
    found = recipients.active_members(conn, default)
    if not found:
        said = f"The major-incident group {default} has no active members (or does not exist): none of it was told"
        notes.append(entry(incident.id, "notification", said))
    return found, notes
