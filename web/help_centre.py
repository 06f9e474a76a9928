"""The public help centre, `/help`: the published knowledge articles (hub/knowledge.py), no login.

It is where the links in a requester's acknowledgement lead. Drafts are not there, and an installation with no
published article has no help centre: `/help` answers 404. The list is the same for everyone, so proxies may keep
it for a minute; an article's page is not kept, because its "Was this helpful?" form carries one browser's CSRF
token (checked by web/mail_links.py, so a stale form gets the article again with a word on what to do).

One answer per browser and article: a signed cookie lists the articles it answered, and the page then thanks
instead of asking. Clearing cookies answers again, so each client also has a limit (web/ratelimit.py).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadData, URLSafeSerializer
from werkzeug.wrappers import Response

from hub import article_feedback, knowledge
from hub.errors import BadInput
from hub.models import Article
from hub.verifying_keys import VerifyingKeys
from web.extensions import csrf
from web.mail_links import form_is_current, link_problem
from web.ratelimit import HELPFUL_PER_CLIENT, this_client_retry_after
from web.services import services

bp = Blueprint("help_centre", __name__, url_prefix="/help")

_CACHE = {"Cache-Control": "public, max-age=60"}

#: The cookie listing the articles a browser answered, newest last; a year, on the help centre's paths only.
ANSWERED_COOKIE = "switchboard_helpful"
ANSWERED_MAX_AGE = 365 * 86400
#: Articles the cookie remembers: a reader who answers more may answer the oldest again (and the cookie stays
#: well under the 4 kB browsers keep).
ANSWERED_KEPT = 100
_SALT = "switchboard.helpful"


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
    return _gone() if found is None else _page(found)


@bp.post("/<int:article_id>/helpful")
@csrf.exempt  # checked below, with the article's page as the answer
def helpful(article_id: int) -> ResponseReturnValue:
    """Count this browser's answer to "Was this helpful?" once, then show the article again with thanks."""
    with services().db.read() as session:
        found = knowledge.published(session, article_id)
    if found is None:
        return _gone()
    if not form_is_current():
        return _page(found, error="this page was out of date; answer again", code=400)
    answered = answered_articles(services().settings.verifying_keys, request.cookies.get(ANSWERED_COOKIE))
    if article_id in answered:  # a second answer from this browser counts nothing
        return _thanks(article_id)
    said, typed = article_feedback.answer_of(request.form.get("helpful")), request.form.get("missing", "")
    try:
        if said is None:
            raise BadInput("press Yes or No")
        comment = article_feedback.clean_comment(typed) if not said else None
    except BadInput as exc:
        return _page(found, error=str(exc), typed=typed, code=400)
    if (wait := this_client_retry_after(HELPFUL_PER_CLIENT)) is not None:
        message = f"We had many answers from you in the last hour. Please answer again in {-(-wait // 60)} minutes."
        return link_problem(429, message, "The article is still there to read.", heading="Please wait a little",
                            headers={"Retry-After": str(wait)})  # fmt: skip
    with services().db.transaction() as session:
        counted = article_feedback.record(session, article_id, said, comment)
    if not counted:  # withdrawn meanwhile
        return _gone()
    response = _thanks(article_id)
    response.set_cookie(
        ANSWERED_COOKIE, with_answered(services().settings.secret_key, answered, article_id),
        max_age=ANSWERED_MAX_AGE, path=bp.url_prefix or "/", secure=services().settings.cookies_secure,
        httponly=True, samesite="Lax",
    )  # fmt: skip
    return response


def answered_articles(keys: VerifyingKeys, cookie: str | None) -> tuple[int, ...]:
    """The articles a browser's cookie says it answered; none when it has no cookie, or one signed under none of
    `keys` (a cookie from before a new SECRET_KEY counts while the former key is listed)."""
    if not cookie:
        return ()
    try:
        listed = URLSafeSerializer(keys.all, salt=_SALT).loads(cookie)
    except BadData:
        return ()
    return tuple(n for n in listed if type(n) is int) if isinstance(listed, list) else ()


def with_answered(secret_key: str, answered: tuple[int, ...], article_id: int) -> str:
    """The cookie's new value: `answered` and `article_id`, the newest ANSWERED_KEPT of them."""
    kept = [*(n for n in answered if n != article_id), article_id][-ANSWERED_KEPT:]
    return str(URLSafeSerializer(secret_key, salt=_SALT).dumps(kept))


def _page(found: Article, *, error: str | None = None, typed: str = "", code: int = 200) -> ResponseReturnValue:
    answered = found.id in answered_articles(services().settings.verifying_keys, request.cookies.get(ANSWERED_COOKIE))
    return render_template("help/article.html", article=found, desk_address=services().settings.desk_address,
                           answered=answered, error=error, typed=typed,
                           max_comment=article_feedback.MAX_COMMENT), code  # fmt: skip


def _thanks(article_id: int) -> Response:
    return redirect(url_for(".article", article_id=article_id, _anchor="helpful"), 303)


def _gone() -> ResponseReturnValue:
    return render_template("help/gone.html", desk_address=services().settings.desk_address), 404
