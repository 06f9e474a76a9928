"""Turn a raw RFC 5322 message into an event (pure). The SMTP and IMAP servers only move bytes."""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from types import MappingProxyType

from hub.addresses import is_automatic_sender
from hub.attachments import DEFAULT_LIMITS, AttachmentLimits
from hub.domain import AttachmentInfo, InboundEvent, MailFacts, parse_ref
from ingest import mime
from ingest.errors import InvalidPayload
from ingest.html_text import html_to_text
from ingest.mail_auth import check_sender
from ingest.mime import decode_text, decode_words

# flufl.bounce logs every detector it tries at INFO: one line per detector per bounce.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

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
#: What auto-responders that send no Auto-Submitted header (Outlook's rules, older Exchange and many hosted
#: mailboxes) put before the subject they answer, in the desk's languages. Believed only on an answer to our mail
#: (it threads, or names an [INC-n]): a person's new mail may well be titled "Out of office: my replies stopped".
_AUTO_REPLY_SUBJECT = re.compile(
    r"^(?:automatic reply|auto[- ]?reply|out of (?:the )?office(?: reply| autoreply)?|automatische antwort"
    r"|abwesenheitsnotiz|réponse automatique|absence du bureau|respuesta automática|risposta automatica"
    r"|automatisch antwoord|autosvar)\s*:",
    re.IGNORECASE,
)
#: Every notification we send carries this; seeing it come in means our own mail looped back.
OWN_MAIL_HEADER = "X-Switchboard-Delivery"
_FINAL_RECIPIENT = re.compile(r"^Final-Recipient:\s*rfc822;\s*<?([^\s>]+@[^\s>]+)>?", re.IGNORECASE | re.MULTILINE)


#: More multipart or message/* sections than this (nested or not) and a message is not parsed: real mail has a
#: few, a forward of forwards a few dozen, and Python's parser recurses into each.
MAX_CONTAINERS = 100
_CONTAINERS = re.compile(rb"^content-type:\s*(?:multipart|message)/", re.IGNORECASE | re.MULTILINE)


def _raw_headers(msg: Message) -> dict[str, str]:
    """Every header as sent (first occurrence wins), unfolded, encoded words and raw 8-bit text decoded: the
    checks for automatic mail look up a dozen headers, and the email policy parses a header afresh on every lookup."""
    found: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = name.lower()
        if key not in found:
            found[key] = decode_words(str(value))
    return found


def _sender(heads: dict[str, str]) -> tuple[str | None, str | None]:
    """The sender's address (lower-cased) and display name, from From, else Sender."""
    for name in ("from", "sender"):
        for display, address in getaddresses([heads.get(name, "")]):
            if "@" in address:
                return address.lower(), (" ".join(display.split()).strip("\"' ") or None)
    return None, None


def _recipients(heads: dict[str, str]) -> tuple[str, ...]:
    """Where the message was addressed (Delivered-To first: it names the mailbox that really received it)."""
    values = [heads.get(name, "") for name in ("delivered-to", "to", "cc", "x-original-to")]
    found = (address.lower() for _display, address in getaddresses(values) if "@" in address)
    return tuple(dict.fromkeys(found))


def _copied(heads: dict[str, str], sender: str | None) -> tuple[str, ...]:
    """Who else the sender wrote to (To and Cc, the sender left out): the people they copied, whom the desk keeps
    in the conversation (hub/copied.py drops the desk's own addresses and its people)."""
    found = (address.lower() for _display, address in getaddresses([heads.get("to", ""), heads.get("cc", "")]))
    return tuple(dict.fromkeys(a for a in found if "@" in a and a != sender))


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
    return sender is None or is_automatic_sender(sender)


def _is_bounce(msg: Message, sender: str | None) -> bool:
    """A delivery status notification (RFC 3464), or what mailer-daemons send without the proper type."""
    report_type = str(msg.get_param("report-type", "")).lower()
    if msg.get_content_type() == "multipart/report" and report_type == "delivery-status":
        return True
    return sender is not None and sender.startswith(("mailer-daemon@", "postmaster@"))


