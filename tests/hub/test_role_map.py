"""SWITCHBOARD_OIDC_ROLE_MAP: how it is written, and which role a person's groups give."""

from __future__ import annotations

import pytest

from hub.errors import ConfigError
from hub.role_map import SHAPE, RoleMap, parse


def test_a_map_is_read_as_written() -> None:
    assert parse(" switchboard-admins = admin , helpdesk=Agent,*=viewer,") == RoleMap(
        (("switchboard-admins", "admin"), ("helpdesk", "agent"), ("*", "viewer"))
    )


def test_the_highest_role_wins_whatever_the_order_of_map_or_groups() -> None:
    role_map = parse("*=viewer,helpdesk=agent,switchboard-admins=admin")
    assert role_map.role_for(["switchboard-admins", "helpdesk"]) == "admin"
    assert role_map.role_for(["helpdesk", "switchboard-admins"]) == "admin"
    assert role_map.role_for(["helpdesk", "sales"]) == "agent"


def test_star_gives_its_role_to_anyone() -> None:
    assert parse("helpdesk=agent,*=viewer").role_for([]) == "viewer"


def test_without_star_groups_that_match_nothing_give_no_role() -> None:
    role_map = parse("switchboard-admins=admin,helpdesk=agent")
    assert role_map.role_for(["sales", "Helpdesk"]) is None  # names match exactly, as the provider spells them
    assert role_map.groups == ("switchboard-admins", "helpdesk")


def test_a_group_may_hold_an_equals_sign() -> None:
    assert parse("role=ops=agent").role_for(["role=ops"]) == "agent"


def test_the_groups_to_ask_for_leave_out_star() -> None:
    assert parse("helpdesk=agent,*=viewer").groups == ("helpdesk",)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("helpdesk", "'helpdesk' is not group=role"),
        ("=admin", "'=admin' is not group=role"),
        ("helpdesk=boss", "'boss' in 'helpdesk=boss' is no role"),
        ("helpdesk=", "'' in 'helpdesk=' is no role"),
        ("helpdesk:agent", "'helpdesk:agent' is not group=role"),
        ("helpdesk=agent,helpdesk=admin", "'helpdesk' is given a role twice"),
        (" , ", "it names no group"),
    ],
)
def test_a_map_not_of_that_shape_is_refused_showing_the_shape(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse(text)
    message = str(refused.value)
    assert message.startswith(f"SWITCHBOARD_OIDC_ROLE_MAP must be {SHAPE} (roles: admin, agent, viewer)")
    assert message.endswith(problem)
