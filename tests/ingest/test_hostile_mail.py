"""Messages the fuzzers (test_mail_fuzz.py) found breaking the parser, shrunk, each kept as the behaviour it fixed."""

from __future__ import annotations

from ingest.mail import parse


def message(*headers: str, body: str = "The printer is on fire.") -> bytes:
    return ("\r\n".join(["From: Ann <ann@example.com>", *headers]) + "\r\n\r\n" + body).encode()


def test_an_encoded_word_of_broken_base64_is_kept_as_sent() -> None:
    event = parse(message("Subject: Disk =?utf-8?b?abcde?= full"))
    assert event.title == "Disk =?utf-8?b?abcde?= full"


def test_the_words_beside_a_broken_one_are_still_decoded() -> None:
    event = parse(message("Subject: =?utf-8?q?Caf=C3=A9?= =?utf-8?b?abcde?= =?utf-8?b?w6lsw6g=?="))
    assert event.title == "Café =?utf-8?b?abcde?= élè"


def test_utf7_text_that_decodes_to_half_a_character_is_read_another_way() -> None:
    """UTF-7's `+2D0-` is a lone surrogate: no database or page can hold it, so the label does not fit the text."""
    event = parse(message("Subject: =?utf-7?q?Disk+2D0-?=", "Content-Type: text/plain; charset=utf-7", body="+2D0-"))
    assert (event.title, event.description) == ("Disk+2D0-", "+2D0-")


def test_a_file_name_that_decodes_to_half_a_character_has_it_replaced() -> None:
    raw = message("Content-Type: application/pdf", "Content-Disposition: attachment; filename*=utf-7''a%2B2D0-.pdf")
    event = parse(raw)
    assert event.mail is not None and [a.filename for a in event.mail.attachments] == ["a_.pdf"]


def test_a_file_name_of_dots_and_spaces_becomes_a_made_up_name_not_a_dot() -> None:
    raw = message("Content-Type: application/pdf", 'Content-Disposition: attachment; filename=" . . "')
    event = parse(raw)
    assert event.mail is not None and [a.filename for a in event.mail.attachments] == ["attachment-1.pdf"]


def test_a_content_type_broken_across_lines_is_kept_as_a_file_of_unknown_type() -> None:
    """A NUL and a line break where the `;` before `boundary` belonged: the parser hands the whole value back."""
    raw = message('Content-Type: multipart/alternativ\x00\x00\r\n boundary="b"', body="--b\r\nHello\r\n--b--\r\n")
    event = parse(raw)
    assert event.mail is not None
    kept = [(a.filename, a.content_type) for a in event.mail.attachments]
    assert kept == [("attachment-1.bin", "application/octet-stream")]
