"""The knowledge pages for the desk (hub/knowledge.py): everyone reads the articles, drafts too; agents and
admins write, publish, withdraw and remove them. What the public reads is web/help_centre.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from hub import article_feedback, knowledge
from hub.errors import BadInput, Missing
from hub.models import Article
from web.acting import acting_db
from web.forms import button_action
from web.permissions import VIEW_INCIDENTS, WORK_INCIDENTS, allowed, demand, requires
from web.responses import sentence
from web.services import services

bp = Blueprint("knowledge", __name__, url_prefix="/articles")


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=knowledge.MAX_TITLE)],
                        description="Connect to the VPN from home")  # fmt: skip
    keywords = StringField("Keywords", validators=[Length(max=knowledge.MAX_KEYWORDS)],
                           description="vpn, remote, anyconnect")  # fmt: skip
    body = TextAreaField("Text", validators=[DataRequired(), Length(max=knowledge.MAX_BODY)])
    published = BooleanField("Published: in the help centre, and suggested to people who write to the desk")


@bp.get("")
@requires(VIEW_INCIDENTS)
def index() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:200]
    with services().db.read() as session:
        found = knowledge.listing(session, query)
        has_help = knowledge.any_published(session)
    return render_template("knowledge/index.html", articles=found, query=query, has_help=has_help,
                           may_write=allowed(current_user.role, WORK_INCIDENTS))  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@requires(WORK_INCIDENTS)
def new() -> ResponseReturnValue:
    form = ArticleForm()
    error = None
    if form.validate_on_submit():
        done = _save(lambda session: knowledge.add(session, **_fields(form), by=current_user.email))
        if not isinstance(done, str):
            return done
        error = done
    code = 400 if error or form.errors else 200
    return render_template("knowledge/edit.html", form=form, article=None, error=error), code


@bp.route("/<int:article_id>", methods=["GET", "POST"])
@requires(VIEW_INCIDENTS)
def edit(article_id: int) -> ResponseReturnValue:
    """The article; for agents and admins, the form that changes it."""
    may_write = allowed(current_user.role, WORK_INCIDENTS)
    with services().db.read() as session:
        try:
            article = knowledge.get(session, article_id)
        except Missing as exc:
            abort(404, description=sentence(str(exc)))
        comments = article_feedback.comments(session, article_id)
    form = ArticleForm(obj=article)
    error = None
    if request.method == "POST":
        demand(WORK_INCIDENTS, "Only agents and admins change articles.")
        if form.validate_on_submit():
            done = _save(lambda session: knowledge.change(session, article_id, **_fields(form), by=current_user.email))
            if not isinstance(done, str):
                return done
            error = done
    code = 400 if error or form.errors else 200
    return render_template("knowledge/edit.html", form=form, article=article, error=error, may_write=may_write,
                           public_url=knowledge.public_path(article_id), comments=comments), code  # fmt: skip


@bp.post("/<int:article_id>/remove")
@requires(WORK_INCIDENTS)
def remove(article_id: int) -> ResponseReturnValue:
    def work(session: Session) -> str:
        title = knowledge.remove(session, article_id, by=current_user.email)
        return f"Article {title!r} removed."

    return button_action(work, "knowledge.index", refused="Nothing removed: {}.")


def _save(write: Callable[[Session], Article]) -> ResponseReturnValue | str:
    """Write the article in one transaction (the hub audits it): then its page, or why nothing was saved."""
    try:
        with acting_db().transaction() as session:
            article = write(session)
            article_id, published = article.id, article.published
    except BadInput as exc:
        return f"Nothing saved: {exc}."
    flash(_saved(published), "success")
    return redirect(url_for(".edit", article_id=article_id))


def _fields(form: ArticleForm) -> dict[str, Any]:
    return {"title": form.title.data or "", "body": form.body.data or "", "keywords": form.keywords.data or "",
            "published": bool(form.published.data)}  # fmt: skip


def _saved(published: bool | None) -> str:
    if published:
        return "Saved and published: it is in the help centre, and suggested to people whose mail matches it."
    return "Saved as a draft: only the desk sees it."
