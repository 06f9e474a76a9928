"""Parsing raw messages into events: pure, so these need no servers."""

from __future__ import annotations

import pytest

from ingest.errors import InvalidPayload
from ingest.mail import parse
from tests.ingest import nested_multiparts


def raw(headers: str, body: str = "Hello.", *, charset_body: bytes | None = None) -> bytes:
    head = headers.strip().replace("\n", "\r\n").encode()
    return head + b"\r\n\r\n" + (charset_body if charset_body is not None else body.encode())


def test_plain_message_gives_subject_sender_and_body() -> None:
    event = parse(raw("From: Ann <Ann@Example.com>\nSubject: VPN down\nMessage-ID: <a1@example.com>", "No VPN."))
    assert (event.title, event.requester, event.description) == ("VPN down", "ann@example.com", "No VPN.")
    assert event.message_id == "<a1@example.com>" and not event.auto_submitted


def test_encoded_word_subject_is_decoded() -> None:
    event = parse(raw("From: b@example.com\nSubject: =?utf-8?q?Drucker_kaputt_=C3=BC?="))
    assert event.title == "Drucker kaputt ü"


def test_mislabelled_charset_body_is_decoded_without_losing_the_message() -> None:
    headers = "From: c@example.com\nSubject: x\nContent-Type: text/plain; charset=no-such-charset"
    event = parse(raw(headers, charset_body="caf\xe9".encode("latin-1")))
    assert event.description.startswith("caf")


def test_html_only_body_becomes_text_without_markup() -> None:
    headers = "From: d@example.com\nSubject: x\nContent-Type: text/html; charset=utf-8"
    event = parse(raw(headers, "<p>Hi <script>alert(1)</script><b>there</b> &amp; bye</p><style>p{}</style>"))
    assert event.description == "Hi there & bye"


def test_subject_tag_and_references_are_extracted_for_threading() -> None:
    event = parse(raw("From: e@example.com\nSubject: Re: [INC-42] VPN\nReferences: <x@a> <y@b>\nIn-Reply-To: <y@b>"))
    assert event.thread_ref == 42 and "<x@a>" in event.in_reply_to and "<y@b>" in event.in_reply_to


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "X-Autoreply: yes",
        "List-Id: <ops.lists.example.com>",
    ],
)
def test_automatic_mail_is_flagged_so_it_is_never_answered(header: str) -> None:
    assert parse(raw(f"From: f@example.com\nSubject: x\n{header}")).auto_submitted


def test_mailer_daemon_is_flagged_as_automatic() -> None:
    assert parse(raw("From: MAILER-DAEMON@mx.example.com\nSubject: Undeliverable")).auto_submitted


def test_auto_submitted_no_is_a_person() -> None:
    assert not parse(raw("From: g@example.com\nSubject: x\nAuto-Submitted: no")).auto_submitted


def test_missing_subject_and_message_id_are_tolerated() -> None:
    event = parse(raw("From: h@example.com"))
    assert event.title == "(no subject)" and event.message_id is None


def test_bytes_without_headers_are_rejected_with_a_reason() -> None:
    with pytest.raises(InvalidPayload, match="headers"):
        parse(b"\r\n\r\njust a body")


def test_nested_multiparts_are_read_to_the_text_inside() -> None:
    assert parse(nested_multiparts(40)).description == "The printer is on fire."


def test_thousands_of_nested_multiparts_are_refused_with_a_reason_not_a_recursion_error() -> None:
    """Python's MIME parser recurses into each level: 1,000 levels (70 KB) raised RecursionError."""
    with pytest.raises(InvalidPayload, match="more than 100 multipart or attached-message sections"):
        parse(nested_multiparts(1000))


def test_a_text_of_megabytes_becomes_a_description_of_its_first_100_000_characters_and_a_note() -> None:
    event = parse(raw("From: a@example.com\nSubject: log", "x" * 3_000_000))
    assert event.description == "x" * 100_000 + "\n\n[2,900,000 more characters are in the message as received.]"


def test_latin1_label_on_windows_1252_text_is_read_as_windows_1252() -> None:
    headers = "From: j@example.com\nSubject: x\nContent-Type: text/plain; charset=iso-8859-1"
    event = parse(raw(headers, charset_body="\u201cquoted\u201d \u20ac5".encode("cp1252")))
    assert event.description == "\u201cquoted\u201d \u20ac5"


def test_attachments_are_not_mistaken_for_the_body() -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["Subject"] = "k@example.com", "logs"
    msg.set_content("See the attached log.")
    msg.add_attachment("ERROR everywhere", subtype="plain", filename="app.log")
    assert parse(msg.as_bytes()).description == "See the attached log."
