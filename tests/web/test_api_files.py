"""An incident's files through the JSON API: listed in the incident's JSON with where each came from, and fetched
with a token, served as the incident page serves them (always a download, never sniffed into a page)."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from ingest.mail_intake import store_message
from ingest.pipeline import make_intake
from tests.docs import fenced, run_as_printed
from tests.web.helpers import bearer, statements

LOG = b"ERROR disk full\nERROR disk full\n"
PAGE = b"<html><script>alert(document.cookie)</script></html>"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def mail(*files: tuple[bytes, str, str], subject: str = "Printer on fire") -> bytes:
    """Ann's email to the desk carrying `files` (bytes, type, filename)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Ann Example <ann@acme.example>", "helpdesk@localhost", subject
    msg.set_content("Third floor.")
    for data, kind, name in files:
        maintype, subtype = kind.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def comment(client: FlaskClient, token: str, ref: str, *files: tuple[bytes, str], reply: bool = False) -> None:
    """An agent's note (or reply) with `files` (bytes, filename), through the API."""
    data = {"text": "Attached.", "reply": str(reply).lower(), "file": [(io.BytesIO(b), name) for b, name in files]}
    answer = client.post(f"/api/v1/incidents/{ref}/comments", data=data, content_type="multipart/form-data",
                         headers=bearer(token))  # fmt: skip
    assert answer.status_code == 201, answer.json


