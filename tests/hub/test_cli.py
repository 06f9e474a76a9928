"""The `switchboard` command line: the interface docs and users rely on."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import accounts, credentials, totp, two_factor
from hub.cli import OWN_COMMANDS, main
from hub.command_index import SHORT_HELP
from hub.config import Settings
from hub.db import Database
from hub.models import ApiToken, AuditEntry, Event, Integration, SecurityKey, User
from hub.sealed import Keyring
from tests.docs import fenced, run_as_printed


def database(tmp_path: Path) -> Database:
    return Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}")


def every_command(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"command {name!r} is listed but does not load"
        if isinstance(command, click.Group):
            found += every_command(command, ctx, (*path, name))
        else:
            found.append((*path, name))
    return found


def test_every_command_has_help(runner: CliRunner) -> None:
    paths = every_command(main, click.Context(main))
    assert {("up",), ("web",), ("smtp",), ("worker",), ("dispatch",), ("db", "upgrade")} <= set(paths)
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_the_command_index_holds_each_commands_own_line_of_help() -> None:
    ctx = click.Context(main)
    commands = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    own_help = {n: c.get_short_help_str(limit=10_000) for n, c in commands.items() if c is not None}
    assert own_help == SHORT_HELP


def test_the_command_index_has_every_command_pyproject_registers() -> None:
    """Even before a reinstall has put a new entry point in the package's metadata."""
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    registered = pyproject["project"]["entry-points"]["switchboard.commands"]
    assert set(registered) | set(OWN_COMMANDS) == set(SHORT_HELP)


