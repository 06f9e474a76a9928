"""The incident a page's path names (`/incidents/<ref>...`): a reference that is malformed ("INC-abc", "xyz") and one
no incident answers to get the one answer, the site's 404 page saying there is no such incident and to check the
reference (hub/domain.py::no_incident), as the API's `incident_number` answers both alike."""

from __future__ import annotations

from typing import NoReturn

from flask import abort

from hub.domain import no_incident
from web.queries import incident_id
from web.responses import sentence


def not_found(ref: str) -> NoReturn:
    """The site's 404 page for `ref`, as written in the path, naming no incident."""
    abort(404, description=sentence(no_incident(ref)))


def number_of(ref: str) -> int:
    """The incident number `ref` names, else `not_found`: its page's forms answer a malformed one as its page does."""
    number = incident_id(ref)
    if number is None:
        not_found(ref)
    return number
