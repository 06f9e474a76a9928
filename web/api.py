"""The read API for scripts and dashboards: `/api/v1/incidents`, authenticated by API tokens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, request, url_for

from hub import (
    agent_files,
    api_tokens,
    attachments,
    incident_fields,
    incident_notes,
    problem_links,
    request_steps,
    satisfaction,
    time_spent,
    triage,
)
from hub.addresses import ADDRESS_WIDTH
from hub.agent_action import Actor, NoSuchIncident, NoSuchPart, NothingWritten, NotTheirs, TriageError
from hub.agent_files import FilesTooLarge, Upload
from hub.change_correlation import related_changes
from hub.copied_changes import NotCopyable
from hub.domain import INCIDENT_KINDS, no_incident
from hub.errors import BadInput, StorageUnavailable
from hub.incident_reading import incident_json
from hub.incident_search import API_PAGE_SIZE, FilterError, IncidentFilter, search
from hub.models import utcnow
from hub.numbers import reference, row_id, whole_number
from hub.time_spent import Correction, Spent
from web import downloads, paging, uploads
from web.acting import acting_db, with_right
from web.incident_actions import mail_settings
from web.new_incident import log_incident
from web.permissions import MANAGE_PROBLEMS, MANAGE_USERS, VIEW_INCIDENTS, WORK_INCIDENTS, allowed
from web.queries import (
    file_json,
    get_incident,
    incident_detail_json,
    incident_id,
    time_entry_json,
)
from web.responses import bearer_token, json_error, json_response, request_json, storage_unavailable, unauthorized
from web.services import services

bp = Blueprint("api", __name__, url_prefix="/api/v1")

BAD_TOKEN = "missing or invalid API token: send 'Authorization: Bearer <token>'"


def token_required(permission: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate an API view: 401 without a valid token, 403 when the token's role lacks `permission`."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            token, now = bearer_token(request), utcnow()
            found: api_tokens.Authenticated | api_tokens.Refused | None = None
            if token is not None:
                with services().db.read() as session:
                    found = api_tokens.authenticate(session, token, now)
            if isinstance(found, api_tokens.Refused):
                return unauthorized(found.reason)
            if found is None:
                return unauthorized(BAD_TOKEN)
            if found.use_due:
                api_tokens.note_use(services().db, found.token_id, now)
            principal = found.principal
            if not allowed(principal.role, permission):
                whose = f"{principal.email}'s" if principal.email else "the token's"
                return json_error(403, f"{whose} role {principal.role!r} may not do this")
            g.principal, g.required = principal, permission  # asked again as it writes (web/acting.py)
            return view(*args, **kwargs)

        return wrapper

    return decorate


View = Callable[..., Response]


def numbered(
    part: str, what: str, parse: Callable[[str], int | None], *, into: str = "number",
    missing: Callable[[str], str] | None = None,
) -> Callable[[View], View]:  # fmt: skip
    """Decorate an API view whose path names a row by its `part` (`<ref>`, `<approval_id>`, `<entry>`): 404 "no
    <what> ..." (or `missing`'s words for it, the ones the view says of a row not found) when `parse` finds no id in
    it, else the view is called with the row's id as well, as `into` (`number` unless a path names two rows), so each
    endpoint on that path answers a bad one alike. The row itself is the view's to look up: its transaction reads
    it."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            number = parse(kwargs[part])
            if number is None:
                return json_error(404, missing(kwargs[part]) if missing else f"no {what} {kwargs[part]!r}")
            return view(*args, **{into: number}, **kwargs)

        return wrapper

    return decorate


#: An API view on `/incidents/<ref>...`: `INC-7` or `7` (`INC-7x` is not INC-7).
incident_number = numbered("ref", "incident", incident_id, missing=no_incident)


