"""`switchboard db backup`: a consistent copy of everything a hub keeps, taken while it runs.

A hub keeps its database (the SQLite file, or a PostgreSQL database) and, under SWITCHBOARD_HOME, the files
emails carried (`attachments/`), mail template overrides (`templates/`) and the generated `secret_key`. Copying
the SQLite file with `cp` while the hub writes can give a torn copy (the write-ahead log holds the newest pages),
so the database is copied by the database: `VACUUM INTO` (a snapshot read that writers do not wait for) or
`pg_dump`. The database goes first and the files after: an attachment is written before the transaction that
lists it, so every file the copied database names is already on disk when the files are copied.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from hub.config import Settings
from hub.errors import BadInput, StorageUnavailable

#: What SWITCHBOARD_HOME holds that a restore needs (the embedded Redis only holds queued copies of the outbox).
KEY_FILE = "secret_key"
HOME_ITEMS = ("attachments", "templates", KEY_FILE)
SQLITE_FILE = "switchboard.db"
POSTGRES_FILE = "switchboard.pgdump"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Backup:
    """What one backup wrote."""

    folder: Path
    database: Path
    check: str  # the copy's own integrity check ("ok"), or how pg_dump's archive was verified
    files: int  # copied from SWITCHBOARD_HOME
    file_bytes: int
    key_included: bool  # only the key file holding the key in use: not with --without-key, nor SECRET_KEY set
    key_note: str  # why the key is in it or not, as the manifest says it


def take(
    settings: Settings, folder: Path, progress: Progress = lambda _: None, *, every: float = 2.0, with_key: bool = True
) -> Backup:
    """Write a backup of the hub configured by `settings` into `folder`, a new or empty directory. Without
    `with_key`, the generated secret key stays out: a copy that leaves the machine then opens no sealed secret,
    and the key is kept elsewhere for a restore.

    Raises BadInput for a folder that is in the way or a missing tool, StorageUnavailable when the database could
    not be read.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BadInput(f"{folder} already exists and is not an empty folder: choose a new one")
    created = not folder.exists()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds every incident, and the secret key
    try:
        return _take(settings, folder, progress, every, with_key)
    except BaseException:  # no half backup that could pass for a whole one (an empty folder given stays)
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for written in folder.iterdir():
                if written.is_dir():
                    shutil.rmtree(written, ignore_errors=True)
                else:
                    written.unlink(missing_ok=True)
        raise


def _take(settings: Settings, folder: Path, progress: Progress, every: float, with_key: bool) -> Backup:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BadInput("the database is in memory: there is nothing on disk to back up")
        database, check = folder / SQLITE_FILE, copy_sqlite(Path(url.database), folder / SQLITE_FILE, progress, every)
    else:
        progress("database: pg_dump ...")
        database, check = folder / POSTGRES_FILE, dump_postgres(settings.database_url, folder / POSTGRES_FILE)
    kept, note = key_to_keep(settings, with_key)
    items = HOME_ITEMS if kept else tuple(item for item in HOME_ITEMS if item != KEY_FILE)
    progress("files: copying attachments, templates and the secret key ..." if kept
             else f"files: copying attachments and templates (the secret key is not in it: {note}) ...")  # fmt: skip
    files, size = copy_home(settings.home, folder / "home", items)
    manifest = {"taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "database": database.name,
                "check": check, "home_files": files, "home_bytes": size, "secret_key_included": kept,
                "secret_key": note}  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return Backup(folder, database, check, files, size, kept, note)


