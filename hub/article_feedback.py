"""The help centre's "Was this helpful?" under each article: counts per article, and what was missing.

The desk learns which articles answer people and which need work; the public never sees the counts. Anyone may
answer, without a login, so the web edge keeps one answer per browser and per-client limits
(web/help_centre.py); here an answer is only counted, in one statement, so answers arriving at once all count.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.errors import BadInput
from hub.models import Article, ArticleFeedback, utcnow

#: The longest "what was missing?" kept: a sentence or two, which is what the desk will read.
MAX_COMMENT = 500
#: The answers the form offers: yes (it helped) or no.
ANSWERS = {"yes": True, "no": False}
#: How many of an article's newest comments the desk's page shows.
SHOWN_COMMENTS = 20


def answer_of(value: str | None) -> bool | None:
    """The posted answer: True for "yes", False for "no", None for anything else."""
    return ANSWERS.get((value or "").strip().lower())


def clean_comment(text: str | None) -> str | None:
    """The comment as kept: stripped, None when blank; BadInput when over MAX_COMMENT characters."""
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        raise BadInput(f"what was missing is {len(text):,} characters long; keep it under {MAX_COMMENT:,}")
    return text or None


def record(session: Session, article_id: int, helpful: bool, comment: str | None = None) -> bool:
    """Count one answer for a published article, with the comment of a "no"; False (and nothing kept) when the
    article is not published. A comment with "yes" is dropped: the question it answers is what was missing."""
    kept = clean_comment(comment) if not helpful else None
    column = Article.helpful if helpful else Article.not_helpful
    counted = session.execute(
        update(Article)
        .where(Article.id == article_id, Article.published.is_(True))
        .values({column: column + 1})
        .execution_options(synchronize_session=False)
    )
    if not counted.rowcount:  # type: ignore[attr-defined]
        return False
    if kept is not None:
        session.add(ArticleFeedback(article_id=article_id, comment=kept, created_at=utcnow()))
    return True


def comments(session: Session, article_id: int, limit: int = SHOWN_COMMENTS) -> list[ArticleFeedback]:
    """The article's newest "what was missing?" comments, newest first."""
    newest = select(ArticleFeedback).where(ArticleFeedback.article_id == article_id)
    return list(session.scalars(newest.order_by(ArticleFeedback.id.desc()).limit(limit)))
