"""Messages the fuzzers (test_mail_fuzz.py) found breaking the parser, shrunk, each kept as the behaviour it fixed."""

from __future__ import annotations

from ingest.mail import parse


def message(*headers: str, body: str = "The printer is on fire.") -> bytes:
    return ("\r\n".join(["From: Ann <ann@example.com>", *headers]) + "\r\n\r\n" + body).encode()


def test_an_encoded_word_of_broken_base64_is_kept_as_sent() -> None:
    event = parse(message("Subject: Disk =?utf-8?b?abcde?= full"))
    assert event.title == "Disk =?utf-8?b?abcde?= full"
