"""The service catalogue for scripts that keep it in code (a CMDB sync, a Terraform-like tool): `GET`, `POST
/api/v1/services`, and `GET`, `PATCH`, `DELETE /api/v1/services/<name>`; SLA policies and calendars are
web/sla_api.py's.

Any token reads, as everyone who logs in reads /services; admin tokens change it, as only admins do on the page.
Each change goes through the hub functions the page and `switchboard service` call (hub/catalogue.py,
hub/service_references.py), so the API refuses what they refuse in the same words, and is audited as the page is,
by a personal token's person or a desk token's `token:<name>`. A service's name may hold "/", so it is the rest
of the path: nothing follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, url_for
from sqlalchemy.orm import Session

from hub import audit, catalogue, service_overview, service_references
from hub.errors import BadField, BadInput, Missing, StorageUnavailable
from hub.names import NAME_WIDTH, is_one_line
from hub.service_overview import ServiceLine
from web.acting import acting_db
from web.api import token_required
from web.catalogue_forms import DESCRIPTION_WIDTH
from web.permissions import MANAGE_CATALOGUE, VIEW_CATALOGUE
from web.responses import json_error, json_response, request_json, storage_unavailable
from web.services import services

bp = Blueprint("services_api", __name__, url_prefix="/api/v1/services")

_FIELDS = ("name", "owner_group", "major_group", "public", "description")
_EXAMPLE = '{"name": "mail", "owner_group": "messaging", "public": true, "description": "Exchange and the MX relays"}'


def service_json(line: ServiceLine) -> dict[str, Any]:
    return {
        "name": line.name,
        "owner_group": line.owner_group,
        "major_group": line.major_group,
        "public": line.public,
        "description": line.description,
        "unresolved": dict(line.unresolved),
        "policies": [policy.name for policy in line.policies],
    }


def actor() -> str:
    """Who the audit log says made a change: a personal token's person, or the desk's token as `token:<name>`."""
    return g.principal.by


def refused(exc: BadInput, renamed: dict[str, str] | None = None) -> Response:
    """The hub's refusal as the API answers it: 404 for what does not exist, else 400 with the `field` it is about
    (as the body spells it: `renamed` maps the hub's spelling to it)."""
    if isinstance(exc, Missing):
        return json_error(404, str(exc))
    if isinstance(exc, BadField):
        return json_response({"error": str(exc), "field": (renamed or {}).get(exc.field, exc.field)}, 400)
    return json_error(400, str(exc))


def a_name(text: str) -> bool:
    """Whether a name from the path could name anything (longer ones, or with control characters, cannot)."""
    return len(text) <= NAME_WIDTH and is_one_line(text)


def json_body(fields: tuple[str, ...], example: str) -> dict[str, Any]:
    """The request's JSON object, holding none but `fields`; BadInput saying what to send."""
    body = request_json()
    if not isinstance(body, dict) or not body:
        raise BadInput(f"send a JSON object with any of {', '.join(fields)}, e.g. {example}")
    if unknown := sorted(set(body) - set(fields)):
        raise BadInput(f"unknown field(s) {', '.join(unknown)[:200]}; send any of {', '.join(fields)}")
    return body


def text(body: dict[str, Any], key: str, *, width: int | None = None) -> str | None:
    """`body[key]`: text, or None when absent or null; BadField about `key` otherwise."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadField(key, f"'{key}' is text, or null")
    if value is not None and width is not None and len(value) > width:
        raise BadField(key, f"'{key}' is at most {width} characters")
    return value


def required_text(body: dict[str, Any], key: str, what: str, example: str) -> str:
    """`body[key]`, which a new `what` needs; BadField saying so, with an example, when it is not text."""
    value = body.get(key)
    if not isinstance(value, str):
        raise BadField(key, f"{what} needs '{key}', e.g. {example}")
    return value


def created(answer: Response, location: str) -> Response:
    """A 201's answer, saying where the new thing now lives."""
    answer.headers["Location"] = location
    return answer


def _public(body: dict[str, Any]) -> bool | None:
    value = body.get("public")
    if value is not None and not isinstance(value, bool):
        raise BadField("public", "'public' is true (shown on the status page) or false")
    return value


def _line(session: Session, name: str) -> ServiceLine:
    """The service `name` as the list shows it (Missing when there is none)."""
    row = catalogue.get_service(session, name)
    [line] = [line for line in service_overview.read(session).services if line.name == row.name]
    return line


def _answer(session: Session, name: str, status: int = 200, **more: Any) -> Response:
    return json_response({**service_json(_line(session, name)), **more}, status)


@bp.get("")
@token_required(VIEW_CATALOGUE)
def index() -> Response:
    """Every service by name, with its unresolved incidents by status and the SLA policies naming it."""
    with services().db.read() as session:
        return json_response([service_json(line) for line in service_overview.read(session).services])


@bp.get("/<path:name>")
@token_required(VIEW_CATALOGUE)
def detail(name: str) -> Response:
    """One service, as the list shows it."""
    if not a_name(name):
        return json_error(404, f"there is no service {name[:NAME_WIDTH]!r}")
    try:
        with services().db.read() as session:
            return _answer(session, name)
    except Missing as exc:
        return json_error(404, str(exc))


@bp.post("")
@token_required(MANAGE_CATALOGUE)
def create() -> Response:
    """Add a service: `name`, and optionally `owner_group`, `major_group`, `public`, `description`. 201 with it, and
    `warnings` when a group it names does not exist yet (saved all the same, as the page does)."""

    def add(session: Session, body: dict[str, Any]) -> Response:
        name = required_text(body, "name", "a service", _EXAMPLE)
        row = catalogue.add_service(session, name=name, owner_group=text(body, "owner_group"),
                                    description=text(body, "description", width=DESCRIPTION_WIDTH) or "",
                                    public=bool(_public(body)), major_group=text(body, "major_group"))  # fmt: skip
        audit.record(session, actor(), "service.add", row.name, owner_group=row.owner_group, public=row.public,
                     major_group=row.major_group)  # fmt: skip
        answer = _answer(session, row.name, 201, warnings=catalogue.missing_groups(session, row))
        return created(answer, url_for(".detail", name=row.name))

    return changed(_FIELDS, _EXAMPLE, add)


@bp.patch("/<path:name>")
@token_required(MANAGE_CATALOGUE)
def change(name: str) -> Response:
    """Change what the body gives: `owner_group`, `major_group` (null or "" clears either), `public`, `description`;
    a `name` other than its own renames it everywhere it is named (hub/service_references.py), and `renamed` says
    what followed and which rules and silences still test an event's label for the old name."""
    if not a_name(name):
        return json_error(404, f"there is no service {name[:NAME_WIDTH]!r}")

    def work(session: Session, body: dict[str, Any]) -> Response:
        row = catalogue.get_service(session, name, lock=True)
        more: dict[str, Any] = {}
        new_name = body.get("name", row.name)
        if not isinstance(new_name, str):
            raise BadField("name", "'name' is the service's new name, as text")
        if new_name.strip() != row.name:
            done = service_references.rename_service(session, row.name, new_name, author=actor())
            audit.record(session, actor(), "service.rename", done.old, **done.detail())
            more["renamed"] = {"from": done.old, "moved": dict(done.moved), "subscribers": done.subscribers,
                               "rules": list(done.rules), "testing_rules": list(done.testing_rules),
                               "silences": list(done.silences)}  # fmt: skip
        before = catalogue.service_fields(row)
        groups = {key: (text(body, key) or "") if key in body else None for key in ("owner_group", "major_group")}
        changed = catalogue.set_service(session, row.name, public=_public(body), **groups,
                                        description=text(body, "description", width=DESCRIPTION_WIDTH))  # fmt: skip
        moved = {key: value for key, value in catalogue.service_fields(changed).items() if before[key] != value}
        if moved:
            audit.record(session, actor(), "service.change", changed.name, **moved)
        warnings = catalogue.missing_groups(session, changed, owner="owner_group" in moved,
                                            major="major_group" in moved)  # fmt: skip
        return _answer(session, changed.name, warnings=warnings, **more)

    return changed(_FIELDS, _EXAMPLE, work, renamed={"new_name": "name"})


@bp.delete("/<path:name>")
@token_required(MANAGE_CATALOGUE)
def remove(name: str) -> Response:
    """Remove the service as the page's Remove does: 409 while unresolved incidents, SLA policies or rules that set
    it name it (`error` says which and what to do first). Otherwise 200 with what no longer names it (`cleared`,
    `subscribers`) and the records that keep its name (`kept`)."""
    if not a_name(name):
        return json_error(404, f"there is no service {name[:NAME_WIDTH]!r}")
    try:
        with acting_db().transaction() as session:
            done = service_references.remove_service(session, name)
            audit.record(session, actor(), "service.remove", done.name, **done.detail())
    except service_references.ServiceInUse as exc:
        return json_error(409, str(exc))
    except BadInput as exc:
        return refused(exc)
    except StorageUnavailable:
        return storage_unavailable()
    return json_response({"removed": done.name, **done.detail()})


def changed(
    fields: tuple[str, ...], example: str, work: Callable[[Session, dict[str, Any]], Response],
    renamed: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    """Run `work` on the request's JSON object (holding none but `fields`) in one transaction: its answer, or why
    nothing changed (`refused`)."""
    try:
        body = json_body(fields, example)
        with acting_db().transaction() as session:
            return work(session, body)
    except BadInput as exc:
        return refused(exc, renamed)
    except StorageUnavailable:
        return storage_unavailable()
