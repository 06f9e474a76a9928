"""`switchboard db backup`: a consistent copy of a running hub's database and home files, and restoring from it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import backup
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.migrate import upgrade
from hub.models import Incident
from ingest.pipeline import make_intake
from tests.docs import fenced, run_as_printed
from tests.servers import PostgresCluster

RAW = Raw(source="generic", content_type="application/json", body=b"{}")


def alert(intake: Intake, n: int) -> None:
    intake.record(RAW, InboundEvent(source="generic", title=f"Disk full on db{n}", dedup_key=f"disk-{n}"))


def incident_ids(url: str) -> list[int]:
    copy = Database.connect(url)
    try:
        with copy.read() as session:
            return list(session.scalars(select(Incident.id).order_by(Incident.id)))
    finally:
        copy.dispose()


def test_a_sqlite_backup_taken_while_events_arrive_is_whole_and_opens(
    settings: Settings, intake: Intake, tmp_path: Path
) -> None:
    for n in range(50):
        alert(intake, n)
    stop, written = threading.Event(), [50]

    def keep_writing() -> None:
        while not stop.is_set():
            alert(intake, written[0])
            written[0] += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        taken = backup.take(settings, tmp_path / "backup")
    finally:
        stop.set()
        writer.join()
    assert taken.check == "ok" and taken.database == tmp_path / "backup" / "switchboard.db"
    ids = incident_ids(f"sqlite:///{taken.database}")
    assert len(ids) >= 50 and ids == list(range(1, len(ids) + 1))  # a snapshot: every commit up to a point
    assert written[0] > 50  # the writer was not held up meanwhile


def test_the_backup_takes_attachments_templates_and_the_key_but_no_half_written_file(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    home = settings.home
    (home / "attachments" / "ab").mkdir(parents=True)
    (home / "attachments" / "ab" / ("ab" + "0" * 62)).write_bytes(b"a screenshot")
    (home / "attachments" / "ab" / ".incoming-x1y2").write_bytes(b"half a scre")
    (home / "templates" / "mail").mkdir(parents=True)
    (home / "templates" / "mail" / "assigned.subject").write_text("[{{ reference }}] yours: {{ title }}\n")
    (home / "secret_key").write_text(settings.secret_key + "\n")  # generated, so the key in use
    (home / "redis").mkdir()
    (home / "redis" / "appendonly.aof").write_bytes(b"queued copies of the outbox")

    taken = backup.take(settings, tmp_path / "backup")

    copied = sorted(
        str(p.relative_to(taken.folder / "home")) for p in (taken.folder / "home").rglob("*") if p.is_file()
    )
    assert copied == [f"attachments/ab/ab{'0' * 62}", "secret_key", "templates/mail/assigned.subject"]
    kept = [
        home / "attachments" / "ab" / ("ab" + "0" * 62),
        home / "secret_key",
        home / "templates" / "mail" / "assigned.subject",
    ]
    assert (taken.files, taken.file_bytes) == (3, sum(p.stat().st_size for p in kept))
    manifest = json.loads((taken.folder / "manifest.json").read_text())
    assert manifest["database"] == "switchboard.db" and manifest["check"] == "ok" and manifest["home_files"] == 3
    assert taken.folder.stat().st_mode & 0o077 == 0  # only its owner may read it


def test_a_backup_without_the_key_has_everything_else_and_says_so(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    (settings.home / "templates" / "mail").mkdir(parents=True)
    (settings.home / "templates" / "mail" / "assigned.subject").write_text("yours: {{ title }}\n")
    (settings.home / "secret_key").write_text("k" * 64 + "\n")

    taken = backup.take(settings, tmp_path / "backup", with_key=False)

    assert [p.name for p in (taken.folder / "home").rglob("*") if p.is_file()] == ["assigned.subject"]
    assert (taken.folder / "switchboard.db").exists() and taken.files == 1
    assert json.loads((taken.folder / "manifest.json").read_text())["secret_key_included"] is False


def test_a_backup_of_a_hub_whose_key_is_in_the_environment_says_the_key_is_not_in_it(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    assert not (settings.home / "secret_key").exists()  # SECRET_KEY given, so none was generated

    taken = backup.take(settings, tmp_path / "backup")

    assert taken.key_included is False
    assert json.loads((taken.folder / "manifest.json").read_text())["secret_key_included"] is False


def test_an_old_key_file_left_beside_a_secret_key_set_is_not_copied_nor_said_to_be(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    (settings.home / "secret_key").write_text("an-old-generated-key\n")  # from before SECRET_KEY was set
    said: list[str] = []

    taken = backup.take(settings, tmp_path / "backup", said.append)

    assert not (taken.folder / "home" / "secret_key").exists()
    manifest = json.loads((taken.folder / "manifest.json").read_text())
    assert manifest["secret_key_included"] is False and "not the one in use" in manifest["secret_key"]
    [files] = [line for line in said if line.startswith("files:")]
    assert "and the secret key ..." not in files and "the secret key is not in it" in files


def test_a_folder_in_the_way_is_refused_and_left_as_it_was(settings: Settings, db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "yesterday.db").write_bytes(b"an older backup")
    with pytest.raises(BadInput, match="not an empty folder"):
        backup.take(settings, folder)
    assert [p.name for p in folder.iterdir()] == ["yesterday.db"]


def test_a_failed_backup_leaves_no_folder_behind(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="there is no database"):  # the home was never set up
        backup.take(settings, tmp_path / "backup")
    assert not (tmp_path / "backup").exists()


def test_a_failed_backup_into_an_empty_folder_given_leaves_it_empty(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "mnt"
    folder.mkdir()
    (settings.home / "attachments").mkdir(parents=True)
    (settings.home / "attachments" / "unreadable").symlink_to(tmp_path / "nowhere")  # copying it fails
    with pytest.raises(OSError):
        backup.take(settings, folder)
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.postgres
def test_a_postgresql_backup_restores_with_pg_restore(
    postgres: PostgresCluster, tmp_path: Path, settings: Settings
) -> None:
    source_url = postgres.create_database("backup_source")
    source = Database.connect(source_url)
    upgrade(source.engine)
    intake = make_intake(replace(settings, database_url=source_url), source)
    for n in range(3):
        alert(intake, n)
    source.dispose()

    taken = backup.take(replace(settings, database_url=source_url), tmp_path / "backup")
    assert taken.database.name == "switchboard.pgdump" and taken.check.startswith("pg_restore --list")

    restored_url = postgres.create_database("backup_restored")
    libpq = restored_url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run([shutil.which("pg_restore") or "pg_restore", "--no-owner", f"--dbname={libpq}",
                    str(taken.database)], check=True, capture_output=True)  # fmt: skip
    assert incident_ids(restored_url) == [1, 2, 3]


def test_the_command_reports_what_it_wrote(runner: CliRunner, tmp_path: Path) -> None:
    from hub.cli import main

    result = runner.invoke(main, ["db", "backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "quick_check ok" in result.output and "backup written to" in result.output
    again = runner.invoke(main, ["db", "backup", str(tmp_path / "backup")])
    assert again.exit_code == 1 and "choose a new one" in again.output


def test_the_command_without_the_key_says_what_a_restore_will_need(runner: CliRunner, tmp_path: Path) -> None:
    from hub.cli import main

    result = runner.invoke(main, ["db", "backup", "--without-key", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "the secret key is not in it" in result.output
    assert not (tmp_path / "backup" / "home" / "secret_key").exists()


def test_the_command_says_why_a_copy_failed(runner: CliRunner, tmp_path: Path) -> None:
    from hub.cli import main

    (tmp_path / "var" / "attachments").mkdir()
    (tmp_path / "var" / "attachments" / "gone").symlink_to(tmp_path / "nowhere")
    result = runner.invoke(main, ["db", "backup", str(tmp_path / "backup")])
    assert result.exit_code == 1 and "backup failed, and what it had written is removed" in result.output
    assert not (tmp_path / "backup").exists()


def test_the_command_has_help_with_an_example(runner: CliRunner) -> None:
    from hub.cli import main

    result = runner.invoke(main, ["db", "backup", "--help"])
    assert result.exit_code == 0 and "switchboard db backup /srv/backups" in result.output


def test_the_readmes_backup_and_sqlite_restore_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    """The README's two blocks, with the backup folder somewhere this test may write and the PostgreSQL line left
    out (the SQLite lines are the ones a default install runs); the restore lands in a fresh ./var."""
    alert(make_intake(settings, db), 1)
    take, restore = fenced("README.md", "Backups", "sh")
    folder = tmp_path / "backups"
    run_as_printed(take.replace("/srv/backups", str(folder)), settings, tmp_path)
    [taken] = folder.iterdir()
    restore = "\n".join(line for line in restore.splitlines() if not line.startswith(("pg_restore", "# or Postgre")))
    restore = re.sub(r"^B=.*$", f"B={taken}", restore, flags=re.M)  # the reader's folder, of the day it was taken
    machine = tmp_path / "new-machine"
    (machine / "var").mkdir(parents=True)
    moved = replace(settings, home=Path("var"), database_url="sqlite:///var/switchboard.db")
    run_as_printed(restore, moved, machine)
    assert incident_ids(f"sqlite:///{machine / 'var' / 'switchboard.db'}") == [1]
    assert (machine / "var" / "secret_key").read_bytes() == (settings.home / "secret_key").read_bytes()
