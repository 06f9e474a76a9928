"""Whatever bytes arrive, the parser either makes an event or says why not: no other exception escapes, and what
it makes is safe to store and to show (one-line header fields, file names without a path, text that is UTF-8).

Three kinds of input: any bytes; the corpus of real-world messages (tests/data/mail) with bytes overwritten
anywhere; and messages assembled from the parts hostile or broken mail is made of (charsets no codec knows, broken
base64 and quoted-printable, missing boundaries, multiparts 120 deep, 100 KB header lines, encoded words that decode
to CR/LF or NUL, file names that climb out of a directory, TNEF, forwarded messages, bounces, invitations).
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from hub.domain import VERDICTS
from ingest.errors import InvalidPayload
from ingest.mail import ParsedMail, read
from tests.fuzzing import fuzz

CORPUS = [path.read_bytes() for path in sorted((Path(__file__).parent.parent / "data" / "mail").glob("*.eml"))]


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


def one_line(value: str) -> bool:
    return "\r" not in value and "\n" not in value


def utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def assert_safe(parsed: ParsedMail) -> None:
    """What the intake stores and pages show: typed, bounded, UTF-8, header fields on one line, bare file names."""
    event, mail = parsed.event, parsed.event.mail
    assert mail is not None and mail.sender_check.verdict in VERDICTS
    assert isinstance(event.title, str) and 0 < len(event.title) <= 500
    assert event.bounce <= event.auto_submitted  # a bounce is always automatic: never answered
    header_fields = [event.title, event.requester or "", event.message_id or "", mail.sender_name or ""]
    header_fields += [*event.in_reply_to, *mail.recipients, *event.labels.values()]
    header_fields += [a.filename for a in mail.attachments] + [a.content_type for a in mail.attachments]
    assert all(one_line(value) for value in header_fields), header_fields
    broken = [value for value in [*header_fields, event.description, mail.html or ""] if not utf8(value)]
    assert not broken, f"text that is not UTF-8: {broken}"
    for attachment in mail.attachments:
        name = attachment.filename
        assert name and not name.startswith(".") and not {"/", "\\", "\x00"} & set(name), name
    assert {a.sha256 for a in mail.attachments if a.stored} == set(parsed.blobs)


def parses_or_refuses(raw: bytes) -> None:
    """Either refused with a reason (then kept as unprocessable) or classified, safe to store and to show."""
    try:
        parsed = read(raw, envelope_from="ann@example.com", authserv_id="mx.example.com")
    except InvalidPayload as exc:
        assert str(exc), "a refusal must say why"
        return
    assert_safe(parsed)


#: Header text that broke mail parsers somewhere: encoded words that decode to line breaks, NUL or half a
#: character (UTF-7's lone surrogates), charsets no codec knows, codecs that are no charset, right-to-left overrides.
HOSTILE_WORDS = [
    "=?utf-8?q?Disk_full=0D=0ABcc:_eve@example.com?=",
    "=?utf-8?b?YQ0KYg==?=",
    "=?utf-8?q?a=00b?=",
    "=?utf-7?q?+2D0-?=",
    "=?utf-99?q?caf=E9?=",
    "=?unicode_escape?q?=5Cud800=5Cn?=",
    "=?base64_codec?q?eA=3D=3D?=",
    "=?utf-8?b?not base64!?=",
    "=?utf-8?q?unterminated",
    "=??q??=",
    "\u202etxt.exe",
    "\x00\x1b[31m",
    "<a@b\r\n.example>",
    '"Ann\r\n Bcc: eve@example.com" <ann@example.com>',
    "=?utf-8?q?ann=0D=0A?=@example.com",
    "=?utf-8?q?eve=00?=@example.com",
]
#: Names a file arrives under: out of the directory, only dots, a drive, a NUL, a line break, a long one.
FILENAMES = [
    "../../etc/passwd", "..\\..\\windows\\win.ini", "...", "..", ".", ".htaccess", "/etc/shadow", "C:\\boot.ini",
    "a\x00b.pdf", "=?utf-8?q?=2E=2E=2Fetc=2Fpasswd?=", "=?utf-8?q?a=0D=0Ab.txt?=", "=?utf-8?q?=2E=2E?=",
    "\u202efdp.exe", "x" * 5000 + ".pdf", "", "winmail.dat", "=?utf-7?q?+2D0-?=.txt", " . . ", "con", "a/",
]  # fmt: skip
CHARSETS = ["utf-8", "utf-99", '"utf-8"', "utf-7", "unicode_escape", "raw_unicode_escape", "base64", "rot13",
            "utf-16", "utf-32", "iso-2022-jp", "", "x-unknown", "punycode", "idna", "hz", "cp65001", "mbcs",
            "utf-8'", "utf-16-le"]  # fmt: skip
ENCODINGS = ["base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "uuencode", "garbage", ""]
BODIES = [
    b"SGVsbG8gd29ybGQ===\x00!!", b"=ZZ=\r\n=4", b"+2D0-", b"\\ud800\\x00", b"\xff\xfe\x00\xd8", b"\x00" * 10,
    b"begin 644 ../../x\r\n#0V%T\r\n`\r\nend\r\n", b"\x78\x9f\x3e\x22\x01\x06\x90", b"=\r\n", b"YQ0KYg",
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:=0D=0A\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    b"Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; <\x00@x>\r\nAction: failed\r\nStatus: 5.0.0\r\n",
]  # fmt: skip
LEAF_TYPES = ["text/plain", "text/html", "text/calendar; method=REQUEST", "application/ms-tnef",
              "application/octet-stream", "image/png", "message/delivery-status", "text/rfc822-headers",
              "message/disposition-notification", "text/", "/", "a/b/c", "", "message/rfc822"]  # fmt: skip
MULTIPART_TYPES = ["mixed", "alternative", "related", "report; report-type=delivery-status", "signed", "digest"]

words = st.sampled_from(HOSTILE_WORDS) | st.text(max_size=30)
raw_bytes = st.sampled_from(BODIES) | st.binary(max_size=200)


def header(name: str, value: str) -> bytes:
    return name.encode() + b": " + value.encode("utf-8", "surrogatepass") + b"\r\n"


@st.composite
def leaf(draw: st.DrawFn, depth: int) -> bytes:
    kind = draw(st.sampled_from(LEAF_TYPES))
    head = f"Content-Type: {kind}"
    if draw(st.booleans()):
        head += f"; charset={draw(st.sampled_from(CHARSETS))}"
    if draw(st.booleans()):
        name = draw(st.sampled_from(FILENAMES))
        head += draw(st.sampled_from([f'; name="{name}"', f"; name*=utf-8''{name}", "; name*=utf-7''%2B2D0-"]))
    lines = head.encode("utf-8", "surrogatepass") + b"\r\n"
    if draw(st.booleans()):
        lines += header("Content-Transfer-Encoding", draw(st.sampled_from(ENCODINGS)))
    if draw(st.booleans()):
        name = draw(st.sampled_from(FILENAMES))
        disposition = draw(st.sampled_from(["attachment", "inline", "", "x"]))
        params = [f'filename="{name}"', f"filename*=utf-8''{name}", f"filename*=bogus''{name}",
                  f"filename*0={name}; filename*1={name}", "filename*=utf-7''%2B2D0-"]  # fmt: skip
        param = draw(st.sampled_from(params))
        lines += header("Content-Disposition", f"{disposition}; {param}")
    if draw(st.booleans()):
        lines += header("Content-ID", "<img@x>")
    body = draw(message(depth + 1)) if kind == "message/rfc822" and depth < 3 else draw(raw_bytes)
    return lines + b"\r\n" + body


@st.composite
def multipart(draw: st.DrawFn, depth: int) -> bytes:
    boundary = draw(st.sampled_from(["b1", "", "=_x", "a" * 80, "b b"]))
    written = draw(st.sampled_from([boundary, boundary, "other"]))  # a body that uses another boundary
    param = draw(st.sampled_from([f'; boundary="{boundary}"', f"; boundary={boundary}", ""]))
    parts = draw(st.lists(part(depth + 1), max_size=4))
    body = b"preamble\r\n"
    for inner in parts:
        body += b"--" + written.encode() + b"\r\n" + inner + b"\r\n"
    if draw(st.booleans()):  # else the closing boundary is missing
        body += b"--" + written.encode() + b"--\r\n"
    return f"Content-Type: multipart/{draw(st.sampled_from(MULTIPART_TYPES))}{param}\r\n\r\n".encode() + body


def part(depth: int) -> st.SearchStrategy[bytes]:
    return leaf(depth) if depth >= 3 else st.one_of(leaf(depth), multipart(depth))


@st.composite
def message(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A message whose headers and parts are drawn from what hostile or broken mail is made of."""
    heads = b""
    for name in ("From", "To", "Cc", "Subject", "Message-ID", "References", "Auto-Submitted", "X-Switchboard-Delivery"):
        if draw(st.booleans()):
            heads += header(name, draw(words))
    if draw(st.integers(0, 9)) == 0:  # a header line of 100 KB, of encoded words or of one word
        heads += header("Subject", draw(st.sampled_from(["=?utf-8?q?a?= " * 7000, "x" * 100_000])))
    return heads + draw(part(depth))


