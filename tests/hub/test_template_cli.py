"""`switchboard template`: copy a default to edit, check overrides, preview on a sample incident."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hub.cli import main
from hub.config import Settings
from hub.db import Database
from tests.docs import fenced, run_as_printed


def overrides(tmp_path: Path) -> Path:
    return tmp_path / "var" / "templates" / "mail"


def test_copy_puts_the_defaults_where_overrides_live(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["template", "copy", "resolved"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in overrides(tmp_path).iterdir()) == [
        "resolved.html",
        "resolved.subject",
        "resolved.txt",
    ]
    listed = runner.invoke(main, ["template", "list"]).output
    assert "resolved.txt      OVERRIDE" in listed and "reopened.txt      default" in listed


def test_check_names_the_broken_override_and_its_line(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["template", "copy", "resolved"])
    (overrides(tmp_path) / "resolved.txt").write_text("{{ reference }}\n{% for x in %}\n")
    result = runner.invoke(main, ["template", "check"])
    assert result.exit_code == 1
    assert "resolved.txt, line 2:" in result.output


def test_check_of_good_overrides_passes(runner: CliRunner) -> None:
    runner.invoke(main, ["template", "copy", "assigned"])
    result = runner.invoke(main, ["template", "check"])
    assert result.exit_code == 0 and "all mail templates are fine" in result.output


def test_preview_renders_the_override_on_the_sample_incident(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["template", "copy", "stable"])
    (overrides(tmp_path) / "stable.subject").write_text("Calm again: {{ reference }} is {{ status }}\n")
    result = runner.invoke(main, ["template", "preview", "stable"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Subject: Calm again: INC-42 is resolved\n")


def test_preview_refuses_a_broken_override_instead_of_showing_the_default(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["template", "copy", "stable"])
    (overrides(tmp_path) / "stable.html").write_text("<p>{{ nope }}</p>")
    result = runner.invoke(main, ["template", "preview", "stable", "--html"])
    assert result.exit_code == 1 and "unknown variable(s) nope" in result.output


def test_the_documented_edit_cycle_runs_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    """docs/notifications.md's block, with an editor that changes the greeting as a person would."""
    [block] = fenced("docs/notifications.md", "Mail templates", "sh")
    editor = "sed -i s/^Hello/Greetings/"  # $EDITOR is split on spaces, not quotes
    out = run_as_printed(block, settings, tmp_path, EDITOR=editor)
    edited = (settings.home / "templates" / "mail" / "acknowledgement.txt").read_text()
    preview = out[out.index("Subject:") :]  # what `template preview` printed, last
    assert edited.startswith("Greetings") and "Greetings" in preview and "Hello" not in preview
