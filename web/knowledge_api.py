"""Knowledge articles for other tools (hub/knowledge.py): `GET /api/v1/articles`, `/api/v1/articles/<id>` and
`/api/v1/articles/suggest?text=`, with an API token.

`suggest` answers what a requester's acknowledgement would offer for a text, so a chat bot or a portal can point
someone to an answer before they ask the desk. Drafts are listed for the desk's tokens like every article; only
published ones are suggested.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from hub import knowledge
from hub.errors import Missing
from hub.models import Article
from web.api import token_required
from web.permissions import VIEW_INCIDENTS
from web.responses import json_error, json_response
from web.services import services

bp = Blueprint("knowledge_api", __name__, url_prefix="/api/v1")

#: The longest text `suggest` reads; matching looks at the start anyway (knowledge.READ_CHARS).
MAX_TEXT = 10_000


def article_json(row: Article, *, with_body: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": row.id,
        "title": row.title,
        "keywords": list(knowledge.keyword_list(row.keywords)),
        "published": row.published,
        "url": knowledge.public_url(services().settings.base_url, row.id) if row.published else None,
        "updated_at": row.updated_at.isoformat(),
        "updated_by": row.updated_by,
        "helpful": row.helpful,  # the help centre's "Was this helpful?" answers
        "not_helpful": row.not_helpful,
    }
    if with_body:
        found["body"] = row.body
    return found


@bp.get("/articles")
@token_required(VIEW_INCIDENTS)
def articles() -> Response:
    """Articles holding every word of `?q=` (all without it), newest change first, without their text."""
    with services().db.read() as session:
        rows = knowledge.listing(session, request.args.get("q", "")[:200])
        return json_response([article_json(row) for row in rows])


@bp.get("/articles/<int:article_id>")
@token_required(VIEW_INCIDENTS)
def article(article_id: int) -> Response:
    with services().db.read() as session:
        try:
            return json_response(article_json(knowledge.get(session, article_id), with_body=True))
        except Missing as exc:
            return json_error(404, str(exc))


@bp.get("/articles/suggest")
@token_required(VIEW_INCIDENTS)
def suggest() -> Response:
    """The published articles a requester writing `?text=` would be offered, best first (at most three)."""
    text = request.args.get("text", "")
    if not text.strip():
        return json_error(400, "say what the person wrote: ?text=the printer on floor 3 jams")
    if len(text) > MAX_TEXT:
        return json_error(400, f"'text' is {len(text):,} characters long; send at most {MAX_TEXT:,}")
    with services().db.read() as session:
        found = knowledge.suggest(services().articles.current(session.connection()), text)
    return json_response(knowledge.as_facts(found, services().settings.base_url))
