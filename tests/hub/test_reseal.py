"""`switchboard db reseal`: every secret the database keeps, sealed anew under the current SECRET_KEY; on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hub import accounts, channels, mailboxes, reseal, sealed, totp, two_factor
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.models import Channel, Mailbox, User
from hub.sealed import CannotOpen, Keyring
from tests.docs import fenced, run_as_printed

BEFORE = Keyring.derive("the key before")
ROTATED = Keyring.derive("the key now", ["the key before"])
NOW = Keyring.derive("the key now")  # once the former key is dropped


def store_secrets(database: Database, keys: Keyring) -> tuple[int, str, str]:
    """A person with two-factor on, a webhook channel and a mailbox with a typed password, all sealed under `keys`;
    returns (the person's id, the authenticator secret, the webhook's signing secret)."""
    secret, now = totp.new_secret(), time.time()
    desk = {"host": "imap.example", "username": "desk", "keys": keys}
    with database.transaction() as session:
        ann = accounts.create_user(session, email="ann@example.com", password="correct horse", role="admin").id
        two_factor.turn_on(session, ann, secret, totp.code_at(secret, totp.step_at(now)), now, keys=keys)
        signing = channels.create_channel(session, kind="webhook", name="ops", url="https://x.example/", keys=keys)[1]
        mailboxes.add_mailbox(session, name="desk", secret="literal:pw", **desk)  # type: ignore[arg-type]
        mailboxes.add_mailbox(session, name="env", secret="env:PW", **desk)  # type: ignore[arg-type]
    assert signing is not None
    return ann, secret, signing


def reseal_all(database: Database, keys: Keyring) -> dict[str, tuple[int, int]]:
    with database.transaction() as session:
        return {done.column: (done.secrets, done.rewritten) for done in reseal.reseal(session, keys)}


def opened(database: Database, keys: Keyring, ann: int) -> tuple[str | None, str | None, str]:
    """Each secret read back the way its own code reads it."""
    with database.read() as session:
        user = session.get(User, ann)
        assert user is not None
        [channel] = channels.list_channels(session, keys)
        assert channel.problem is None
        password = mailboxes.resolve_secret(mailboxes.get_mailbox(session, "desk"), keys)
        return two_factor.secret_of(user, keys), channel.signing_secret, password


def stored(database: Database) -> list[str]:
    with database.read() as session:
        return [
            *session.scalars(select(User.totp_secret).where(User.totp_secret.is_not(None))),
            *session.scalars(select(Channel.signing_secret)),
            *session.scalars(select(Mailbox.secret).order_by(Mailbox.name)),
        ]


def test_reseal_moves_every_secret_to_the_new_key(database: Database) -> None:
    ann, secret, signing = store_secrets(database, BEFORE)
    assert reseal_all(database, ROTATED) == {
        "users.totp_secret": (1, 1), "users.totp_pending": (0, 0), "channels.signing_secret": (1, 1),
        "mailboxes.secret": (2, 1)
    }  # fmt: skip
    assert opened(database, NOW, ann) == (secret, signing, "pw")
    with pytest.raises(CannotOpen, match="another SECRET_KEY"), database.read() as session:
        two_factor.secret_of(session.get(User, ann), BEFORE)  # type: ignore[arg-type]


def test_reseal_seals_what_an_older_version_kept_plain(database: Database) -> None:
    ann, secret, signing = store_secrets(database, NOW)
    with database.transaction() as session:  # as a version from before sealing stored them
        session.execute(update(User).values(totp_secret=secret))
        session.execute(update(Channel).values(signing_secret=signing))
        session.execute(update(Mailbox).where(Mailbox.name == "desk").values(secret="literal:pw"))
    assert opened(database, NOW, ann) == (secret, signing, "pw")  # read as they are meanwhile

    assert reseal_all(database, NOW) == {
        "users.totp_secret": (1, 1), "users.totp_pending": (0, 0), "channels.signing_secret": (1, 1),
        "mailboxes.secret": (2, 1)
    }  # fmt: skip
    totp_secret, signing_secret, desk, env = stored(database)
    assert all(sealed.is_sealed(value) for value in (totp_secret, signing_secret, desk))
    assert secret not in totp_secret and signing not in signing_secret and "pw" not in desk.removeprefix("sealed:v1:")
    assert env == "env:PW"  # a reference, read where `imap` runs: nothing to seal
    assert opened(database, NOW, ann) == (secret, signing, "pw")


def test_switchboard_up_seals_at_start_what_an_older_version_kept_plain(settings: Settings, db: Database) -> None:
    from hub.supervisor import seal_at_start

    keys = Keyring.of(settings)
    ann, secret, signing = store_secrets(db, keys)
    with db.transaction() as session:  # as a version from before sealing stored them
        session.execute(update(User).values(totp_secret=secret))
    assert seal_at_start(settings) == "sealed 1 secret(s) under the current SECRET_KEY"
    assert all(sealed.is_sealed(value) for value in stored(db)[:3])
    assert opened(db, keys, ann) == (secret, signing, "pw")
    assert seal_at_start(settings) is None  # nothing due: nothing said


def test_switchboard_up_starts_though_a_secret_sealed_under_an_unknown_key_cannot_be_sealed_again(
    settings: Settings, db: Database
) -> None:
    from hub.supervisor import seal_at_start

    store_secrets(db, Keyring.derive("a key no one has now"))
    said = seal_at_start(settings)
    assert said is not None and said.startswith("secrets left as they were:") and "SWITCHBOARD_OLD_SECRET_KEYS" in said


def test_reseal_seals_a_setup_under_way_anew_and_its_code_still_turns_it_on(database: Database) -> None:
    with database.transaction() as session:
        bob = accounts.create_user(session, email="bob@example.com", password="correct horse", role="agent").id
        setup = two_factor.start_setup(session, bob, time.time(), keys=BEFORE)
    assert reseal_all(database, ROTATED)["users.totp_pending"] == (1, 1)
    now = time.time()
    with database.transaction() as session:  # the former key dropped
        two_factor.confirm_setup(session, bob, setup.ref, totp.code_at(setup.secret, totp.step_at(now)), now, keys=NOW)
        assert two_factor.standing(session, bob).on


def test_a_second_reseal_rewrites_nothing(database: Database) -> None:
    store_secrets(database, BEFORE)
    reseal_all(database, ROTATED)
    before = stored(database)
    assert reseal_all(database, ROTATED) == {
        "users.totp_secret": (1, 0), "users.totp_pending": (0, 0), "channels.signing_secret": (1, 0),
        "mailboxes.secret": (2, 0)
    }  # fmt: skip
    assert stored(database) == before


def test_a_secret_that_does_not_open_stops_the_reseal_and_nothing_changes(database: Database) -> None:
    store_secrets(database, BEFORE)
    stray = Keyring.derive("a key nobody listed")  # a channel made by a process that had another key
    with database.transaction() as session:
        channel_id = session.scalar(select(Channel.id)) or 0
        new = sealed.seal(stray, "sbw_x", channels.SECRET.at(channel_id))
        session.execute(update(Channel).values(signing_secret=new))
    before = stored(database)
    with pytest.raises(CannotOpen, match=r"signing secret of channels row \d+ was sealed under another SECRET_KEY"):
        reseal_all(database, ROTATED)
    assert stored(database) == before


def test_reseal_reports_its_progress_through_a_long_column(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    store_secrets(database, BEFORE)
    monkeypatch.setattr(reseal, "PROGRESS_EVERY", 1)
    with database.transaction() as session:
        lines: list[str] = []
        reseal.reseal(session, ROTATED, progress=lines.append)
    assert lines == ["mailboxes.secret: 1 of 2 read, 1 sealed anew"]


# -- the command -------------------------------------------------------------------------------------------


def home_database(tmp_path: Path) -> Database:
    return Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}")


def test_db_reseal_seals_under_the_new_key_and_says_what_it_did(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = home_database(tmp_path)
    ann, secret, signing = store_secrets(db, BEFORE)
    monkeypatch.setenv("SECRET_KEY", "the key now")
    monkeypatch.setenv("SWITCHBOARD_OLD_SECRET_KEYS", "the key before")
    result = runner.invoke(main, ["db", "reseal"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "users.totp_secret: 1 of 1 sealed anew",
        "users.totp_pending: 0 of 0 sealed anew",
        "channels.signing_secret: 1 of 1 sealed anew",
        "mailboxes.secret: 1 of 2 sealed anew",
        "every secret in the database is sealed under the current SECRET_KEY",
    ]
    assert opened(db, NOW, ann) == (secret, signing, "pw")
    db.dispose()


def test_db_reseal_without_the_former_key_says_what_to_do_and_changes_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = home_database(tmp_path)
    store_secrets(db, BEFORE)
    before = stored(db)
    monkeypatch.setenv("SECRET_KEY", "the key now")
    result = runner.invoke(main, ["db", "reseal"])
    assert result.exit_code == 1
    assert "SECRET_KEY changed since" in result.output and "SWITCHBOARD_OLD_SECRET_KEYS" in result.output
    assert "Nothing was changed." in result.output
    assert stored(db) == before
    db.dispose()


def test_the_readmes_steps_for_a_new_secret_key_run_as_printed(
    settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a default install's generated key, as `switchboard up` keeps it; the README's block makes a new one."""
    for name in ("SECRET_KEY", "SWITCHBOARD_OLD_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "secret_key").write_text("the key before\n")
    ann, _, _ = store_secrets(db, BEFORE)
    [steps] = fenced("README.md", "Changing SECRET_KEY", "sh")
    assert "users.totp_secret: 1 of 1 sealed anew" in run_as_printed(steps, settings, tmp_path)
    with db.read() as session, pytest.raises(CannotOpen, match="another SECRET_KEY"):  # the new key: the shell's
        two_factor.secret_of(session.get(User, ann), BEFORE)  # type: ignore[arg-type]
