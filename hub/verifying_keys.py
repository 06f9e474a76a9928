"""The keys that verify what Switchboard signed: SECRET_KEY, and the former keys still listed beside it.

SECRET_KEY signs login sessions, CSRF tokens, the links in mail, each person's calendar feed URL and the help
centre's cookie. After a new key, what the old one signed must keep working while the old key is listed in
SWITCHBOARD_OLD_SECRET_KEYS, or a key change logs everyone out and breaks every link in mail. So every reader of
something signed is given this value, never a bare key: none can forget the former keys, and mypy refuses a
`str` where it is wanted. Whatever is signed anew is signed with the current key alone.

(Sealing secrets at rest derives keys of its own from the same two settings: hub/sealed.py's Keyring.)

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VerifyingKeys:
    """SECRET_KEY, which signs, and the former keys (SWITCHBOARD_OLD_SECRET_KEYS), which only verify."""

    current: str = field(repr=False)
    former: tuple[str, ...] = field(default=(), repr=False)

    @property
    def older(self) -> tuple[str, ...]:
        """The former keys as listed, each once, without blanks or the current key."""
        return tuple(dict.fromkeys(k for k in self.former if k and k != self.current))

    @property
    def all(self) -> tuple[str, ...]:
        """Every key, the current one last: the order itsdangerous takes a list in (all verify, the last signs),
        and the order Flask's SECRET_KEY_FALLBACKS and SECRET_KEY make together."""
        return (*self.older, self.current)
