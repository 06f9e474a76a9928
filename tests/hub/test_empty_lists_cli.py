"""A `list` command that finds nothing says so, as `incident list` does, rather than printing nothing at all (the
problem and review lists' tests read theirs); a filter value that can match nothing is refused naming the ones that
can."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.hub.commands import refused, run


@pytest.mark.parametrize(
    ("command", "said"),
    [(["change", "list"], "No changes match"), (["ci", "list"], "No CIs match")],
)  # fmt: skip
def test_a_list_that_finds_nothing_says_so(runner: CliRunner, command: list[str], said: str) -> None:
    assert run(runner, *command) == f"{said}\n"


@pytest.mark.parametrize(
    ("command", "names"),
    [(["change", "list", "--state", "done"], "'done' is not one of 'new', 'assessed'"),
     (["ci", "list", "--kind", "router"], "'router' is no kind of CI; use one of server, application")],
)  # fmt: skip
def test_a_filter_that_can_match_nothing_is_refused_naming_the_right_values(
    runner: CliRunner, command: list[str], names: str
) -> None:
    assert names in refused(runner, *command, code=2)