@bp.get("/incidents")
@token_required(VIEW_INCIDENTS)
def incidents() -> Response:
    """Incidents, newest first, filtered like the list page (`status`, `priority`, `category`, `kind`, `assignee`,
    `queue`, `source`, `service`, `ci`, `requester`, `q`, `major`), sorted by `sort`, a `page` of `limit` at a time
    (default 100, at most 500); `X-Total-Count` says how many match in all, or with `total=capped` (cheaper on a
    large desk) at most 10,000 or the page's end, `X-Total-Count-Exact: false` saying more match. `queue=mine` and
    `new=1` are the person's with a personal token; a desk token is no one's (a 400 saying so), so `queue` names a
    person's address or is `unassigned`."""
    try:
        filt = IncidentFilter.from_args(request.args, default_limit=API_PAGE_SIZE, me=g.principal.email)
        wanted = paging.asked(request.args, cappable=True)  # the filter's page and limit, and `total`
    except FilterError as exc:
        return json_error(400, str(exc))
    with services().db.read() as session:
        found = search(session, filt, count_to=wanted.count_to)
        progress = request_steps.progress_among(session.connection(), [row.id for row in found.incidents])
    return paging.listed([incident_json(row, progress.get(row.id)) for row in found.incidents], found.total,
                         exact=found.exact)  # fmt: skip


@bp.post("/incidents")
@token_required(WORK_INCIDENTS)
def log() -> Response:
    """Log an incident by hand (what someone reported by phone, at the desk, in a chat): `title` and optionally
    `description`, `requester`, `channel`, `service`, `ci`, `priority`, `category`, `kind` (incident, the default,
    or request), `assignee`, `acknowledge_requester`.
    The rules route it; what is given wins over them. 201 with the incident and its `Location`."""
    body = request_json()
    if not isinstance(body, dict):
        return json_error(400, 'send a JSON object, like {"title": "Cannot print on floor 3"}')
    try:
        outcome = log_incident(body, by=g.principal.by, body=request.get_data())
    except BadInput as exc:
        return json_error(400, str(exc))
    except StorageUnavailable:
        return storage_unavailable()
    answer = _incident_answer(outcome.ref or "", 201 if outcome.created else 200)
    answer.headers["Location"] = url_for("api.incident", ref=outcome.ref)
    return answer


@bp.get("/incidents/<ref>")
@token_required(VIEW_INCIDENTS)
def incident(ref: str) -> Response:
    """One incident with its description and timeline."""
    return _incident_answer(ref)


def _incident_answer(ref: str, status: int = 200) -> Response:
    with services().db.read() as session:
        row = get_incident(session, ref)
        related = related_changes(session, row, _change_window()) if row is not None else []
        answer = satisfaction.answer_for(session, row.id) if row is not None else None
        spent = time_spent.entries(session, row.id) if row is not None else []
        files = attachments.files_of(session, row.id) if row is not None else []
        steps = request_steps.of_incident(session, row.id) if row is not None else []
    if row is None:
        return json_error(404, no_incident(ref))
    found = {**incident_detail_json(row, request_steps.progress_of(steps)),
             "satisfaction": answer.as_json() if answer else None,
             "related_changes": [r.as_json() for r in related],
             "time_entries": [time_entry_json(entry) for entry in spent],
             "files": [file_json(f, url_for(".incident_file", ref=row.ref, file_id=f.id)) for f in files],
             "steps": [step.as_json() for step in steps]}  # fmt: skip
    return json_response(found, status)


@bp.get("/incidents/<ref>/files/<int:file_id>")
@token_required(VIEW_INCIDENTS)
def incident_file(ref: str, file_id: int) -> Response:
    """One of the incident's files (as its `files` list them), with the incident page's download headers; 404 for
    another incident's file or one not stored, saying which."""
    served = downloads.download(ref, file_id)
    return json_error(404, served.message) if isinstance(served, downloads.Unserved) else served


def _change_window() -> timedelta:
    """How far back changes count as related: `?related_hours=` (1 to 720), else the configured window."""
    hours = whole_number(request.args.get("related_hours", ""))
    if hours is not None and 1 <= hours <= 720:
        return timedelta(hours=hours)
    return timedelta(seconds=services().settings.change_window)