def nested(depth: int, kind: str) -> bytes:
    """`depth` sections each inside the last: multiparts, or messages forwarded as attachments."""
    if kind == "multipart":
        opening = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        return opening * depth + b"Content-Type: text/plain\r\n\r\ndeep\r\n" + b"--b--\r\n" * depth
    return b"Content-Type: message/rfc822\r\n\r\nSubject: fwd\r\n" * depth + b"\r\ndeep\r\n"


@fuzz(1500)
@given(st.binary(max_size=4096))
def test_random_bytes(raw: bytes) -> None:
    parses_or_refuses(raw)


@fuzz(1500)
@given(st.lists(st.tuples(st.integers(0, len(BASE) - 1), st.binary(min_size=0, max_size=8)), max_size=12))
def test_mutated_real_messages(edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(BASE)
    for at, replacement in edits:
        raw[at : at + len(replacement)] = replacement
    parses_or_refuses(bytes(raw))


@fuzz(400)
@given(st.sampled_from(CORPUS), st.lists(st.tuples(st.floats(0, 1), raw_bytes | words.map(str.encode)), max_size=6))
def test_corpus_messages_with_bytes_overwritten_anywhere(raw: bytes, edits: list[tuple[float, bytes]]) -> None:
    mutated = bytearray(raw)
    for where, replacement in edits:
        at = int(where * (len(mutated) - 1))
        mutated[at : at + len(replacement)] = replacement
    parses_or_refuses(bytes(mutated))


@fuzz(250)
@given(message())
def test_messages_made_of_hostile_parts(raw: bytes) -> None:
    parses_or_refuses(raw)


@fuzz(40)
@given(st.integers(1, 120), st.sampled_from(["multipart", "message"]), st.sampled_from(HOSTILE_WORDS))
def test_sections_nested_up_to_120_deep(depth: int, kind: str, subject: str) -> None:
    parses_or_refuses(header("Subject", subject) + nested(depth, kind))


@fuzz(300)
@given(
    st.text(max_size=200),
    st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "x-unknown", "utf-16", *CHARSETS]),
    st.sampled_from(["plain", "html"]),
)
def test_any_text_in_any_declared_charset(text: str, charset: str, subtype: str) -> None:
    head = f"From: a@example.com\r\nSubject: x\r\nContent-Type: text/{subtype}; charset={charset}\r\n\r\n"
    parses_or_refuses(head.encode() + text.encode("utf-8", errors="surrogatepass"))