def key_to_keep(settings: Settings, with_key: bool) -> tuple[bool, str]:
    """Whether the backup takes SWITCHBOARD_HOME's key file, and why. Only when it holds the key in use: with
    SECRET_KEY set, a file left from before is stale, and a restore counting on it would open nothing it sealed."""
    if not with_key:
        return False, f"left out as asked: a restore needs $SWITCHBOARD_HOME/{KEY_FILE}, kept elsewhere"
    try:
        stored = (settings.home / KEY_FILE).read_text().strip()
    except FileNotFoundError:
        return False, "SECRET_KEY is set, and a restore needs the same SECRET_KEY"
    if stored != settings.secret_key:
        return False, (f"SECRET_KEY is set and $SWITCHBOARD_HOME/{KEY_FILE} is an old key, not the one in use; a "
                       "restore needs the same SECRET_KEY")  # fmt: skip
    return True, f"$SWITCHBOARD_HOME/{KEY_FILE}, the key in use"


def copy_sqlite(source: Path, target: Path, progress: Progress, every: float = 2.0) -> str:
    """Copy a live SQLite database with VACUUM INTO (compacted, consistent), report how far it got every `every`
    seconds, make the copy durable and return its quick_check verdict."""
    if not source.exists():
        raise BadInput(f"there is no database at {source}: check SWITCHBOARD_HOME or DATABASE_URL")
    expected = _live_bytes(source)
    failure: list[BaseException] = []

    def vacuum_into() -> None:
        try:
            with sqlite3.connect(source, timeout=30) as conn:
                conn.execute("VACUUM INTO ?", (str(target),))
            conn.close()
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=vacuum_into, name="backup")
    worker.start()
    while worker.is_alive():
        worker.join(every)
        if worker.is_alive():
            done = _size(target)
            progress(f"database: {min(99, 100 * done // max(expected, 1))}% ({_mb(done)} of about {_mb(expected)})")
    if failure:
        target.unlink(missing_ok=True)
        raise StorageUnavailable(f"could not read the database to back it up: {failure[0]}")
    _fsync(target)
    with sqlite3.connect(target) as copy:
        verdict = str(copy.execute("PRAGMA quick_check").fetchone()[0])
    copy.close()
    progress(f"database: copied ({_mb(_size(target))}), quick_check {verdict}")
    return verdict


def dump_postgres(database_url: str, target: Path) -> str:
    """pg_dump the database in its custom format (restore with pg_restore); returns how the archive checked out."""
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if pg_dump is None or pg_restore is None:
        raise BadInput("pg_dump and pg_restore are needed for a PostgreSQL backup: apt-get install postgresql-client")
    url = make_url(database_url)
    env = dict(os.environ, PGPASSWORD=url.password) if url.password else dict(os.environ)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    dump = [pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={libpq}"]
    done = subprocess.run(dump, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise StorageUnavailable(f"pg_dump failed: {done.stderr.strip() or done.returncode}")
    _fsync(target)
    listing = subprocess.run([pg_restore, "--list", str(target)], capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise StorageUnavailable(f"pg_dump wrote an archive pg_restore cannot read: {listing.stderr.strip()}")
    return f"pg_restore --list: {sum(1 for line in listing.stdout.splitlines() if line and line[0] != ';')} entries"


def copy_home(home: Path, target: Path, items: tuple[str, ...] = HOME_ITEMS) -> tuple[int, int]:
    """Copy what a restore needs from SWITCHBOARD_HOME (`items` that exist); returns (files, bytes).

    Half-written attachments (`.incoming-*`, renamed into place once whole) are left out."""
    target.mkdir(parents=True, exist_ok=True)
    for name in items:
        source = home / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns(".incoming-*"))
        elif source.is_file():
            shutil.copy2(source, target / name)
    files = [p for p in target.rglob("*") if p.is_file()]
    for path in files:
        _fsync(path)
    return len(files), sum(p.stat().st_size for p in files)


def _live_bytes(database: Path) -> int:
    """About what VACUUM INTO will write: the pages in use, as the newest snapshot (log included) has them."""
    with sqlite3.connect(database, timeout=30) as conn:
        pages, free, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count",
                                                                                  "page_size"))  # fmt: skip
    conn.close()
    return int((pages - free) * size)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"
