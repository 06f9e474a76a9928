"""Saved replies: the answers agents send again and again, kept once for the whole desk and offered beside the
reply box. Plain text; the agent reads and edits it before sending, so nothing in it is filled in unseen."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agent_action import MAX_TEXT  # what a reply may hold
from hub.errors import BadInput
from hub.models import SavedReply
from hub.names import check_name


def add_reply(session: Session, *, name: str, text: str, by: str) -> SavedReply:
    """Keep a reply under a short name; the name is unique, so the list beside the reply box stays readable."""
    name, text = check_name(name, "saved reply", "'VPN restart'"), text.strip()
    if not text or len(text) > MAX_TEXT:
        raise BadInput(f"a saved reply needs a text of 1 to {MAX_TEXT:,} characters")
    if session.scalar(select(SavedReply.id).where(SavedReply.name == name)) is not None:
        raise BadInput(f"there is a saved reply named {name!r} already; remove it first or choose another name")
    reply = SavedReply(name=name, text=text, created_by=by)
    session.add(reply)
    session.flush()
    return reply


def remove_reply(session: Session, reply_id: int) -> str:
    """Forget a saved reply; returns its name. Replies already sent are on their incidents' timelines."""
    reply = session.get(SavedReply, reply_id)
    if reply is None:
        raise BadInput(f"there is no saved reply #{reply_id}")
    session.delete(reply)
    return reply.name


def saved_replies(session: Session) -> list[SavedReply]:
    """Every saved reply, by name."""
    return list(session.scalars(select(SavedReply).order_by(SavedReply.name)))
