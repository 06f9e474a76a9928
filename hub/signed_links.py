"""Links in mail that act without a login: a token naming an incident and a person, signed with SECRET_KEY.

The "How did we do?" links in a requester's resolution mail (hub/satisfaction.py) and the "Acknowledge" link in
an agent's assignment and escalation mail (hub/ack_links.py) are both such links. Each kind has its own salt, so
a token made for one is refused by the other, and its own lifetime. Following a link never acts by itself (mail
scanners fetch every link in a message): the page it opens has a form, and only that form's POST acts.

Links are signed with the current SECRET_KEY alone and read under every key that verifies (hub/verifying_keys.py),
so a link sent before a new key keeps working, within its lifetime, while the old key is listed.

Pure: signing and reading take the time as an argument, so issuing and expiry are tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from hub.errors import BadInput
from hub.verifying_keys import VerifyingKeys

#: A token longer than this was not made here (ours are under 200 characters for the longest address).
MAX_TOKEN = 600


class LinkProblem(BadInput):
    """A link that cannot be used; the message says why, in words for the person who followed it."""


class BadLink(LinkProblem):
    """Not a link we made: cut short in the mail, edited, signed with another key, or made for another page."""


class ExpiredLink(LinkProblem):
    """A link of ours past its lifetime."""


class StaleLink(LinkProblem):
    """A genuine link that no longer applies: its incident is gone, or the person may no longer act on it."""


@dataclass(frozen=True)
class Claim:
    """What a valid link says: the incident and the person it was sent to (lower-cased). A link about no incident
    (status updates, hub/status_subscriptions.py) carries its own record's id as the number, and one about the
    person alone (a requester's list of their requests, hub/my_requests.py) carries 0."""

    incident_id: int
    person: str


class _Clock(TimestampSigner):
    """itsdangerous's signer with the time passed in."""

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now.timestamp()) if self._now is not None else super().get_timestamp()


@dataclass(frozen=True)
class LinkKind:
    """One kind of link: its salt (keeping its tokens apart from every other kind and from sessions and CSRF
    tokens signed with the same key), how long it works, and the page it opens below the base URL. A kind the
    worker adds to mail as it sends names the mail templates that carry it and the fact it is given to them as."""

    salt: str
    lifetime: timedelta
    path: str
    notices: frozenset[str] = frozenset()
    fact: str = ""
    #: False for a kind about the person alone, whose number is always 0.
    names_record: bool = True

    @property
    def lifetime_in_words(self) -> str:
        """How long its links work, as mail and pages say it: "24 hours", "7 days"."""
        if self.lifetime < timedelta(days=2):
            return f"{self.lifetime // timedelta(hours=1)} hours"
        return f"{self.lifetime.days} days"

    def _serializer(self, keys: str | tuple[str, ...], now: datetime | None) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(keys, salt=self.salt, signer=_Clock, signer_kwargs={"now": now})

    def sign(self, secret_key: str, incident_id: int, person: str, *, now: datetime | None = None) -> str:
        """The token of a link for `person` about `incident_id`, issued `now`."""
        return self._serializer(secret_key, now).dumps([incident_id, person.strip().lower()])

    def read(self, keys: VerifyingKeys, token: str, *, now: datetime | None = None) -> Claim:
        """What a link's token says, signed under any of `keys`, or BadLink / ExpiredLink."""
        if len(token) > MAX_TOKEN:
            raise BadLink("this link is not one of ours")
        try:
            found = self._serializer(keys.all, now).loads(token, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired:
            raise ExpiredLink(f"this link has expired: links work for {self.lifetime_in_words}") from None
        except BadData:
            raise BadLink("this link is not one of ours, or it was cut short") from None
        match found:
            case [int() as number, str() as person] if person and (number > 0 if self.names_record else number == 0):
                return Claim(number, person)
        raise BadLink("this link is not one of ours")  # signed by us, but not this kind's (cannot happen with salts)

    def url(self, base_url: str, token: str) -> str:
        return f"{base_url.rstrip('/')}{self.path}{quote(token, safe='')}"

    def facts(
        self, secret_key: str, base_url: str, notice: str, incident_id: int | None, recipient: str,
        *, now: datetime | None = None,
    ) -> dict[str, str]:  # fmt: skip
        """`{fact: url}` for a mail from template `notice` about an incident to a person; {} for any other mail."""
        if notice not in self.notices or incident_id is None or "@" not in recipient:
            return {}
        return {self.fact: self.url(base_url, self.sign(secret_key, incident_id, recipient, now=now))}
