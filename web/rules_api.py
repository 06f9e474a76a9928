"""`/api/v1/rules`: the routing rules for scripts: the ordered list, the YAML export (as `switchboard rules
export` writes it, for version control) and the versions. Changing rules stays with the workbench and the CLI,
which validate a whole rule book and record who changed it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from hub import rulebook
from hub.domain import RuleSpec
from hub.rules_export import rule_document
from web.api import token_required
from web.permissions import VIEW_RULES
from web.responses import json_response
from web.services import services

bp = Blueprint("rules_api", __name__, url_prefix="/api/v1/rules")


def rule_json(place: int, spec: RuleSpec) -> dict[str, Any]:
    """One rule in the export's layout, with its id and place (1: applied first)."""
    document = rule_document(spec)
    return {
        "id": spec.id,
        "place": place,
        "name": spec.name,
        "when": document.get("when"),
        "set": document["set"],
        "stop": spec.stop,
        "enabled": spec.enabled,
    }


@bp.get("")
@token_required(VIEW_RULES)
def index() -> Response:
    """The rules in the order they apply."""
    with services().db.read() as session:
        specs = rulebook.load_rules(session)
    return json_response([rule_json(place, spec) for place, spec in enumerate(specs, start=1)])


@bp.get("/export")
@token_required(VIEW_RULES)
def export() -> Response:
    """The deterministic YAML export: the same rules give the same bytes."""
    with services().db.read() as session:
        text = rulebook.current_text(session)
    return Response(text, mimetype="application/yaml")


@bp.get("/versions")
@token_required(VIEW_RULES)
def versions() -> Response:
    """Every recorded version, newest first, with who made it and how many lines it changed."""
    with services().db.read() as session:
        found = rulebook.versions(session)
    return json_response(
        [
            {"number": v.number, "created_at": v.created_at.isoformat(), "author": v.author, "summary": v.summary,
             "added": v.added, "removed": v.removed}
            for v in reversed(found)
        ]
    )  # fmt: skip
