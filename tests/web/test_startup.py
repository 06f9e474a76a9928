"""What a web worker's start leaves behind: the libraries `web.wsgi` imported, and the garbage collector's state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

#: gunicorn's worker, as `switchboard web` starts it, then what it holds.
WORKER = """
import gc, json, sys
import web.wsgi
mimetypes = sys.modules.get("mimetypes")
print(json.dumps({"libraries": sorted({name.split(".")[0] for name in sys.modules}), "collecting": gc.isenabled(),
                  "frozen": gc.get_freeze_count(), "mime_tables_read": getattr(mimetypes, "inited", False)}))
"""

#: Libraries that only some requests or some installations need, or other processes: single sign-on's flow
#: (Authlib, requests, joserfc), a mailbox's connection test (IMAPClient), holiday calendars, migrations, the SMTP
#: server, the RQ worker, the browser tests', security keys' checks (py_webauthn, its CBOR and ASN.1 parsers,
#: pyOpenSSL), Redis (only with REDIS_URL set), a bounce's reader (flufl.bounce and its `public`), the authenticator
#: setup's QR code (segno), the Atom feed's XML, the rules' YAML (the workbench, import and export, a rule's save).
ON_DEMAND = (
    "authlib",
    "requests",
    "joserfc",
    "imapclient",
    "holidays",
    "alembic",
    "aiosmtpd",
    "rq",
    "playwright",
    "webauthn",
    "cbor2",
    "OpenSSL",
    "pyasn1",
    "redis",
    "flufl",
    "public",
    "segno",
    "xml",
    "yaml",
)


def start_worker(home: Path, **settings: str) -> dict[str, Any]:
    """What a web worker started under `home` holds, with `settings` in its environment and no others of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "DATABASE_URL", "REDIS_URL"))}
    env.update(SWITCHBOARD_HOME=str(home), **settings)
    done = subprocess.run([sys.executable, "-c", WORKER], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A web worker started with the default settings (passwords only, SQLite, no Redis) under a fresh home."""
    return start_worker(tmp_path_factory.mktemp("home"))


def test_a_web_worker_starts_without_the_libraries_only_some_requests_need(worker: dict[str, Any]) -> None:
    assert sorted(set(ON_DEMAND) & set(worker["libraries"])) == []


def test_a_web_worker_with_redis_set_loads_its_client_as_it_starts(tmp_path: Path, closed_port: int) -> None:
    """Its webhooks and logins count against limits in Redis: the first of them must not wait for the import."""
    started = start_worker(tmp_path, REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")  # made, never connected
    assert "redis" in started["libraries"]


def test_a_web_worker_starts_without_reading_the_systems_mime_tables(worker: dict[str, Any]) -> None:
    """Only a file attached needs them (hub/agent_files.py), and reading them takes longer than most imports."""
    assert worker["mime_tables_read"] is False


def test_a_web_worker_collects_garbage_once_started_leaving_out_what_its_start_made(worker: dict[str, Any]) -> None:
    assert worker["collecting"]
    assert worker["frozen"] > 100_000  # the libraries, the models, the app
