"""MIME done leniently (pure): text in whatever charset it claims or really is, and a message's parts sorted into
the text a person wrote, its HTML alternative, and the files it carried.

Real mail lies about its charset (Latin-1 labels on Windows-1252 text, Outlook's `ks_c_5601-1987`, names no codec
knows), so text is decoded along a fallback chain that ends in a codec that cannot fail: nothing is ever dropped
for its encoding. The raw message is kept elsewhere (events.raw); what is made here can always be made again.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message

from hub import names

#: Labels that are wrong or unknown to Python, mapped to what senders mean by them. Latin-1 and ASCII labels are
#: read as Windows-1252, its superset, which is what Windows clients really send (curly quotes, the euro sign).
_ALIASES = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "x-user-defined": "cp1252",
    "unknown-8bit": "cp1252",
    "x-unknown": "cp1252",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-cyrillic": "mac_cyrillic",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "cp-850": "cp850",
}
_SURROGATES = re.compile("[\udc80-\udcff]")


def codec_for(label: str | None) -> str | None:
    """The Python codec to read text labelled `label` with, or None when no codec fits the label."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Codecs that turn bytes into something other than text (base64, zlib, rot13 ...) are no charset.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


#: Codecs whose text never holds half a character. Others can: UTF-7's `+2D0-` and `unicode_escape`'s `\\ud800`
#: decode to a lone surrogate, which is no character: neither database nor a UTF-8 page can hold it.
_WHOLE_CHARACTERS = frozenset({"utf-8", "cp1252"})
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

#: Labels that say little: scripts and old clients put them on whatever bytes they send, very often UTF-8.
_WEAK_LABELS = frozenset({"cp1252", "ascii"})


def decode_text(data: bytes, label: str | None) -> str:
    """Text from bytes labelled `label`: the label's codec if the bytes fit it, else UTF-8, else Windows-1252,
    else Latin-1 (which maps every byte, so this never fails and never loses a message). A codec whose text holds
    a lone surrogate does not fit.

    A weak label (ASCII, Latin-1 and its aliases) is tried after UTF-8: 8-bit text that decodes as UTF-8 is
    almost never meant as anything else, while Latin-1 text with accents is almost never valid UTF-8.
    """
    codec = codec_for(label)
    order = ("utf-8", codec, "cp1252") if codec in _WEAK_LABELS else (codec, "utf-8", "cp1252")
    tried: list[str] = []
    for name in order:
        if name is None or name in tried:
            continue
        tried.append(name)
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError, ValueError):
            continue
        if name in _WHOLE_CHARACTERS or not _LONE_SURROGATE.search(text):
            return text
    return data.decode("latin-1")


def unescape_8bit(text: str) -> str:
    """Undo the stdlib's surrogate escapes of raw 8-bit header bytes (unencoded UTF-8 or Latin-1 in a header)."""
    if not _SURROGATES.search(text):
        return text
    return decode_text(text.encode("ascii", "surrogateescape"), None)


#: The most of one header value that is read. RFC 5322 lines stop at 998 characters; a folded References or To
#: runs longer, but not this long. Decoding encoded words takes time with the square of their number: a 3 MB
#: Subject of them took 37 s of an SMTP worker.
MAX_HEADER = 64 * 1024


def decode_words(value: str) -> str:
    """A header value with its RFC 2047 encoded words decoded, each in its own charset along the fallback chain
    (at most MAX_HEADER characters of it)."""
    text = unescape_8bit(" ".join(value[:MAX_HEADER].split()))
    if "=?" not in text:
        return text
    try:
        return _decoded(text)
    except _UNDECODABLE:
        # One word cut short (`=?utf-8?b?abcde?=`) fails the stdlib's whole header: decode the words one by one,
        # showing the broken one as sent, rather than lose the message or the words around it.
        return _ENCODED_WORD.sub(lambda word: _word(word.group()), text)


_UNDECODABLE = (ValueError, LookupError, UnicodeError, AssertionError, HeaderParseError)
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _decoded(text: str) -> str:
    return "".join(
        decode_text(chunk, charset) if isinstance(chunk, bytes) else chunk for chunk, charset in decode_header(text)
    )


def _word(word: str) -> str:
    try:
        return _decoded(word)
    except _UNDECODABLE:
        return word


