"""What the tests of `switchboard` commands share: a command run as a person would, which must succeed (`run`) or
be refused with the exit code given (`refused`), its output returned to read."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(runner: CliRunner, *args: str, code: int = 1) -> str:
    result = runner.invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output