def _bounce_details(msg: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """From a bounce: the Message-IDs of the returned message (to find its incident) and the addresses that
    failed for good (flufl.bounce knows the DSN format and the odd shapes of many servers' own reports)."""
    ids: list[str] = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            returned = part.get_payload()
            for inner in returned if isinstance(returned, list) else []:
                if isinstance(inner, Message):
                    ids += _MSGID.findall(str(inner.get("Message-ID", "")))
        elif kind == "text/rfc822-headers":
            lines = _report_text(part).splitlines()
            ids += [found for line in lines if line.lower().startswith("message-id:") for found in _MSGID.findall(line)]
    return tuple(dict.fromkeys(ids)), _failed_addresses(msg)


def _failed_addresses(msg: Message) -> tuple[str, ...]:
    """Permanently failed recipients; a report that is only about a delay (a temporary failure) names none."""
    import flufl.bounce  # here, not at the top: only a bounce needs its detectors, and a web worker none

    try:
        temporary, permanent = flufl.bounce.all_failures(msg)
    except Exception:  # a detector choking on a malformed report must not cost us the message
        temporary, permanent = frozenset(), frozenset()
    found = [decode_text(a, "utf-8") if isinstance(a, bytes) else str(a) for a in permanent]
    if not found and not temporary:  # a shape no detector knows: read the DSN's Final-Recipient lines ourselves
        for part in msg.walk():
            if part.get_content_type() == "message/delivery-status":
                found += _FINAL_RECIPIENT.findall(_report_text(part))
    cleaned = (a.strip().strip("<>").lower() for a in found)
    return tuple(sorted({a for a in cleaned if "@" in a and len(a) <= 320}))


def _report_text(part: Message) -> str:
    """A part's text whatever its shape (delivery-status parts are lists of header blocks)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(block) for block in payload)
    return mime.part_text(part)


def _message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value))


#: The HTML alternative kept for display; the raw message holds the rest.
MAX_HTML_CHARS = 512 * 1024
#: The most of a message's text an incident keeps as its description; the raw message, kept with the event, has
#: all of it. A 25 MB text mail made an incident page of 25 MB.
MAX_TEXT = 100_000


@dataclass(frozen=True)
class ParsedMail:
    """A message understood: the event, and the bytes of each file to store, by SHA-256."""

    event: InboundEvent
    blobs: Mapping[str, bytes] = field(default_factory=dict)


#: Files listed on the incident at most; the rest are summed up in one line. 50,000 two-byte attachments fit in
#: a 5 MB message, and listed one by one made a timeline entry of megabytes.
MAX_LISTED = 500


def _files(found: mime.Contents, limits: AttachmentLimits) -> tuple[tuple[AttachmentInfo, ...], dict[str, bytes]]:
    infos: list[AttachmentInfo] = []
    blobs: dict[str, bytes] = {}
    kept = 0
    for part in found.files[:MAX_LISTED]:
        digest, size = part.sha256, len(part.data)
        note = None
        if size > limits.per_file:
            note = f"not stored: too large ({size} bytes; at most {limits.per_file} per file)"
        elif digest not in blobs and kept + size > limits.per_message:
            note = f"not stored: too large (the message's files exceed {limits.per_message} bytes)"
        elif digest not in blobs and len(blobs) >= limits.files:
            note = f"not stored: the message has more than {limits.files} files"
        elif digest not in blobs:
            blobs[digest] = part.data
            kept += size
        infos.append(AttachmentInfo(part.filename, part.content_type, size, digest, part.inline, note is None, note))
    if rest := found.files[MAX_LISTED:]:
        size = sum(len(part.data) for part in rest)
        infos.append(AttachmentInfo(f"{len(rest)} more files", "", size, "", stored=False,
                                    note="not stored or listed: they are in the message as received"))  # fmt: skip
    return tuple(infos), blobs


def read(
    raw: bytes,
    *,
    envelope_from: str | None = None,
    limits: AttachmentLimits = DEFAULT_LIMITS,
    authserv_id: str | None = None,
) -> ParsedMail:
    """Parse a message into an event and the files to keep. Raises InvalidPayload when it is not a message.

    `authserv_id`: the receiving mail server whose Authentication-Results header says whether the From is genuine
    (ingest/mail_auth.py); None believes no such header."""
    if not raw.strip():
        raise InvalidPayload("empty message")
    if len(_CONTAINERS.findall(raw)) > MAX_CONTAINERS:
        # Python's MIME parser recurses once per level: a few hundred nested sections end in a RecursionError.
        raise InvalidPayload(f"the message has more than {MAX_CONTAINERS} multipart or attached-message sections; "
                             "no mail client makes that many, so it is kept unread")  # fmt: skip
    # compat32 keeps headers as the strings sent; the default policy parses a header into objects on every
    # lookup, which cost most of the time spent on a message. We decode the few we show ourselves.
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not msg.keys():
        raise InvalidPayload("no headers: this is not an RFC 5322 message")
    heads = _raw_headers(msg)
    subject = " ".join(heads.get("subject", "").split()) or "(no subject)"
    sender, sender_name = _sender(heads)
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
    found = mime.contents(msg)
    if found.text is not None:
        text = found.text.strip()
    else:
        text = html_to_text(found.html).strip() if found.html is not None else ""
    if len(text) > MAX_TEXT:
        text = f"{text[:MAX_TEXT]}\n\n[{len(text) - MAX_TEXT:,} more characters are in the message as received.]"
    attachments, blobs = _files(found, limits)
    facts = MailFacts(
        sender_name=sender_name,
        html=found.html[:MAX_HTML_CHARS] if found.html and found.html.strip() else None,
        recipients=_recipients(heads),
        copied=_copied(heads, sender),
        attachments=attachments,
        sender_check=check_sender(msg.raw_items(), sender, authserv_id),
    )
    event = InboundEvent(
        source="email",
        title=subject[:500],
        description=text,
        requester=sender,
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=references,
        thread_ref=parse_ref(tag.group(1)) if tag else None,
        auto_submitted=bounce
        or _is_automatic(heads, sender, envelope_from)
        or bool((references or tag) and _AUTO_REPLY_SUBJECT.match(subject)),
        bounce=bounce,
        looped=bool(heads.get(OWN_MAIL_HEADER.lower())),
        labels=MappingProxyType(labels),
        mail=facts,
    )
    return ParsedMail(event, MappingProxyType(blobs))


def parse(raw: bytes, *, envelope_from: str | None = None, authserv_id: str | None = None) -> InboundEvent:
    """Parse a message into an event. Raises InvalidPayload when it is not a message at all."""
    return read(raw, envelope_from=envelope_from, authserv_id=authserv_id).event
