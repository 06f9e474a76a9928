"""Whatever bytes arrive, the parser either makes an event or says why not: no other exception escapes."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.domain import VERDICTS
from ingest.errors import InvalidPayload
from ingest.mail import read


def base_message() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Ann <ann@example.com>", "helpdesk@localhost", "Printer =?utf-8?q?=C3=BC?="
    msg["Message-ID"], msg["References"] = "<a@b>", "<c@d> <e@f>"
    msg["Authentication-Results"] = ("mx.example.com; dkim=pass (2048-bit key; secure) header.d=example.com; "
                                     'dmarc=fail reason="no (valid) DKIM" header.from=example.com')  # fmt: skip
    msg["Received"] = "from mail.example.com by mx.example.com (Postfix) with ESMTPS id 4Xb"
    msg.set_content("Hello\nThe printer is on fire.\n")
    msg.add_alternative("<p>Hello <b>there</b></p>", subtype="html")
    msg.add_attachment(b"\x00\x01binary", maintype="application", subtype="octet-stream", filename="dump.bin")
    return msg.as_bytes()


BASE = base_message()


def parses_or_refuses(raw: bytes) -> None:
    """Either refused with a reason (then kept as unprocessable) or classified, with every file accounted for."""
    try:
        parsed = read(raw, envelope_from="ann@example.com", authserv_id="mx.example.com")
    except InvalidPayload:
        return
    event = parsed.event
    assert event.mail is not None and event.mail.sender_check.verdict in VERDICTS
    assert isinstance(event.title, str) and len(event.title) <= 500
    assert isinstance(event.description, str)
    assert event.bounce <= event.auto_submitted  # a bounce is always automatic: never answered
    assert event.mail is not None
    assert {a.sha256 for a in event.mail.attachments if a.stored} == set(parsed.blobs)


@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes(raw: bytes) -> None:
    parses_or_refuses(raw)


@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(BASE) - 1), st.binary(min_size=0, max_size=8)), max_size=12))
def test_mutated_real_messages(edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(BASE)
    for at, replacement in edits:
        raw[at : at + len(replacement)] = replacement
    parses_or_refuses(bytes(raw))


@settings(max_examples=500, deadline=None)
@given(
    st.text(max_size=200),
    st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "x-unknown", "utf-16"]),
    st.sampled_from(["plain", "html"]),
)
def test_any_text_in_any_declared_charset(text: str, charset: str, subtype: str) -> None:
    head = f"From: a@example.com\r\nSubject: x\r\nContent-Type: text/{subtype}; charset={charset}\r\n\r\n"
    parses_or_refuses(head.encode() + text.encode("utf-8", errors="surrogatepass"))