@pytest.mark.parametrize("width", [50, 80, 120])
def test_help_lists_the_commands_as_importing_each_one_would(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    from_index = CliRunner().invoke(main, ["--help"], terminal_width=width, max_width=width).output
    monkeypatch.setattr("hub.cli.SHORT_HELP", {})  # nothing indexed: each command is imported for its help
    assert CliRunner().invoke(main, ["--help"], terminal_width=width, max_width=width).output == from_index


def test_help_imports_none_of_the_commands() -> None:
    """Importing them (SQLAlchemy, Alembic, Flask, gunicorn, aiosmtpd, RQ...) made `switchboard --help` take 1.4 s."""
    script = "import sys; from hub.cli import main; main(['--help'], standalone_mode=False); print(*sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    modules = done.stdout.split("Commands:")[1].splitlines()[-1].split()
    libraries = {"sqlalchemy", "alembic", "flask", "gunicorn", "aiosmtpd", "rq", "redis"}
    assert {name.split(".")[0] for name in modules} & {*libraries, "web", "ingest", "rules", "outbound"} == set()
    assert [name for name in modules if name.endswith("_cli")] == []


#: What a command needs only once it runs: `switchboard service add --help` took a second importing them.
RUN_TIME_LIBRARIES = ("sqlalchemy", "flask", "rq", "redis", "aiosmtpd", "imapclient", "argon2")
#: In one fresh interpreter: every command's --help in turn, and which of the libraries named in argv it imported.
EVERY_HELP = """
import json, sys
import click
from click.testing import CliRunner
from hub.cli import main

libraries = set(sys.argv[1:])
loaded = lambda: {name.split(".")[0] for name in sys.modules} & libraries
report = {"imported": {"": sorted(loaded())}, "failed": {}}

def walk(group, path):
    for name in group.list_commands(click.Context(group)):
        before = loaded()
        command = group.get_command(click.Context(group), name)
        result = CliRunner().invoke(main, [*path, name, "--help"])
        if result.exit_code != 0:
            report["failed"][" ".join((*path, name))] = result.output
        report["imported"][" ".join((*path, name))] = sorted(loaded() - before)
        if isinstance(command, click.Group):
            walk(command, (*path, name))

walk(main, ())
print(json.dumps(report))
"""


def test_no_commands_help_imports_what_only_running_it_needs() -> None:
    done = subprocess.run([sys.executable, "-c", EVERY_HELP, *RUN_TIME_LIBRARIES], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parents[2])  # fmt: skip
    report = json.loads(done.stdout)
    assert {tuple(path.split()) for path in report["imported"]} == set(every_command(main, click.Context(main)))
    assert report["failed"] == {}
    assert {path: found for path, found in report["imported"].items() if found} == {}


def test_integration_create_prints_secret_last_and_stores_only_its_digest(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["integration", "create", "--kind", "generic", "--name", "prom"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.splitlines()[-1]
    with database(tmp_path).read() as s:
        row = s.scalars(select(Integration)).one()
    assert row.name == "prom" and row.secret_hash == credentials.digest(secret) and secret not in row.secret_hash


@pytest.mark.parametrize(
    ("kind", "door"),
    [
        ("generic", "posts to /api/v1/events/tool with 'Authorization: Bearer <secret>'"),
        ("pagerduty", "posts to /v2/enqueue with the secret as its routing_key"),
        ("opsgenie", "posts to /v2/alerts with 'Authorization: GenieKey <secret>'"),
    ],
)
def test_integration_create_says_where_a_tool_of_its_kind_posts(runner: CliRunner, kind: str, door: str) -> None:
    result = runner.invoke(main, ["integration", "create", "--kind", kind, "--name", "tool"])
    assert result.exit_code == 0, result.output
    assert f"integration 'tool' ({kind}) {door};" in result.stderr
    assert "/integrations/tool" in result.stderr


def test_token_create_prints_token_last(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["token", "create", "--name", "grafana"])
    token = result.stdout.splitlines()[-1]
    with database(tmp_path).read() as s:
        assert s.scalars(select(ApiToken.token_hash)).one() == credentials.digest(token)


def test_user_create_stores_an_argon2_hash(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["user", "create", "--email", "Ann@Example.com", "--role", "admin", "--password", "p4ssw0rd!"]
    )
    assert result.exit_code == 0, result.output
    with database(tmp_path).read() as s:
        user = s.scalars(select(User)).one()
    assert (user.email, user.role) == ("ann@example.com", "admin") and user.password_hash.startswith("$argon2")


def test_user_set_changes_the_role_and_records_it_in_the_audit_log(runner: CliRunner, tmp_path: Path) -> None:
    for email, role in (("ann@example.com", "admin"), ("bob@example.com", "viewer")):
        runner.invoke(main, ["user", "create", "--email", email, "--role", role, "--password", "p4ssw0rd!"])
    result = runner.invoke(main, ["user", "set", "bob@example.com", "--role", "agent"])
    assert result.exit_code == 0 and "bob@example.com is agent" in result.output
    with database(tmp_path).read() as s:
        assert s.scalar(select(User.role).where(User.email == "bob@example.com")) == "agent"
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["user.create", "user.create", "user.role"]


def test_user_set_refuses_to_disable_the_last_admin(runner: CliRunner) -> None:
    runner.invoke(main, ["user", "create", "--email", "ann@example.com", "--role", "admin", "--password", "p4ssw0rd!"])
    result = runner.invoke(main, ["user", "set", "ann@example.com", "--disable"])
    assert result.exit_code == 1
    assert "ann@example.com is the last active admin; make someone else admin first" in result.output


def test_user_password_asks_twice_unseen_and_sets_a_new_one(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["user", "create", "--email", "ann@example.com", "--role", "admin", "--password", "p4ssw0rd!"])
    result = runner.invoke(main, ["user", "password", "Ann@Example.com"], input="new passphrase\nnew passphrase\n")
    assert result.exit_code == 0, result.output
    assert "new password set for ann@example.com; their other sessions are logged out" in result.output
    assert "new passphrase" not in result.output  # hidden as typed
    with database(tmp_path).read() as s:
        user = s.scalars(select(User)).one()
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert credentials.verify_password(user.password_hash, "new passphrase")
    assert actions == ["user.create", "user.password"]


def test_user_password_refuses_a_short_one_and_an_unknown_user(runner: CliRunner) -> None:
    runner.invoke(main, ["user", "create", "--email", "ann@example.com", "--role", "admin", "--password", "p4ssw0rd!"])
    short = runner.invoke(main, ["user", "password", "ann@example.com", "--password", "short"])
    assert short.exit_code == 1 and "the password must be at least 8 characters long" in short.output
    unknown = runner.invoke(main, ["user", "password", "bob@example.com", "--password", "long enough"])
    assert unknown.exit_code == 1 and "there is no user 'bob@example.com'" in unknown.output


def test_duplicate_integration_is_refused_with_a_clear_error(runner: CliRunner) -> None:
    runner.invoke(main, ["integration", "create", "--name", "prom"])
    result = runner.invoke(main, ["integration", "create", "--name", "prom"])
    assert result.exit_code == 1 and "already exists" in result.output
    assert "`switchboard integration rotate prom`" in result.output


def test_an_unknown_integration_is_refused_saying_where_the_names_are_and_how_to_make_one(runner: CliRunner) -> None:
    result = runner.invoke(main, ["integration", "set", "prom", "--disable"])
    assert result.exit_code == 1 and "there is no integration 'prom'; the Integrations page" in result.output
    assert "`switchboard integration create --kind KIND --name NAME` makes one" in result.output


def test_rules_add_rejects_a_bad_regex_before_saving(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "add", "--name", "x", "--field", "title", "--op", "regex", "--value", "(",
                                  "--category", "c"])  # fmt: skip
    assert result.exit_code == 2 and "invalid regular expression" in result.output
    assert "# x" not in runner.invoke(main, ["rules", "list"]).output


def test_missing_database_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/no/such/dir/../../x.db")
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["token", "create", "--name", "t"])
    assert result.exit_code == 1 and "switchboard db upgrade" in result.output


def test_rules_add_rejects_an_unknown_field(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["rules", "add", "--name", "x", "--field", "status", "--value", "v", "--category", "c"]
    )
    assert result.exit_code == 2 and "unknown field 'status'" in result.output


def test_db_upgrade_explains_an_unreachable_database(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://switchboard@127.0.0.1:{closed_port}/switchboard")
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1 and "database unavailable" in result.output and "Check DATABASE_URL" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # said, not a traceback


def test_up_refuses_to_start_when_redis_url_does_not_answer(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2@127.0.0.1:{closed_port}/0")
    result = runner.invoke(main, ["up"])
    assert result.exit_code == 1 and "Redis at REDIS_URL does not answer" in result.output
    assert "unset REDIS_URL" in result.output and "hunter2" not in result.output


def test_up_refuses_to_start_in_a_time_zone_that_does_not_exist(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_TIMEZONE", "Mars/Olympus")
    result = runner.invoke(main, ["up"])
    assert result.exit_code == 1 and "'Mars/Olympus'" in result.output
    assert "SWITCHBOARD_TIMEZONE must be an IANA time zone such as Europe/Berlin" in result.output


def test_up_refuses_to_start_when_the_web_port_is_taken(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        monkeypatch.setenv("SWITCHBOARD_WEB_PORT", str(taken.getsockname()[1]))
        result = runner.invoke(main, ["up"])
    assert result.exit_code == 1
    assert "cannot listen" in result.output and "SWITCHBOARD_WEB_PORT" in result.output


def test_rules_can_be_disabled_enabled_and_removed(runner: CliRunner) -> None:
    runner.invoke(main, ["rules", "add", "--name", "db", "--field", "labels.team", "--value", "db", "--category", "c"])
    rule_id = runner.invoke(main, ["rules", "list"]).output.split()[0]
    assert runner.invoke(main, ["rules", "disable", rule_id]).exit_code == 0
    assert "# db (disabled)" in runner.invoke(main, ["rules", "list"]).output
    assert runner.invoke(main, ["rules", "enable", rule_id]).exit_code == 0
    assert runner.invoke(main, ["rules", "remove", rule_id]).exit_code == 0
    assert "# db" not in runner.invoke(main, ["rules", "list"]).output
    missing = runner.invoke(main, ["rules", "remove", "999"])
    assert missing.exit_code == 1 and "no rule 999" in missing.output


def test_integration_set_changes_only_what_is_given(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["integration", "create", "--name", "prom", "--rate-limit", "100"])
    result = runner.invoke(main, ["integration", "set", "prom", "--reopen-window", "15m", "--auto-resolve", "4h",
                                  "--threshold", "3/5m"])  # fmt: skip
    assert result.exit_code == 0, result.output
    with database(tmp_path).read() as s:
        row = s.scalars(select(Integration)).one()
    assert (row.rate_limit, row.reopen_window, row.auto_resolve_after) == (100, 900, 14400)
    assert (row.threshold, row.threshold_window) == (3, 300)
    assert runner.invoke(main, ["integration", "set", "prom", "--reopen-window", "soon"]).exit_code == 2
    assert runner.invoke(main, ["integration", "set", "nosuch", "--disable"]).exit_code == 1


def test_integration_remove_refuses_one_whose_events_are_kept_and_removes_an_unused_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    for name in ("used", "mistake"):
        runner.invoke(main, ["integration", "create", "--name", name])
    with database(tmp_path).transaction() as s:
        used = s.scalars(select(Integration).where(Integration.name == "used")).one()
        s.add(Event(source="generic", integration_id=used.id, content_type="application/json", raw=b"{}"))
    refused = runner.invoke(main, ["integration", "remove", "used"])
    assert refused.exit_code == 1 and "used --disable" in refused.output
    assert runner.invoke(main, ["integration", "remove", "mistake"]).exit_code == 0
    with database(tmp_path).read() as s:
        assert s.scalars(select(Integration.name)).all() == ["used"]


def test_the_documented_settings_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        accounts.create_integration(session, name="prom", kind="alertmanager")
    [block] = fenced("docs/integrations.md", "Changing an integration: settings, switching it off, removing it", "sh")
    run_as_printed(block, settings, tmp_path)
    with db.read() as session:
        row = session.scalars(select(Integration)).one()
    assert (row.reopen_window, row.auto_resolve_after, row.threshold, row.enabled) == (900, 14400, None, True)


def test_user_reset_2fa_turns_it_off_and_is_audited(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["user", "create", "--email", "ann@example.com", "--role", "admin", "--password", "p4ssw0rd!"])
    secret, now = totp.new_secret(), time.time()
    with database(tmp_path).transaction() as s:
        user_id = s.scalars(select(User.id)).one()
        code, keys = totp.code_at(secret, totp.step_at(now)), Keyring.of(Settings.from_env())
        two_factor.turn_on(s, user_id, secret, code, now, keys=keys)
    result = runner.invoke(main, ["user", "reset-2fa", "Ann@Example.com"])
    assert result.exit_code == 0, result.output
    assert "two-factor authentication is off for ann@example.com" in result.output
    with database(tmp_path).read() as s:
        assert not two_factor.standing(s, user_id).on
        assert list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))) == ["user.create", "user.2fa_reset"]


def test_user_reset_2fa_removes_the_security_keys_too(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(main, ["user", "create", "--email", "ann@example.com", "--role", "admin", "--password", "p4ssw0rd!"])
    with database(tmp_path).transaction() as s:
        user_id = s.scalars(select(User.id)).one()
        s.add(SecurityKey(user_id=user_id, name="YubiKey 5", credential_id=b"k1", public_key=b"pk", sign_count=0))
    result = runner.invoke(main, ["user", "reset-2fa", "ann@example.com"])
    assert result.exit_code == 0, result.output
    assert "off for ann@example.com and their 1 security key removed" in result.output
    with database(tmp_path).read() as s:
        assert s.scalars(select(SecurityKey)).all() == [] and not s.get(User, user_id).two_factor_on  # type: ignore[union-attr]
        assert s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "user.2fa_reset")).one() == {
            "security_keys": 1
        }


def test_user_reset_2fa_names_an_unknown_address(runner: CliRunner) -> None:
    result = runner.invoke(main, ["user", "reset-2fa", "nobody@example.com"])
    assert result.exit_code != 0 and "there is no user 'nobody@example.com'" in result.output