_PATCHABLE = ("status", "assignee", "priority", "category", "kind", "service", "title", "resolution", "public_note")


@bp.patch("/incidents/<ref>")
@token_required(WORK_INCIDENTS)
@incident_number
def update_incident(ref: str, number: int) -> Response:
    """Change `status` (open, acknowledged, waiting, resolved, closed), `assignee`, `priority`, `title`,
    `category` and/or `service` (null or "" clears those two), `kind` (incident or request), `public_note` (what
    the status page says; null or "" takes it down); with `"status": "resolved"`, `resolution` says how.
    All the fields change in one transaction, or none does (a 409 saying which refused). Answers the incident as it
    is afterwards."""
    body = request_json()
    if not isinstance(body, dict) or not body:
        return json_error(400, f"send a JSON object with any of: {', '.join(_PATCHABLE)}")
    unknown = sorted(set(body) - set(_PATCHABLE))
    if unknown:
        return json_error(400, f"unknown field(s) {', '.join(unknown)}; these can change: {', '.join(_PATCHABLE)}")
    if problem := _patch_error(body):
        return json_error(400, problem)
    actor, db, mail = Actor(g.principal.by), acting_db(), mail_settings()
    return triaged(lambda: incident_fields.change(db, number, body, actor, mail), ref)


def _patch_error(body: dict[str, Any]) -> str | None:
    """What is wrong with a PATCH body whatever the incident's state (a 400), or None: checked before anything is
    written, so a request with one bad field changes nothing."""
    statuses = sorted({to for _, to in triage.TRANSITIONS.values()})
    priority, resolution = body.get("priority"), body.get("resolution")
    if "status" in body and body["status"] not in statuses:
        return f"'status' must be one of {', '.join(statuses)}, not {body['status']!r}"
    if resolution is not None and (not isinstance(resolution, str) or body.get("status") != "resolved"):
        return '\'resolution\' is text, sent with "status": "resolved"'
    if "priority" in body and (type(priority) is not int or priority not in triage.PRIORITIES):
        return f"'priority' must be a whole number from 1 (highest) to 5, not {priority!r}"
    if "title" in body and not isinstance(body["title"], str):
        return "'title' must be text"
    if not all(body.get(name) is None or isinstance(body[name], str) for name in ("category", "service")):
        return "'category' and 'service' must be names (strings), or null to clear them"
    if "kind" in body and body["kind"] not in INCIDENT_KINDS:
        return f"'kind' must be {' or '.join(INCIDENT_KINDS)}, not {body['kind']!r}"
    if body.get("public_note") is not None and not isinstance(body["public_note"], str):
        return "'public_note' is text, or null to take it down"
    if "assignee" in body and not isinstance(body["assignee"], str):
        return "'assignee' must be a person's email or a group name"
    return None


@bp.post("/incidents/<ref>/comments")
@token_required(WORK_INCIDENTS)
@incident_number
def comment(ref: str, number: int) -> Response:
    """Add an internal note, or with `"reply": true` mail the text to the requester; 201 with the incident. As
    multipart/form-data: the same fields, and up to five `file` parts attached to the note or the reply (413 when
    over the size limits, as the incident page's forms refuse them); with a file, `text` may be empty or left out.
    400 for neither words nor a file."""
    files: tuple[Upload, ...] = ()
    store = uploads.store()
    body: Any
    if request.mimetype == "multipart/form-data":
        uploads.allow_files(store.limits)  # before the body is read: a larger one is cut off with 413
        try:
            body = _form_comment()
            files = uploads.read(request.files.getlist(FILE_PART), store.limits)
        except FilesTooLarge as exc:
            return json_error(413, str(exc))
        except BadInput as exc:
            return json_error(400, str(exc))
    else:
        body = request_json()
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return json_error(400, 'send {"text": "...", "reply": false, "minutes": 15}')
    if unknown := sorted(set(body) - {"text", "reply", "minutes"}):  # a misspelt "reply" would make a note
        return json_error(400, f"unknown field(s) {', '.join(unknown)[:200]}; send text, reply and/or minutes")
    if not isinstance(body.get("reply", False), bool):  # "true" in quotes would have become a note, not a reply
        return json_error(400, "'reply' is true (mail the requester) or false (an internal note), without quotes")
    actor, db = Actor(g.principal.by), acting_db()
    try:
        spent = _spent(body) if "minutes" in body else None
    except BadInput as exc:
        return json_error(400, str(exc))

    def apply() -> None:
        kept = agent_files.keep(store, files)  # written before the transaction that records them
        if body.get("reply") is True:
            incident_notes.reply(db, number, body["text"], actor, mail_settings(), spent, kept)
        else:
            incident_notes.add_note(db, number, body["text"], actor, mail_settings(), spent, kept)

    return triaged(apply, ref, 201)


