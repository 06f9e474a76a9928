"""Which role a person's groups at the identity provider give them here (SWITCHBOARD_OIDC_ROLE_MAP).

Pure and light to import: hub/config.py parses the map at start-up, so a mistyped map stops the start instead of
refusing people at their next login, and hub/sso.py applies it at every login.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hub.domain import ROLES
from hub.errors import ConfigError

#: The group everyone is in: `*=viewer` lets in whomever the provider vouches for, as a viewer at least.
ANYONE = "*"
#: What a map looks like, for the message that refuses one that does not.
SHAPE = f"group=role pairs, comma-separated, such as switchboard-admins=admin,helpdesk=agent,{ANYONE}=viewer"


@dataclass(frozen=True)
class RoleMap:
    """Groups as the provider spells them (matched exactly), each with the role it gives."""

    pairs: tuple[tuple[str, str], ...]

    def role_for(self, groups: Iterable[str]) -> str | None:
        """The highest role any of `groups` gives (admin over agent over viewer), or None when no group matches: a
        person in both the admins' and the helpdesk's group is an admin, whatever order the map or token lists them."""
        held = {*groups, ANYONE}
        return min((role for group, role in self.pairs if group in held), key=ROLES.index, default=None)

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups that give a role (not `*`): what someone the map refuses is told to ask to join."""
        return tuple(group for group, _ in self.pairs if group != ANYONE)


def parse(text: str, name: str = "SWITCHBOARD_OIDC_ROLE_MAP") -> RoleMap:
    """The map written as `group=role,group=role`; a role may follow the last `=`, so a group may hold one."""
    pairs: dict[str, str] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue  # a trailing comma, or two in a row: nothing is meant by it
        group, equals, role = (s.strip() for s in entry.rpartition("="))
        if not equals or not group:
            raise _wrong(name, f"{entry!r} is not group=role")
        if role.lower() not in ROLES:
            raise _wrong(name, f"{role!r} in {entry!r} is no role")
        if group in pairs:
            raise _wrong(name, f"{group!r} is given a role twice")
        pairs[group] = role.lower()
    if not pairs:
        raise _wrong(name, "it names no group")
    return RoleMap(tuple(pairs.items()))


def _wrong(name: str, problem: str) -> ConfigError:
    return ConfigError(f"{name} must be {SHAPE} (roles: {', '.join(ROLES)}); {problem}")
