"""Turn a raw RFC 5322 message into an event (pure). The SMTP and IMAP servers only move bytes."""

from __future__ import annotations

import contextlib
import email
import email.errors
import email.policy
import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from types import MappingProxyType

from hub.domain import InboundEvent, parse_ref
from ingest.errors import InvalidPayload
from ingest.html_text import html_to_text

_MSGID = re.compile(r"<[^<>\s]+>")
_TAG = re.compile(r"\[(INC-\d{1,12})\]", re.IGNORECASE)
# Headers that only automatic senders (responders, lists, loop guards) set.
_AUTO_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-auto-response-suppress",
    "x-loop",
    "list-id",
    "list-unsubscribe",
)
_BOUNCERS = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@", "donotreply@")
#: Every notification we send carries this; seeing it come in means our own mail looped back.
OWN_MAIL_HEADER = "X-Switchboard-Delivery"
_FINAL_RECIPIENT = re.compile(r"^Final-Recipient:\s*rfc822;\s*<?([^\s>]+@[^\s>]+)>?", re.IGNORECASE | re.MULTILINE)


def _raw_headers(msg: Message) -> dict[str, str]:
    """Every header as sent (first occurrence wins), unfolded, encoded words decoded: the checks for automatic
    mail look up a dozen headers, and the email policy parses a header afresh on every lookup."""
    found: dict[str, str] = {}
    for name, value in msg.raw_items():
        text = " ".join(str(value).split())
        if "=?" in text:  # RFC 2047 encoded words, which some senders use even where they should not
            with contextlib.suppress(LookupError, UnicodeError, ValueError, email.errors.MessageError):
                text = str(make_header(decode_header(text)))
        found.setdefault(name.lower(), text)
    return found


def _sender(heads: dict[str, str]) -> str | None:
    for name in ("from", "sender"):
        pairs = getaddresses([heads.get(name, "")])
        for _display, address in pairs:
            if "@" in address:
                return address.lower()
    return None


def _is_automatic(heads: dict[str, str], sender: str | None, envelope_from: str | None) -> bool:
    """RFC 3834 and the usual vendor headers: a message no one typed, which must never get an automatic answer."""
    auto = heads.get("auto-submitted", "").lower()
    if auto and auto != "no":
        return True
    if heads.get("precedence", "").lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if any(heads.get(h) for h in _AUTO_HEADERS):
        return True
    if envelope_from is not None and envelope_from.strip() in ("", "<>"):
        return True  # bounces have a null reverse-path
    if heads.get("return-path", "").replace(" ", "") == "<>":
        return True
    return sender is None or sender.startswith(_BOUNCERS)


def _is_bounce(msg: Message, sender: str | None) -> bool:
    """A delivery status notification (RFC 3464), or what mailer-daemons send without the proper type."""
    report_type = str(msg.get_param("report-type", "")).lower()
    if msg.get_content_type() == "multipart/report" and report_type == "delivery-status":
        return True
    return sender is not None and sender.startswith(("mailer-daemon@", "postmaster@"))


def _bounce_details(msg: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """From a bounce: the Message-IDs of the returned message (to find its incident) and the failed addresses."""
    ids: list[str] = []
    failed: list[str] = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            returned = part.get_payload()
            for inner in returned if isinstance(returned, list) else []:
                if isinstance(inner, Message):
                    ids += _MSGID.findall(str(inner.get("Message-ID", "")))
        elif kind == "text/rfc822-headers":
            lines = _part_text(part).splitlines()
            ids += [found for line in lines if line.lower().startswith("message-id:") for found in _MSGID.findall(line)]
        elif kind == "message/delivery-status":
            failed += _FINAL_RECIPIENT.findall(_part_text(part))
    return tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(a.lower() for a in failed))


def _part_text(part: Message) -> str:
    """A part's text whatever its shape (delivery-status parts are lists of header blocks)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(block) for block in payload)
    raw = part.get_payload(decode=True)
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(payload)


def _body_text(msg: Message) -> str:
    """The text a person wrote: the first inline text/plain part, else the first text/html one as text."""
    plain: Message | None = None
    html: Message | None = None
    for part in msg.walk():
        if part.is_multipart() or str(part.get("Content-Disposition", "")).lower().startswith("attachment"):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    if plain is not None:
        return _decoded(plain).strip()
    return html_to_text(_decoded(html)).strip() if html is not None else ""


def _decoded(part: Message) -> str:
    """A text part's content; an unknown or lying charset is read leniently rather than lost."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    charset = part.get_content_charset() or "us-ascii"
    # Mail labelled ASCII or Latin-1 is very often really Windows-1252 (curly quotes, euro signs): read it as such.
    charset = _LENIENT.get(charset, charset)
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return payload.decode("utf-8", errors="replace")


_LENIENT = {"us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}


def _message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value))


def parse(raw: bytes, *, envelope_from: str | None = None) -> InboundEvent:
    """Parse a message into an event. Raises InvalidPayload when it is not a message at all."""
    if not raw.strip():
        raise InvalidPayload("empty message")
    # compat32 keeps headers as the strings sent; the default policy parses a header into objects on every
    # lookup, which cost most of the time spent on a message. We decode the few we show ourselves.
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not msg.keys():
        raise InvalidPayload("no headers: this is not an RFC 5322 message")
    heads = _raw_headers(msg)
    subject = " ".join(heads.get("subject", "").split()) or "(no subject)"
    sender = _sender(heads)
    references = _message_ids(heads.get("references", "")) + _message_ids(heads.get("in-reply-to", ""))
    tag = _TAG.search(subject)
    message_ids = _message_ids(heads.get("message-id", ""))
    bounce = _is_bounce(msg, sender)
    labels: dict[str, str] = {}
    if bounce:
        returned_ids, failed = _bounce_details(msg)
        references += returned_ids  # a bounce of our notification threads into its incident
        if failed:
            labels["bounced"] = ", ".join(failed)
    return InboundEvent(
        source="email",
        title=subject[:500],
        description=_body_text(msg),
        requester=sender,
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=references,
        thread_ref=parse_ref(tag.group(1)) if tag else None,
        auto_submitted=bounce or _is_automatic(heads, sender, envelope_from),
        bounce=bounce,
        looped=bool(heads.get(OWN_MAIL_HEADER.lower())),
        labels=MappingProxyType(labels),
    )
