"""The mail corpus: messages in the shapes real clients and servers send, each checked against its sidecar.

Every `tests/data/mail/NAME.expected.json` names what `NAME.eml` must parse to: sender, subject, a piece of the
text, the attachments (name, type, inline, stored) and the classification (person, automatic, bounce, looped,
or unprocessable), and what the timeline shows first (`latest`, `latest_excludes`). A line `EXPAND:<n>` in a
message stands for <n> bytes of base64 attachment made here, so the huge messages are not committed as megabytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from hub.attachments import DEFAULT_LIMITS
from hub.contacts import organisation_domain
from hub.domain import InboundEvent
from ingest import mail
from ingest.errors import InvalidPayload
from ingest.quotes import latest_reply

CORPUS = Path(__file__).parent.parent / "data" / "mail"
CASES = sorted(p.name.removesuffix(".expected.json") for p in CORPUS.glob("*.expected.json"))


def expand(raw: bytes) -> bytes:
    """Replace each `EXPAND:<n>` line with the base64 of <n> bytes (distinct per size, so digests differ)."""
    lines = raw.split(b"\r\n")
    for index, line in enumerate(lines):
        if line.startswith(b"EXPAND:"):
            size = int(line.removeprefix(b"EXPAND:"))
            block = hashlib.sha256(str(size).encode()).digest() * (size // 32 + 1)
            encoded = base64.encodebytes(block[:size]).replace(b"\n", b"\r\n")
            lines[index] = encoded.rstrip(b"\r\n")
    return b"\r\n".join(lines)


def classification(event: InboundEvent) -> str:
    if event.looped:
        return "looped"
    if event.bounce:
        return "bounce"
    return "automatic" if event.auto_submitted else "person"


def test_the_corpus_has_at_least_forty_messages() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES)
def test_message_parses_as_its_sidecar_says(name: str) -> None:
    expected: dict[str, Any] = json.loads((CORPUS / f"{name}.expected.json").read_text())
    raw = expand((CORPUS / f"{name}.eml").read_bytes())
    if expected["classification"] == "unprocessable":
        with pytest.raises(InvalidPayload):
            mail.read(raw)
        return
    parsed = mail.read(raw, limits=DEFAULT_LIMITS)
    event, facts = parsed.event, parsed.event.mail
    assert facts is not None
    assert (event.requester, event.title, classification(event)) == (
        expected["sender"],
        expected["subject"],
        expected["classification"],
    )
    assert expected["text"] in event.description
    files = [
        {"filename": a.filename, "content_type": a.content_type, "inline": a.inline, "stored": a.stored}
        for a in facts.attachments
    ]
    assert files == expected["attachments"]
    assert set(parsed.blobs) == {a.sha256 for a in facts.attachments if a.stored}
    assert all(a.note and "too large" in a.note for a in facts.attachments if not a.stored)
    latest = latest_reply(event.description)  # what the timeline shows first
    shown = latest or event.description
    checks = {
        "sender_name": lambda: facts.sender_name,
        "html": lambda: facts.html is not None,
        "message_id": lambda: event.message_id,
        "thread_ref": lambda: event.thread_ref,
        "latest": lambda: latest,
        "organisation": lambda: organisation_domain(event.requester or ""),
        "bounced": lambda: sorted(filter(None, event.labels.get("bounced", "").split(", "))),
    }
    for key, actual in checks.items():
        if key in expected:
            assert actual() == expected[key], key
    for reference in expected.get("references", []):
        assert reference in event.in_reply_to
    if "latest_excludes" in expected:
        assert expected["latest_excludes"] not in shown and expected["latest_excludes"] in event.description
    if "text_excludes" in expected:
        assert expected["text_excludes"] not in event.description
