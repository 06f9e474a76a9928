"""The on-call rota as calendar events: each person's own feed, and the API's (web/oncall_api.py).

Calendar apps fetch a feed by URL, with no way to log in, so a person's feed URL carries a token of its own: their
account id and a fingerprint of their password hash, signed with SECRET_KEY. It never expires, and shows only
their shifts; a new password (or a deactivated account) ends it, as it ends their sessions. A URL made under a
former key works while that key is listed in SWITCHBOARD_OLD_SECRET_KEYS (hub/verifying_keys.py); the On call page
shows one made under the current key, which is the URL to copy before the former key is dropped.

The feed starts a week back, at a regular handover, and runs `days` ahead (one feed spans at most 92 days, so a
rotation of long shifts may stop a little sooner). An event's UID is its group, person and start: a refresh finds
each shift again and updates it (an override that shortens it, the last one cut at the horizon) rather than adding
a copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from hub import oncall
from hub.credentials import password_fingerprint
from hub.errors import Missing
from hub.ical import CalendarEvent
from hub.models import User
from hub.rotation import MAX_SPAN, Rotation, Shift, handoff_after, shifts
from hub.signed_links import MAX_TOKEN, BadLink, StaleLink
from hub.verifying_keys import VerifyingKeys

#: How far back the feed starts, and the most it runs ahead (the two within hub.rotation.MAX_SPAN).
BEHIND = timedelta(days=7)
MAX_DAYS = (MAX_SPAN - BEHIND).days


def events(
    session: Session, now: datetime, *, base_url: str, groups: Sequence[str] = (), who: str | None = None,
    days: int = 60,
) -> list[CalendarEvent]:  # fmt: skip
    """The shifts of every rotation (or of `groups`; Missing names one without a rotation), each an event; with
    `who`, only that person's, overrides included."""
    found = oncall.rotations(session, list(groups) if groups else None, now)
    if unknown := [g for g in groups if g not in found]:
        raise Missing(f"group {unknown[0]!r} has no on-call rotation; `switchboard oncall list` shows the rotations")
    person = who.strip().lower() if who else None
    return [
        _event(name, rotation, shift, base_url)
        for name, rotation in sorted(found.items())
        for shift in shifts(rotation, _start(rotation, now), now + timedelta(days=min(days, MAX_DAYS)))
        if person is None or shift.who == person
    ]


def _start(rotation: Rotation, now: datetime) -> datetime:
    """The regular handover at or just before a week ago."""
    return handoff_after(rotation, now - BEHIND - rotation.length)


def _event(group: str, rotation: Rotation, shift: Shift, base_url: str) -> CalendarEvent:
    covering = f" (covering, override {shift.override})" if shift.override is not None else ""
    description = (f"{shift.who} is on call for {group}{covering}. Shifts hand over at "
                   f"{rotation.handoff:%H:%M} {rotation.zone.key}.\n{base_url}/oncall")  # fmt: skip
    key = f"{group}\x00{shift.who}\x00{shift.starts.isoformat()}"
    uid = f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@switchboard"
    return CalendarEvent(uid, shift.starts, shift.ends, f"On call: {group} ({shift.who})", description)


# -- a person's own feed ----------------------------------------------------------------------------------------

_SALT = "switchboard.oncall-feed"  # its tokens are no other link's


def personal_token(secret_key: str, user: User) -> str:
    """The token of `user`'s own feed URL, good until their password changes."""
    return URLSafeSerializer(secret_key, salt=_SALT).dumps([user.id, password_fingerprint(user.password_hash)])


def person_for(session: Session, keys: VerifyingKeys, token: str) -> str:
    """Whose feed a token is: an active user's email; BadLink for a token signed under none of `keys`, StaleLink
    for one a new password or a deactivation ended."""
    try:
        found = URLSafeSerializer(keys.all, salt=_SALT).loads(token) if len(token) <= MAX_TOKEN else None
    except BadData:
        found = None
    match found:
        case [int() as user_id, str() as fingerprint]:
            user = session.get(User, user_id)
        case _:
            raise BadLink("this calendar link is not one of ours, or it was cut short")
    if user is None or not user.active or password_fingerprint(user.password_hash) != fingerprint:
        raise StaleLink("this calendar link has ended (a new password ends it): copy the new one from the On call page")
    return user.email
