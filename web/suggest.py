"""What a field suggests as one types, for the pages' script (web/static/suggest.js, web/static/mentions.js):
`GET /suggest/cis?q=db`, `GET /suggest/people?q=bo` and `GET /suggest/assignees?q=bo` (people by address, then by
a word of their name: "sto" finds Robert Stone, "o'brien" and "brien" O'Brien; best match first, then by name), JSON.

They are the pages' own, not the API's: the page asks with the session it was opened in, as its forms post, so
they answer whoever may use the field that asks (a logged-out visitor is sent to log in, like any page), and they
are not under /api/v1, whose requests carry tokens and no session. The pages list the first few hundred with
them, so a field works without script; these find the rest.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request
from flask_login import current_user

from hub import assignees, cis, incident_notes, name_words
from hub.people import names_of
from web.permissions import VIEW_CIS, VIEW_INCIDENTS, WORK_INCIDENTS, requires
from web.responses import json_response
from web.services import services

bp = Blueprint("suggest", __name__, url_prefix="/suggest")

#: Longer than any CI name or address: what is typed past it cannot match, so it is not read.
MAX_TYPED = 320


def init_app(app: Flask) -> None:
    """The CI fields' template (incidents/_ci_names.html) asks for more only when the page's list was cut; the note
    box folds what is typed with the table hub/name_words.py folds it with (data-mention-folding): the letters NFKD
    leaves whole, and the apostrophes and hyphens that join a name."""
    app.jinja_env.globals["SUGGESTED_CI_NAMES"] = cis.SUGGESTED_NAMES
    app.jinja_env.globals["NAME_FOLDING"] = name_words.FOLDED


def _typed() -> str:
    return request.args.get("q", "")[:MAX_TYPED].strip()


@bp.get("/cis")
@requires(VIEW_CIS)
def ci_names() -> Response:
    """The active CIs' names for the CI fields: those starting with `q` first, at most 20."""
    with services().db.read() as session:
        return json_response(cis.suggested_names(session, _typed()))


@bp.get("/people")
@requires(WORK_INCIDENTS)
def people() -> Response:
    """Colleagues to @mention whose address starts with `q`, then those with a word of their display name starting
    so, with the name that reaches each (and their display name, for those who have one, to pick them by), at most
    20; never the writer, whom a note does not mail."""
    me = current_user.email.lower()
    with services().db.read() as session:
        offered = incident_notes.mentionable_starting(session.connection(), _typed())
    return json_response([s.as_data() for s in offered if s.address != me])


@bp.get("/assignees")
@requires(VIEW_INCIDENTS)
def assignee_names() -> Response:
    """People to give an incident to whose address starts with `q`, then those a word of whose display name does,
    then groups whose name does, at most 20 of each; `groups=no` for a field that wants a person (the incident
    page's, shared with a major incident's coordinator). Viewers too: the incident list's assignee filter offers
    them. A person with a display name comes as {"value": address, "label": name}, the field still submitting the
    address; others as the bare value."""
    groups = request.args.get("groups") != "no"
    with services().db.read() as session:
        found = assignees.starting(session.connection(), _typed(), groups=groups)
        names = names_of(session.connection(), found)
    return json_response([{"value": name, "label": names[name]} if name in names else name for name in found])
