"""What the hub keeps of "Was this helpful?": counts on published articles only, comments with a "no"."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub import article_feedback, knowledge
from hub.db import Database
from hub.errors import BadInput
from hub.models import Article, ArticleFeedback


@pytest.fixture
def published(db: Database) -> int:
    with db.transaction() as session:
        return knowledge.add(session, title="VPN", body="Start AnyConnect.", published=True, by="a@x").id


@pytest.mark.parametrize(("posted", "said"), [("yes", True), (" No ", False), ("maybe", None), (None, None)])
def test_the_answer_is_yes_or_no(posted: str | None, said: bool | None) -> None:
    assert article_feedback.answer_of(posted) is said


def test_answers_are_counted_and_a_nos_comment_kept_newest_first(db: Database, published: int) -> None:
    with db.transaction() as session:
        assert article_feedback.record(session, published, True, "ignored with a yes")
        assert article_feedback.record(session, published, False, "  the gateway's name  ")
        assert article_feedback.record(session, published, False, "")
        assert article_feedback.record(session, published, False, "how to reset the token")
    with db.read() as session:
        found = session.get(Article, published)
        assert found is not None and (found.helpful, found.not_helpful) == (1, 3)
        said = [c.comment for c in article_feedback.comments(session, published)]
    assert said == ["how to reset the token", "the gateway's name"]


def test_a_draft_or_missing_article_counts_nothing(db: Database) -> None:
    with db.transaction() as session:
        draft = knowledge.add(session, title="Runbook", body="Internal.", by="a@x").id
        assert not article_feedback.record(session, draft, False, "what is this")
        assert not article_feedback.record(session, 999, True)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ArticleFeedback)) == 0
        assert session.scalar(select(Article.not_helpful).where(Article.id == draft)) == 0


def test_too_long_a_comment_is_refused(db: Database, published: int) -> None:
    with db.transaction() as session, pytest.raises(BadInput, match="keep it under 500"):
        article_feedback.record(session, published, False, "x" * 501)


def test_removing_an_article_removes_what_readers_said_of_it(db: Database, published: int) -> None:
    with db.transaction() as session:
        article_feedback.record(session, published, False, "more detail")
    with db.transaction() as session:
        knowledge.remove(session, published, by="ann@example.com")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ArticleFeedback)) == 0