#: The multipart part that carries a comment's files (one part per file).
FILE_PART = "file"


def _form_comment() -> dict[str, Any]:
    """A multipart comment's fields as its JSON would have them (`text`, empty when left out: the files may be all
    there is; `reply` true or false, `minutes` a whole number); BadInput saying what to send."""
    form = request.form
    if unknown := sorted(set(request.files) - {FILE_PART}):
        raise BadInput(f"send files as parts named {FILE_PART!r}, not {', '.join(map(repr, unknown))}")
    body: dict[str, Any] = {"text": form.get("text", "")}
    reply = form.get("reply", "false").strip().lower()
    if reply not in ("true", "false"):
        raise BadInput("'reply' is true or false")
    body["reply"] = reply == "true"
    if "minutes" in form:
        minutes = whole_number(form["minutes"])
        if minutes is None:
            raise BadInput("'minutes' is a whole number of minutes")
        body["minutes"] = minutes
    return body


@bp.post("/incidents/<ref>/time")
@token_required(WORK_INCIDENTS)
@incident_number
def log_time(ref: str, number: int) -> Response:
    """Log time spent on the incident (`{"minutes": 25, "what": "..."}`); 201 with the incident."""
    body = request_json()
    if isinstance(body, dict) and (unknown := sorted(set(body) - {"minutes", "what"})):
        return json_error(400, f"unknown field(s) {', '.join(unknown)[:200]}; send minutes and what")
    try:
        spent = _spent(body)
    except BadInput as exc:
        return json_error(400, str(exc))
    return triaged(lambda: incident_notes.log_time(acting_db(), number, spent, Actor(g.principal.by)), ref, 201)


def _spent(body: object) -> Spent:
    """`minutes` (a whole number) and an optional `what` from a JSON body, or BadInput saying what to send."""
    minutes = body.get("minutes") if isinstance(body, dict) else None
    what = body.get("what") if isinstance(body, dict) else None
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not (what is None or isinstance(what, str)):
        raise BadInput('send {"minutes": 25, "what": "a call with the requester"}; minutes is a whole number')
    return Spent(minutes, (what or "").strip() or None)


#: An API view on `/incidents/<ref>/time/<entry>`: the entry's id as the incident's JSON lists it.
time_entry_number = numbered("entry", "time entry", row_id, into="entry_id")


@bp.patch("/incidents/<ref>/time/<entry>")
@token_required(WORK_INCIDENTS)
@incident_number
@time_entry_number
def correct_time(ref: str, number: int, entry: str, entry_id: int) -> Response:
    """Correct a time entry typed wrong (`{"minutes": 30}` or `{"spent": "1h"}`, and/or `{"what": "..."}`): the
    token's own entries, or anyone's for an admin token, as on the incident page; 200 with the incident."""
    try:
        correction = _correction(request_json())
    except BadInput as exc:
        return json_error(400, str(exc))
    actor, (db, anyones) = Actor(g.principal.by), with_right(MANAGE_USERS)
    return triaged(lambda: incident_notes.correct_time(db, number, entry_id, correction, actor, anyones=anyones), ref)


