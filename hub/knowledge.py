"""Knowledge articles: how to fix or do something, written once by the desk and found by the people who need it.

Agents write articles (drafts until published). Published ones are the public help centre (web/help_centre.py), and the
desk suggests them: a requester's acknowledgement lists up to three that match what they wrote, so many find
their answer before anyone at the desk reads the mail, and the incident page offers them beside the reply box.

Matching is plain word overlap (`terms`, `suggest`, pure): a keyword an author chose counts most, a word of the
title next, words of the body least. Articles are few (tens to hundreds), so each process keeps them indexed in
memory and reads them again only when the `articles` revision moves, as the rule book does: a mail costs the
intake one cheap read, no search engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import Session

from hub import audit, revisions
from hub.errors import BadInput, Missing
from hub.models import Article, utcnow

ARTICLES_REVISION = "articles"
MAX_TITLE = 200
MAX_BODY = 50_000
MAX_KEYWORDS = 500
#: How many articles a requester's acknowledgement suggests, at most.
SUGGESTED = 3
#: The least score worth suggesting: a keyword, or a word of the title, or two words of the body.
MIN_SCORE = 2
#: How much of a mail is read for matching: the subject and the start of the body say what it is about.
READ_CHARS = 4000

_WORD = re.compile(r"[^\W_]{3,}")
# Words too common to say what a mail is about, in the desk's usual language.
# fmt: off
_STOP = frozenset({
    "the", "and", "for", "are", "but", "not", "you", "your", "all", "any", "can", "has", "had", "have", "her", "his",
    "him", "its", "our", "out", "who", "what", "when", "where", "which", "why", "how", "this", "that", "these",
    "those", "there", "their", "them", "they", "then", "than", "with", "from", "into", "onto", "about", "after",
    "before", "again", "also", "just", "only", "very", "more", "most", "some", "such", "been", "being", "was",
    "were", "will", "would", "could", "should", "shall", "may", "might", "must", "does", "did", "doing", "done",
    "get", "got", "please", "thanks", "thank", "hello", "dear", "regards", "best", "help", "need", "want", "know",
    "like", "one", "two", "today", "yesterday", "tomorrow", "still", "now", "new", "every", "each", "other", "same",
    "able", "since", "while", "because", "here",
})
# fmt: on


def terms(text: str) -> frozenset[str]:
    """The words of `text` that can match: lower-cased, three letters or more, common words left out, and a plural
    `s` taken off (so "printers" finds "printer")."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.add(word)
    return frozenset(found)


def keyword_list(text: str | None) -> tuple[str, ...]:
    """Keywords as typed (comma-separated), cleaned: each stripped, none blank, no repeats, in the given order."""
    seen: dict[str, None] = {}
    for part in (text or "").split(","):
        if part := " ".join(part.split()):
            seen.setdefault(part.lower(), None)
    return tuple(seen)


@dataclass(frozen=True)
class Indexed:
    """One published article, as matching sees it."""

    id: int
    title: str
    title_terms: frozenset[str]
    keyword_terms: frozenset[str]
    body_terms: frozenset[str]

    @classmethod
    def of(cls, article_id: int, title: str, keywords: str, body: str) -> Indexed:
        return cls(article_id, title, terms(title), terms(" ".join(keyword_list(keywords))), terms(body))

    def score(self, asked: frozenset[str]) -> int:
        body = min(len(asked & self.body_terms), 2)  # a long article must not win on length alone
        return 3 * len(asked & self.keyword_terms) + 2 * len(asked & self.title_terms) + body


def suggest(index: Iterable[Indexed], text: str, limit: int = SUGGESTED) -> list[Indexed]:
    """The articles that best match `text`, best first (newest first among equals); none below MIN_SCORE."""
    asked = terms(text[:READ_CHARS])
    if not asked:
        return []
    scored = [(found.score(asked), found.id, found) for found in index]
    best = sorted((s for s in scored if s[0] >= MIN_SCORE), key=lambda s: (-s[0], -s[1]))
    return [found for _, _, found in best[:limit]]


def public_path(article_id: int) -> str:
    return f"/help/{article_id}"


