"""What the tests of `switchboard service`, `calendar` and `sla` share: a command run as a person would, which
must succeed."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output
