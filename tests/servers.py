"""Real servers for tests, each on a free loopback port: an SMTP sink, a throwaway PostgreSQL cluster, Dovecot and
Alertmanager."""

from __future__ import annotations

import errno
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller

from hub.net import free_port, wait_for_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class SinkHandler:
    """Collects every message; `replies` can script temporary or permanent failures first."""

    received: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        with self._cond:
            if self.replies:
                return self.replies.pop(0)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """Block until `count` messages arrived (poll with a deadline, no fixed sleeps)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} message(s) at the SMTP sink, got {len(self.received)}")
            return list(self.received)


class SmtpSink:
    """A real SMTP server on loopback that stores what it is sent: the relay for outbound tests."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PostgresCluster:
    """initdb + pg_ctl in a temporary directory, run as the postgres user when we are root."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="switchboard-pg-")
        self.data = os.path.join(self.root, "data")
        self._user = "postgres" if os.geteuid() == 0 else None

    @staticmethod
    def available() -> bool:
        return _pg_bin("initdb") is not None and _pg_bin("pg_ctl") is not None

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._user:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    def start(self) -> PostgresCluster:
        if self._user:
            pw = pwd.getpwnam(self._user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        assert initdb and pg_ctl
        self._run(initdb, "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(pg_ctl, "-D", self.data, "-o", opts, "-l", os.path.join(self.root, "log"), "-w", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None, icu_locale: str | None = None) -> str:
        """A new database, empty or a copy of `template` (which no one may be connected to); with `icu_locale`, an
        empty one whose text sorts by that ICU locale (`en-US`), as a database made with a language's collation
        does (the cluster's own is C, code point order). See `sorts_by_icu` for whether the server can."""
        import psycopg

        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        if icu_locale is not None:
            sql += f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}' LOCALE 'C'"
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(sql)
        return self.url(name)

    def sorts_by_icu(self) -> bool:
        """Whether a database can be made with an ICU collation (PostgreSQL 15 or later, built with ICU, as
        Debian's is): the machine's own locales need not include any language's."""
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres") as conn:
            version = conn.info.server_version
            icu = conn.execute("SELECT count(*) FROM pg_collation WHERE collprovider = 'i'").fetchone()
        return version >= 150000 and icu is not None and icu[0] > 0

    def stop(self) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        if pg_ctl and os.path.exists(self.data):
            self._run(pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop")
        # A session's hundreds of databases are gigabytes of files: deleting them took the suite's last 18 s, so
        # they go in the background, after the tests.
        subprocess.Popen(["rm", "-rf", self.root], start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip


def missing(what: str, package: str) -> NoReturn:
    """A real part the machine lacks: skipped on a developer's machine, a broken build in CI (`make test` installs
    everything the suite uses; `package` names what it installs)."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed; `make test` installs {package}")
    pytest.skip(f"{what} is not installed (make test installs {package})")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def healthz_ok(base_url: str) -> bool:
    """Whether a Switchboard web part answers /healthz with 200 (its database and Redis answer)."""
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on `port` (a part started as a process binds it when it is ready,
    which may be after the web part reports healthy)."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05, message: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns something truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class Dovecot:
    """A real Dovecot IMAP server (Debian's dovecot-imapd) with a throwaway config, users and maildirs.

    It never touches the system's instance: its own base_dir, a passwd-file per user (so tests can add
    users while it runs), maildirs under a temporary folder, and its log in `log_path`. With a
    certificate it also offers STARTTLS on the plain port and implicit TLS on `tls_port`. XOAUTH2 logins are
    checked, as at Microsoft or Google, by OAuth2 token introspection: here a small HTTP server on loopback
    that knows the tokens given to `add_token`.
    """

    def __init__(self, cert_pem: str | None = None, key_pem: str | None = None) -> None:
        self.port = free_port()
        self.tls_port = free_port() if cert_pem else None
        self.root = tempfile.mkdtemp(prefix="switchboard-dovecot-")
        self.log_path = os.path.join(self.root, "dovecot.log")
        self._users = os.path.join(self.root, "users")
        self._cert = (cert_pem, key_pem) if cert_pem and key_pem else None
        self._process: subprocess.Popen[bytes] | None = None
        self._tokens: dict[str, str] = {}
        self._introspection = ThreadingHTTPServer(("127.0.0.1", 0), _introspection_handler(self._tokens))

    @staticmethod
    def binary() -> str | None:
        return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)

    def _config(self) -> str:
        mail = os.path.join(self.root, "mail")
        if os.geteuid() == 0:  # Dovecot refuses to keep mail as root: use nobody, and its own service users
            internal, login, uid, gid = "dovecot", "dovenull", 65534, 65534
        else:
            me = pwd.getpwuid(os.geteuid())
            internal = login = me.pw_name
            uid, gid = me.pw_uid, me.pw_gid
        os.makedirs(mail)
        os.chown(mail, uid, gid)
        os.chmod(self.root, 0o755)
        tls = "ssl = no"
        imaps = "  inet_listener imaps {\n    port = 0\n  }"
        if self._cert:
            cert, key = os.path.join(self.root, "cert.pem"), os.path.join(self.root, "key.pem")
            with open(cert, "w") as f:
                f.write(self._cert[0])
            with open(key, "w") as f:
                f.write(self._cert[1])
            os.chmod(key, 0o600)
            tls = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}"
            imaps = (
                f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.tls_port}\n    ssl = yes\n  }}"
            )
        return f"""
base_dir = {self.root}/run
instance_name = switchboard-test-{self.port}
listen = 127.0.0.1
protocols = imap
{tls}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
# Tests fail logins on purpose: no delay, and no per-IP penalty (the anvil-auth-penalty listener is off), or
# every later login from 127.0.0.1 would wait for them.
auth_failure_delay = 0
log_path = {self.log_path}
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{mail}/%u
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {self.root}/oauth2.conf.ext
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {self._users}/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
{imaps}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

    def start(self) -> Dovecot:
        binary = self.binary()
        assert binary, "dovecot is not installed (apt-get install dovecot-imapd)"
        conf = os.path.join(self.root, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(self._config())
        with open(os.path.join(self.root, "oauth2.conf.ext"), "w") as f:
            url = f"http://127.0.0.1:{self._introspection.server_address[1]}/introspect"
            f.write(f"introspection_mode = post\nintrospection_url = {url}\nforce_introspection = yes\n"
                    "username_attribute = username\nactive_attribute = active\nactive_value = true\n")  # fmt: skip
        threading.Thread(target=self._introspection.serve_forever, daemon=True).start()
        os.makedirs(self._users)
        os.chmod(self._users, 0o755)
        with open(os.path.join(self.root, "stdout.log"), "wb") as output:  # start-up errors, before log_path
            self._process = subprocess.Popen([binary, "-F", "-c", conf], stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_port("127.0.0.1", self.port, timeout=15)
        except TimeoutError:
            self.stop()
            raise
        return self

    def add_user(self, name: str, password: str) -> None:
        """A login with an empty mailbox of its own: a passwd-file per user, since Dovecot looks at a changed
        passwd-file at most once a second and a test that adds a user must be able to log in at once."""
        path = os.path.join(self._users, name)
        with open(path, "w") as f:
            f.write(f"{name}:{{PLAIN}}{password}\n")
        os.chmod(path, 0o644)

    def add_token(self, token: str, user: str) -> None:
        """An OAuth2 access token that logs `user` in with XOAUTH2 (an unknown token is inactive)."""
        self._tokens[token] = user

    def kick(self, user: str) -> None:
        """End `user`'s sessions from the server's side, as a restart or an administrator does (`* BYE`, then the
        connection closes)."""
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        conf = os.path.join(self.root, "dovecot.conf")
        subprocess.run([doveadm, "-c", conf, "kick", user], check=True, capture_output=True, timeout=10)

    def client(self, user: str, password: str):  # type: ignore[no-untyped-def]
        """A logged-in IMAPClient for arranging a test (appending mail, reading flags)."""
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process, timeout=10)
        self._introspection.shutdown()
        self._introspection.server_close()
        shutil.rmtree(self.root, ignore_errors=True)


def _introspection_handler(tokens: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    """RFC 7662 token introspection, as Dovecot's oauth2 passdb asks it: POST token=..., JSON back."""

    class Introspection(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            user = tokens.get(form.get("token", [""])[0])
            body = json.dumps({"active": True, "username": user} if user else {"active": False}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    return Introspection


class Alertmanager:
    """Debian's prometheus-alertmanager on a free loopback port, in memory, with the configuration it is given."""

    BINARY = "/usr/bin/prometheus-alertmanager"

    def __init__(self, config: str, root: Path) -> None:
        self.config, self.root = config, root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def available(cls) -> bool:
        return os.access(cls.BINARY, os.X_OK)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return (self.root / "alertmanager.log").read_text(errors="replace")

    def start(self, timeout: float = 30.0) -> Alertmanager:
        (self.root / "alertmanager.yml").write_text(self.config)
        argv = [self.BINARY, f"--config.file={self.root / 'alertmanager.yml'}",
                f"--storage.path={self.root / 'alertmanager-data'}", "--cluster.listen-address=",
                f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"]  # fmt: skip
        with (self.root / "alertmanager.log").open("wb") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Alertmanager did not become ready:\n{self.log[-2000:]}")
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def post_alerts(self, alerts: list[dict[str, object]]) -> None:
        """What Prometheus does: POST the alerts to /api/v2/alerts."""
        request = urllib.request.Request(f"{self.url}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200, response.read()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


class SmallDisk:
    """A real filesystem of a few megabytes (tmpfs, mounted as root) that a test can fill up and empty again: a
    full disk as the database meets it, with ENOSPC from the kernel."""

    def __init__(self, root: Path, megabytes: int = 4) -> None:
        self.path = root / "small-disk"
        self.megabytes = megabytes
        self._filler = self.path / "filler"

    def mount(self) -> SmallDisk:
        self.path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.megabytes}m,mode=0700", "tmpfs",
                               str(self.path)], capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise OSError(f"cannot mount a tmpfs: {done.stderr.strip()}")
        return self

    def fill(self) -> None:
        """Write until the kernel says there is no space left."""
        with self._filler.open("ab", buffering=0) as filler:  # unbuffered: nothing is left to write at close
            chunk = b"\0" * 4096
            try:
                while True:
                    filler.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "--lazy", str(self.path)], check=False)
