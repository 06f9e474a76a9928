"""Which way an incident's timeline reads, on its page and on its review's: oldest first (the story in order) unless
the person chose newest first on /account, and either way the other, this once, with `?timeline=oldest` or
`?timeline=newest` (a plain link: it changes nothing stored).

Both pages load the whole timeline (web/queries.py `get_incident`), so newest first is every entry reversed and its
first entry the latest; were a page ever to show only part of it, it would have to read the newest part for this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import request, url_for
from flask_login import current_user

NEWEST = "newest"
OLDEST = "oldest"
#: What `?timeline=` may ask for: newest first or not.
_ASKED = {NEWEST: True, OLDEST: False}

T = TypeVar("T")


def newest_first(asked: str | None, preferred: bool) -> bool:
    """Whether to show the timeline newest first: as `?timeline=` asks, else as the person prefers (any other value
    is no ask, so a mistyped link still shows the page)."""
    return _ASKED.get(asked or "", preferred)


def in_order(entries: Sequence[T], newest: bool) -> list[T]:
    """`entries`, kept oldest first, in the order to show them."""
    return list(reversed(entries)) if newest else list(entries)


@dataclass(frozen=True)
class Shown(Generic[T]):
    """A timeline as a page shows it: the entries in order, which order that is, whether it is the person's own
    (not a `?timeline=` this once), and the link showing it the other way."""

    entries: list[T]
    newest_first: bool
    preferred: bool
    other_way: str


def shown(entries: Sequence[T], endpoint: str, ref: str) -> Shown[T]:
    """This request's timeline of the incident `ref`, whose page is `endpoint`'s, in the viewer's order."""
    asked = request.args.get("timeline")
    newest = newest_first(asked, current_user.timeline_newest_first)
    other = url_for(endpoint, ref=ref, timeline=OLDEST if newest else NEWEST, _anchor="timeline")
    return Shown(in_order(entries, newest), newest, newest == current_user.timeline_newest_first, other)