def files_of(client: FlaskClient, token: str, ref: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/incidents/{ref}", headers=bearer(token))
    assert answer.status_code == 200, answer.json
    return answer.json["files"]  # type: ignore[index,no-any-return]


def test_the_incident_lists_an_emails_file_a_notes_and_a_replys_tied_to_their_timeline(
    client: FlaskClient, intake: Intake, agent_token: str, api_token: str
) -> None:
    ref = store_message(intake, mail((LOG, "text/plain", "app.log"))).ref or ""
    comment(client, agent_token, ref, (PNG, "switch.png"))
    comment(client, agent_token, ref, (PAGE, "form.html"), reply=True)
    found = client.get(f"/api/v1/incidents/{ref}", headers=bearer(api_token)).json or {}
    by_kind = {entry["kind"]: entry for entry in found["timeline"]}
    opened, note, reply = by_kind["opened"], by_kind["note"], by_kind["reply"]
    listed = [(f["filename"], f["from"], f["size"], f["sha256"], f["stored"], f["event_id"], f["timeline_entry_id"])
              for f in found["files"]]  # fmt: skip
    assert listed == [
        ("app.log", "email", len(LOG), hashlib.sha256(LOG).hexdigest(), True, opened["event_id"], None),
        ("switch.png", "note", len(PNG), hashlib.sha256(PNG).hexdigest(), True, None, note["id"]),
        ("form.html", "reply", len(PAGE), hashlib.sha256(PAGE).hexdigest(), True, None, reply["id"]),
    ]
    assert opened["event_id"] is not None
    assert [f["content_type"] for f in found["files"]] == ["text/plain", "image/png", "text/html"]
    assert [f["url"] for f in found["files"]] == [f"/api/v1/incidents/{ref}/files/{f['id']}" for f in found["files"]]


def test_the_files_are_read_in_one_statement_however_many_there_are(
    client: FlaskClient, db: Database, agent_token: str, raise_incident: Callable[..., str]
) -> None:
    one, ten = raise_incident("Disk full on db1"), raise_incident("Disk full on db2")
    comment(client, agent_token, one, (b"1", "1.log"))
    for batch in range(2):
        comment(client, agent_token, ten, *((f"{batch}-{n}".encode(), f"{batch}-{n}.log") for n in range(5)))
    counts = []
    for ref, many in ((one, 1), (ten, 10)):
        with statements(db) as sent:
            assert len(files_of(client, agent_token, ref)) == many
        assert sum("FROM attachments" in s for s in sent) == 1, sent
        counts.append(len(sent))
    assert counts[0] == counts[1]


def test_the_incident_list_reads_no_files(
    client: FlaskClient, db: Database, agent_token: str, raise_incident: Callable[..., str]
) -> None:
    comment(client, agent_token, raise_incident(), (b"1", "1.log"))
    with statements(db) as sent:
        listed = client.get("/api/v1/incidents", headers=bearer(agent_token)).json or []
    assert len(listed) == 1 and "files" not in listed[0]
    assert not any("attachments" in s for s in sent)


def test_an_html_file_downloads_byte_for_byte_as_an_inert_attachment(
    client: FlaskClient, intake: Intake, agent_token: str
) -> None:
    ref = store_message(intake, mail((PAGE, "text/html", "page.html"))).ref or ""
    [listed] = files_of(client, agent_token, ref)
    served = client.get(listed["url"], headers=bearer(agent_token))
    assert served.status_code == 200 and served.data == PAGE
    assert served.headers["Content-Type"] == "application/octet-stream"
    assert served.headers["Content-Disposition"] == "attachment; filename=page.html"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["ETag"] == f'"{hashlib.sha256(PAGE).hexdigest()}"'


def test_an_inert_type_is_served_as_itself(client: FlaskClient, intake: Intake, agent_token: str) -> None:
    ref = store_message(intake, mail((b"%PDF-1.4 tiny", "application/pdf", "r\u00e9sum\u00e9.pdf"))).ref or ""
    [listed] = files_of(client, agent_token, ref)
    served = client.get(listed["url"], headers=bearer(agent_token))
    assert served.headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in served.headers["Content-Disposition"]


def test_a_viewer_token_may_fetch_a_file_as_viewers_may_on_the_incident_page(
    client: FlaskClient, intake: Intake, api_token: str
) -> None:
    ref = store_message(intake, mail((LOG, "text/plain", "app.log"))).ref or ""
    [listed] = files_of(client, api_token, ref)  # api_token is a viewer's
    served = client.get(listed["url"], headers=bearer(api_token))
    assert served.status_code == 200 and served.data == LOG


def test_a_request_without_a_token_gets_401_and_no_bytes(client: FlaskClient, intake: Intake) -> None:
    ref = store_message(intake, mail((LOG, "text/plain", "app.log"))).ref
    answer = client.get(f"/api/v1/incidents/{ref}/files/1")
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
    assert LOG not in answer.data


def test_a_file_asked_for_through_another_incident_is_404(
    client: FlaskClient, intake: Intake, agent_token: str
) -> None:
    first = store_message(intake, mail((LOG, "text/plain", "app.log"))).ref or ""
    other = store_message(intake, mail(subject="Scanner on fire")).ref
    [listed] = files_of(client, agent_token, first)
    answer = client.get(f"/api/v1/incidents/{other}/files/{listed['id']}", headers=bearer(agent_token))
    assert answer.status_code == 404 and answer.json == {"error": f"{other} has no file {listed['id']}"}
    assert LOG not in answer.data


def test_a_file_over_the_limits_is_listed_as_not_stored_and_its_download_is_404_saying_why(
    client: FlaskClient, settings: Settings, db: Database, agent_token: str
) -> None:
    small = make_intake(replace(settings, attachment_max_bytes=10), db)
    ref = store_message(small, mail((LOG, "text/plain", "app.log"))).ref or ""
    [listed] = files_of(client, agent_token, ref)
    assert (listed["stored"], listed["size"]) == (False, len(LOG))
    answer = client.get(listed["url"], headers=bearer(agent_token))
    assert answer.status_code == 404
    assert answer.json == {
        "error": f"app.log was not stored (too large ({len(LOG)} bytes; at most 10 per file)); the raw message keeps it"
    }


def test_a_file_gone_from_the_store_is_404_saying_so(
    client: FlaskClient, intake: Intake, settings: Settings, agent_token: str
) -> None:
    ref = store_message(intake, mail((LOG, "text/plain", "app.log"))).ref or ""
    [listed] = files_of(client, agent_token, ref)
    digest = listed["sha256"]
    (settings.home / "attachments" / digest[:2] / digest).unlink()
    answer = client.get(listed["url"], headers=bearer(agent_token))
    assert answer.status_code == 404 and answer.json == {"error": "app.log is missing from the attachment store"}


def test_if_none_match_with_its_etag_gets_304_without_the_bytes(
    client: FlaskClient, intake: Intake, agent_token: str
) -> None:
    ref = store_message(intake, mail((LOG, "text/plain", "app.log"))).ref or ""
    [listed] = files_of(client, agent_token, ref)
    first = client.get(listed["url"], headers=bearer(agent_token))
    again = client.get(listed["url"], headers={**bearer(agent_token), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(listed["url"], headers={**bearer(agent_token), "If-None-Match": '"' + "0" * 64 + '"'})
    assert other.status_code == 200 and other.data == LOG


def test_the_readmes_example_lists_an_incidents_files_and_saves_one_under_its_name(
    live_url: str, intake: Intake, raise_incident: Callable[..., str], agent_token: str, settings: Settings,
    tmp_path: Path,
) -> None:  # fmt: skip
    raise_incident()  # INC-1, so the email is INC-2 as in the README
    assert store_message(intake, mail((LOG, "text/plain", "app.log"))).ref == "INC-2"
    blocks = fenced("README.md", "Working incidents: the web UI and the API", "sh")
    [example] = [block for block in blocks if "/files/" in block]
    script = example.replace("http://127.0.0.1:8000", live_url)
    printed = run_as_printed(script, settings, tmp_path, TOKEN=agent_token)
    assert re.fullmatch(r"/api/v1/incidents/INC-2/files/1 app\.log email\n", printed), printed
    assert (tmp_path / "app.log").read_bytes() == LOG