def public_url(base_url: str, article_id: int) -> str:
    """The article's page in the help centre, as mail and other tools link to it."""
    return f"{base_url}{public_path(article_id)}"


def as_facts(found: Sequence[Indexed], base_url: str) -> list[dict[str, str]]:
    """Suggestions as a mail template sees them: [{title, url}]."""
    return [{"title": a.title, "url": public_url(base_url, a.id)} for a in found]


class KnowledgeCache:
    """Per process: the published articles, indexed, read again only when the `articles` revision moves."""

    def __init__(self) -> None:
        self._version: int | None = None
        self._index: tuple[Indexed, ...] = ()

    def current(self, conn: Connection, seen: revisions.Revisions | None = None) -> tuple[Indexed, ...]:
        version = (seen or revisions.Revisions()).of(conn).get(ARTICLES_REVISION, 0)
        if version != self._version:
            published = select(Article.id, Article.title, Article.keywords, Article.body).where(
                Article.published.is_(True)
            )
            self._index = tuple(Indexed.of(*row) for row in conn.execute(published))
            self._version = version
        return self._index


# -- writing them ---------------------------------------------------------------------------------------------------


def _checked(title: str, body: str, keywords: str) -> tuple[str, str, str]:
    title, body = " ".join(title.split()), body.strip()
    if not title or len(title) > MAX_TITLE:
        raise BadInput(f"an article needs a title of 1 to {MAX_TITLE} characters")
    if not body or len(body) > MAX_BODY:
        raise BadInput(f"an article needs a text of 1 to {MAX_BODY:,} characters")
    listed = ", ".join(keyword_list(keywords))
    if len(listed) > MAX_KEYWORDS:
        raise BadInput(f"keep the keywords under {MAX_KEYWORDS} characters; a few words people use are enough")
    return title, body, listed


def add(session: Session, *, title: str, body: str, keywords: str = "", published: bool = False, by: str) -> Article:
    """Write an article, a draft until `published`, audited `article.add` by `by` (the page's and the command's)."""
    title, body, keywords = _checked(title, body, keywords)
    now = utcnow()
    article = Article(title=title, body=body, keywords=keywords, published=published, created_by=by,
                      updated_by=by, created_at=now, updated_at=now)  # fmt: skip
    session.add(article)
    session.flush()
    revisions.bump(session, ARTICLES_REVISION)
    audit.record(session, by, "article.add", article.title, published=published)
    return article


def change(
    session: Session, article_id: int, *, title: str, body: str, keywords: str, published: bool, by: str
) -> Article:
    """Rewrite an article, or publish or withdraw it; audited `article.change` by `by`."""
    article = get(session, article_id)
    article.title, article.body, article.keywords = _checked(title, body, keywords)
    article.published, article.updated_by, article.updated_at = published, by, utcnow()
    revisions.bump(session, ARTICLES_REVISION)
    audit.record(session, by, "article.change", article.title, published=published)
    return article


def remove(session: Session, article_id: int, *, by: str) -> str:
    """Delete an article, audited `article.remove` by `by`; returns its title. Mail that linked to it links to a page
    that says it is gone."""
    article = get(session, article_id)
    session.delete(article)
    revisions.bump(session, ARTICLES_REVISION)
    audit.record(session, by, "article.remove", article.title)
    return article.title


def get(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise Missing(f"there is no article #{article_id}; `switchboard article list` shows them with their numbers")
    return article


def published(session: Session, article_id: int) -> Article | None:
    """The article, if the public may read it."""
    article = session.get(Article, article_id)
    return article if article is not None and article.published else None


def any_published(session: Session) -> bool:
    """Whether there is a help centre: some article is published."""
    return session.scalar(select(Article.id).where(Article.published.is_(True)).limit(1)) is not None


def listing(session: Session, query: str = "", *, only_published: bool = False, limit: int = 200) -> list[Article]:
    """Articles whose title, keywords or text hold every word of `query`, newest change first."""
    found = select(Article)
    if only_published:
        found = found.where(Article.published.is_(True))
    for word in query.split()[:10]:
        columns = (Article.title, Article.keywords, Article.body)
        found = found.where(or_(*(column.icontains(word, autoescape=True) for column in columns)))
    return list(session.scalars(found.order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit)))
