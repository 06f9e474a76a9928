"""The public help centre, `/help`: the published knowledge articles (hub/knowledge.py), no login.

It is where the links in a requester's acknowledgement lead. Drafts are not there, and an installation with no
published article has no help centre: `/help` answers 404. The pages hold no form and are the same for everyone,
so proxies may keep them for a minute.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from hub import knowledge
from web.services import services

bp = Blueprint("help_centre", __name__, url_prefix="/help")

_CACHE = {"Cache-Control": "public, max-age=60"}


@bp.get("")
def index() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:200]
    with services().db.read() as session:
        found = knowledge.listing(session, query, only_published=True)
        has_help = bool(found) or knowledge.any_published(session)
    if not has_help:
        return render_template("help/none.html", desk_address=services().settings.desk_address), 404
    return render_template("help/index.html", articles=found, query=query,
                           desk_address=services().settings.desk_address), 200, _CACHE  # fmt: skip


@bp.get("/<int:article_id>")
def article(article_id: int) -> ResponseReturnValue:
    with services().db.read() as session:
        found = knowledge.published(session, article_id)
    if found is None:
        return render_template("help/gone.html", desk_address=services().settings.desk_address), 404
    return render_template("help/article.html", article=found, desk_address=services().settings.desk_address
                           ), 200, _CACHE  # fmt: skip
