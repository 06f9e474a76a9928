"""A service named where the catalogue must hold it: one lookup and one answer for a name it does not hold.

Incidents and alerts may name services the catalogue lacks (hub/service_references.py says why), but what an admin
or agent files against a service (a change, a freeze, a problem, a CI, an SLA policy, a request type) must name one
it holds; each of those forms and commands answers a wrong name in the same words, which say how to find the names.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.errors import BadField
from hub.models import Service


def unknown_service(name: str) -> BadField:
    """The refusal of a service name the catalogue does not hold, for the `service` field."""
    return BadField(
        "service",
        f"there is no service {name!r}; `switchboard service list` shows them and `switchboard service add` adds one",
    )


def service_id(session: Session, name: str) -> int:
    """The id of the catalogue's service `name` (as typed, already stripped); `unknown_service` if it holds none."""
    found = session.scalar(select(Service.id).where(Service.name == name))
    if found is None:
        raise unknown_service(name)
    return found
