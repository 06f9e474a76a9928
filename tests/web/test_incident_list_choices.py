"""`switchboard incident list`'s report filters take exactly what `GET /api/v1/incidents` documents: the command
hands them to the list's own parser, so no second copy of the choices can drift."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.hub.commands import refused, run
from web.openapi import document


def _api_choices(name: str) -> list[str]:
    [parameter] = [p for p in document()["paths"]["/api/v1/incidents"]["get"]["parameters"] if p["name"] == name]
    return list(parameter["schema"]["enum"])


@pytest.mark.parametrize("name", ["sla", "satisfaction"])
def test_the_list_commands_choices_are_the_apis(runner: CliRunner, name: str) -> None:
    for value in _api_choices(name):
        run(runner, "incident", "list", f"--{name}", value)
    said = refused(runner, "incident", "list", f"--{name}", "sometimes", code=2)
    assert f"--{name}" in said and all(value in said for value in _api_choices(name))