@dataclass(frozen=True)
class FilePart:
    """A file found in a message: an attachment, an inline image, or a message forwarded as an attachment."""

    filename: str
    content_type: str
    data: bytes
    inline: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Contents:
    """What a message holds once sorted: its text, its HTML alternative, and its files (in order)."""

    text: str | None = None
    html: str | None = None
    files: list[FilePart] = field(default_factory=list)


#: A media type as RFC 2045 writes one: a token, a slash, a token (what `get_content_type` returns is not checked).
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")


def safe_filename(name: str | None, content_type: str, index: int) -> str:
    """A part's filename, its encoded words decoded, made safe to show and to offer in Content-Disposition
    (hub/names.py, which agents' files go through too)."""
    return names.safe_filename(decode_words(name or ""), content_type, index)


def _disposition(part: Message) -> str:
    return str(part.get("Content-Disposition", "")).split(";", 1)[0].strip().lower()


def part_bytes(part: Message) -> bytes:
    """A leaf part's content with its transfer encoding undone (lenient: bad base64 gives what could be read)."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def part_text(part: Message) -> str:
    """A text part's content as text, with the line endings of the wire (CRLF) made plain newlines."""
    text = decode_text(part_bytes(part), part.get_content_charset())
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _inner_bytes(part: Message) -> bytes:
    """A message/rfc822 part as the .eml bytes it was sent as."""
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        try:
            return inner[0].as_bytes()
        except (UnicodeError, LookupError, ValueError, TypeError, AttributeError, KeyError):
            return str(inner[0]).encode("utf-8", "surrogateescape")
    return part_bytes(part)


def _inner_subject(part: Message) -> str:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        return decode_words(str(inner[0].get("Subject", "")))
    return ""


def _inner_text(part: Message) -> str | None:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        found = contents(inner[0], depth=1)
        return found.text
    return None


#: Nested messages deeper than this are kept as files but not opened (a bomb of messages in messages).
MAX_DEPTH = 5


def media_type(part: Message) -> str:
    """The part's media type, lower-cased; one that is no `type/subtype` (a NUL, a line break, a parameter with no
    `;` before it: the parser hands those back whole) is application/octet-stream: kept as a file, never read as
    text, and never a stored field with a line break in it."""
    kind = part.get_content_type()
    return kind if _MEDIA_TYPE.fullmatch(kind) else "application/octet-stream"


def contents(msg: Message, *, depth: int = 0) -> Contents:
    """Sort a message's parts: the first inline text/plain is the text and the first inline text/html its
    alternative; everything else with content is a file. A forwarded message (message/rfc822) is kept whole as a
    .eml file and not opened for files of its own; its text stands in when the outer message has none."""
    found = Contents()
    forwarded_text: str | None = None
    stack: list[Message] = [msg]
    while stack:
        part = stack.pop(0)
        kind = media_type(part)
        if part.is_multipart() and kind != "message/rfc822":
            children = part.get_payload()
            if isinstance(children, list):
                stack[0:0] = [c for c in children if isinstance(c, Message)]
            continue
        disposition = _disposition(part)
        named = part.get_filename() is not None
        if kind == "message/rfc822":
            subject = _inner_subject(part) or "forwarded message"
            data = _inner_bytes(part)
            if data:
                name = safe_filename(part.get_filename() or f"{subject}.eml", kind, len(found.files) + 1)
                found.files.append(FilePart(name, kind, data, inline=False))
            if forwarded_text is None and depth < MAX_DEPTH:
                forwarded_text = _inner_text(part)
            continue
        if kind in ("message/delivery-status", "text/rfc822-headers", "message/disposition-notification"):
            continue  # the machine-readable parts of reports: read by the bounce detector, not shown as files
        attached = disposition == "attachment" or (named and disposition != "inline" and not kind.startswith("text/"))
        if kind == "text/plain" and not attached and found.text is None:
            found.text = part_text(part)
            continue
        if kind == "text/html" and not attached and found.html is None:
            found.html = part_text(part)
            continue
        data = part_bytes(part)
        if not data:
            continue
        if kind.startswith("text/") and not attached and not named:
            continue  # a second text body (e.g. text/enriched alternative): the first one is the message
        inline = disposition == "inline" or (disposition == "" and part.get("Content-ID") is not None)
        index = len(found.files) + 1
        found.files.append(FilePart(safe_filename(part.get_filename(), kind, index), kind, data, inline=inline))
    if found.text is None and found.html is None and forwarded_text is not None:
        found.text = forwarded_text
    return found