def _correction(body: object) -> Correction:
    """What to correct from a JSON body: `minutes` (a whole number) or `spent` (as people type it), and/or `what`
    (null or empty clears it)."""
    if (
        not isinstance(body, dict)
        or not body.keys() & {"minutes", "spent", "what"}
        or body.keys() >= {"minutes", "spent"}
    ):
        raise BadInput('send {"minutes": 30} or {"spent": "1h 30m"}, and/or {"what": "a call with the requester"}')
    minutes = body.get("minutes")
    if "minutes" in body and (isinstance(minutes, bool) or not isinstance(minutes, int)):
        raise BadInput("minutes is a whole number; or send the time as people type it in spent (1h 30m)")
    if "spent" in body:
        if not isinstance(body["spent"], str):
            raise BadInput("spent is text, like 25m, 1.5h or 1h 30m")
        minutes = time_spent.parse_spent(body["spent"])
    what = body.get("what")
    if what is not None and not isinstance(what, str):
        raise BadInput("what is text, or null to clear it")
    return Correction(minutes, (what or "") if "what" in body else None)


@bp.put("/incidents/<ref>/watchers/<email>")
@token_required(WORK_INCIDENTS)
@incident_number
def add_watcher(ref: str, number: int, email: str) -> Response:
    """Make the user `email` a watcher: they hear when the incident is resolved, reopened or escalated."""
    return _watching(ref, number, email, on=True)


@bp.delete("/incidents/<ref>/watchers/<email>")
@token_required(WORK_INCIDENTS)
@incident_number
def remove_watcher(ref: str, number: int, email: str) -> Response:
    """Stop telling `email` about the incident (answers the incident whether or not they were watching)."""
    return _watching(ref, number, email, on=False)


def _watching(ref: str, number: int, email: str, *, on: bool) -> Response:
    if "@" not in email or len(email) > ADDRESS_WIDTH:
        return json_error(400, f"{email!r} is not an email address")
    actor, db = Actor(g.principal.by), acting_db()

    def apply() -> None:
        triage.watch(db, number, actor, on=on, email=email)

    return triaged(apply, ref)


@bp.put("/incidents/<ref>/problem")
@token_required(MANAGE_PROBLEMS)
@incident_number
def link_problem(ref: str, number: int) -> Response:
    """Make the incident part of an open problem (`{"problem": "PRB-3"}`), moving it from any other."""
    body = request_json()
    typed = body.get("problem") if isinstance(body, dict) else None
    problem = reference("PRB", typed) if isinstance(typed, str) else None
    if problem is None:
        return json_error(400, 'send {"problem": "PRB-3"}: the reference of an open problem')
    return triaged(lambda: problem_links.link(acting_db(), number, problem, Actor(g.principal.by)), ref)


@bp.delete("/incidents/<ref>/problem")
@token_required(MANAGE_PROBLEMS)
@incident_number
def unlink_problem(ref: str, number: int) -> Response:
    """Take the incident out of its problem (answers the incident whether or not it was part of one)."""
    return triaged(lambda: problem_links.unlink(acting_db(), number, Actor(g.principal.by)), ref)


def triaged(
    apply: Callable[[], object], ref: str, status: int = 200, answer: Callable[[str, int], Response] | None = None
) -> Response:
    """Run a triage change and answer the incident (or what `answer(ref, status)` gives), or why it did not happen
    (400, 403, 404, 409, or 503 to retry)."""
    try:
        apply()
    except (NothingWritten, NotCopyable) as exc:  # the request is what is wrong, not the incident
        return json_error(400, str(exc))
    except (NoSuchIncident, NoSuchPart) as exc:
        return json_error(404, str(exc))
    except NotTheirs as exc:
        return json_error(403, str(exc))
    except TriageError as exc:
        return json_error(409, str(exc))
    except StorageUnavailable:
        return storage_unavailable()
    return (answer or _incident_answer)(ref, status)
