"""Configuration items for other tools (hub/cis.py): `GET /api/v1/cis`, `GET /api/v1/cis/<name>`, and
`PUT /api/v1/cis/<name>`, with which a discovery tool keeps them in step: it creates the CI or makes it exactly what
the body says, and a sync that changes nothing changes nothing (not even the intake's cache)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from hub import audit, ci_records, cis
from hub.errors import BadInput, Missing
from hub.incident_search import MAX_LIMIT, FilterError
from hub.models import ConfigurationItem
from web import paging
from web.acting import acting_db
from web.api import token_required
from web.permissions import MANAGE_CIS, VIEW_CIS
from web.responses import json_error, json_response, request_json
from web.services import services

bp = Blueprint("cis_api", __name__, url_prefix="/api/v1")

_BODY_KEYS = frozenset({"kind", "service", "owner", "description", "attributes", "status", "depends_on"})


def ci_json(row: ConfigurationItem) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "service": row.service,
        "owner": row.owner,
        "status": row.status,
        "attributes": dict(row.attributes or {}),
        "description": row.description,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


@bp.get("/cis")
@token_required(VIEW_CIS)
def index() -> Response:
    """CIs by name, narrowed by `q` (words in name, owner, description), `kind`, `service`, `status` (active by
    default; `all` for both); a `page` of `limit` at a time (default and most 500), as the other lists page;
    `X-Total-Count` says how many match in all."""
    status = request.args.get("status", "active")
    if status not in (*cis.STATUSES, "all"):
        return json_error(400, f"'status' must be {', '.join(cis.STATUSES)} or all, not {status[:40]!r}")
    try:
        wanted = paging.asked(request.args, MAX_LIMIT)
    except FilterError as exc:
        return json_error(400, str(exc))
    narrowed = cis.CiFilter(query=request.args.get("q", "")[:200], kind=request.args.get("kind", "")[:20],
                            service=request.args.get("service", "")[:100], status="" if status == "all" else status,
                            limit=wanted.limit, offset=wanted.offset)  # fmt: skip
    with services().db.read() as session:
        return paging.listed([ci_json(row) for row in cis.listing(session, narrowed)], cis.count(session, narrowed))


@bp.get("/cis/<name>")
@token_required(VIEW_CIS)
def detail(name: str) -> Response:
    """One CI, what it depends on, what depends on it, and its open incidents."""
    with services().db.read() as session:
        try:
            found = ci_records.record(session, name)
        except Missing as exc:
            return json_error(404, str(exc))
        return json_response({
            **ci_json(found.ci),
            "depends_on": [other.name for other in found.depends_on],
            "dependents": [other.name for other in found.dependents],
            "open_incidents": [incident.ref for incident in found.open_incidents],
        })  # fmt: skip


@bp.put("/cis/<name>")
@token_required(MANAGE_CIS)
def put(name: str) -> Response:
    """Create the CI `name`, or replace what it is with the body: `kind` (required), `service`, `owner`,
    `description`, `attributes` (an object), `status`, `depends_on` (names). 201 when created, else 200."""
    body = request_json()
    if not isinstance(body, dict):
        return json_error(400, "the body must be a JSON object with 'kind' and optionally 'service', 'owner', ...")
    unknown = sorted(set(body) - _BODY_KEYS)
    if unknown:
        return json_error(400, f"unknown field(s) {', '.join(unknown)[:200]}; a CI has {', '.join(sorted(_BODY_KEYS))}")
    try:
        fields = _fields(name, body)
        status = _optional_text(body, "status")
        needs = body.get("depends_on", [])
        if not isinstance(needs, list) or not all(isinstance(other, str) for other in needs):
            raise BadInput("'depends_on' must be a list of CI names")
        who = g.principal.by
        with acting_db().transaction() as session:
            row, outcome = cis.put(session, fields, status=status)
            if cis.set_dependencies(session, row, needs) and outcome == "unchanged":
                outcome = "updated"
            if outcome != "unchanged":
                audit.record(session, who, f"ci.{'add' if outcome == 'created' else 'change'}", row.name)
            answer = {**ci_json(row), "depends_on": [other.name for other in cis.depends_on(session, row.id)]}
    except BadInput as exc:
        return json_error(400, str(exc))
    return json_response({**answer, "result": outcome}, 201 if outcome == "created" else 200)


def _fields(name: str, body: dict[str, Any]) -> cis.CiFields:
    attributes = body.get("attributes", {})
    if not isinstance(attributes, dict):
        raise BadInput('\'attributes\' must be an object of names and values, e.g. {"ip": "10.0.0.5"}')
    kind = body.get("kind")
    if not isinstance(kind, str):
        raise BadInput(f"'kind' is required: one of {', '.join(cis.KINDS)}")
    return cis.CiFields(name=name, kind=kind, service=_optional_text(body, "service"),
                        owner=_optional_text(body, "owner"), description=_optional_text(body, "description") or "",
                        attributes=attributes)  # fmt: skip


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadInput(f"'{key}' must be a text or null")
    return value
