"""The email channel: an RFC 5322 message handed to the relay in SWITCHBOARD_SMTP_RELAY, or to the log.

`smtp://host:port` talks plain SMTP, `smtp://host:port?starttls=1` upgrades with STARTTLS, `smtps://host:port`
uses implicit TLS, and `smtp://user:pass@host:port` logs in (user and password are URL-decoded). Without a relay
the message is written to the worker's log and counts as sent, so a fresh install works before mail is set up.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from hub.agent_files import content_type_of
from hub.attachments import AttachmentStore
from hub.config import Settings
from hub.models import utcnow
from outbound.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from outbound.notification import Notification

log = logging.getLogger("switchboard.outbound")

SMTP_TIMEOUT = 30.0

#: Headers we write ourselves (or that set_content writes); a row's own copy is ignored (To and Cc are read for the
#: conversation a copy is part of, but the envelope is the row's recipient alone), and Bcc is never sent.
_OURS = frozenset(
    (
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    )
)

Security = Literal["plain", "starttls", "tls"]


@dataclass(frozen=True)
class Relay:
    """Where and how to hand mail over, parsed from SWITCHBOARD_SMTP_RELAY."""

    host: str
    port: int
    security: Security = "plain"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> Relay:
        """Parse `smtp://[user:pass@]host[:port][?starttls=1]` or `smtps://...`; ValueError says what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"relay URL must start with smtp:// or smtps://, not {parts.scheme}://")
        if not parts.hostname:
            raise ValueError("relay URL names no host")
        starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
        security: Security = "tls" if parts.scheme == "smtps" else "starttls" if starttls else "plain"
        default_port = {"tls": 465, "starttls": 587, "plain": 25}[security]
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,  # .port raises ValueError for a malformed port
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


@dataclass(frozen=True)
class Attached:
    """A file as it goes into a mail: its name and its bytes, read from the attachment store."""

    filename: str
    data: bytes


def compose(
    notification: Notification,
    *,
    sender: str,
    now: datetime | None = None,
    files: Sequence[Attached] = (),
    desk_name: str | None = None,
) -> EmailMessage:
    """The message as it will be sent (pure): the row's headers, then ours, then the plain-text body - with the
    HTML body after it as a multipart/alternative when there is one (clients show the last part they can) - and
    `files` after that as attachments (multipart/mixed), each typed by its name. A bare From address gets
    `desk_name` (SWITCHBOARD_DESK_NAME) as its display name."""
    msg = EmailMessage()
    msg["From"] = named(_clean(notification.headers.get("From") or sender), desk_name)
    # A copy to someone the requester copied (hub/copied.py) is addressed as the conversation it is part of, To the
    # requester and Cc everyone copied, but goes to its own recipient alone (the envelope: `send`).
    msg["To"] = _clean(notification.headers.get("To") or notification.recipient)
    if cc := notification.headers.get("Cc"):
        msg["Cc"] = _clean(cc)
    msg["Subject"] = _clean(notification.subject)
    msg["Date"] = format_datetime(now or utcnow())
    msg["Message-ID"] = notification.message_id or make_msgid(
        idstring=notification.delivery_id, domain=sender.rpartition("@")[2] or "localhost"
    )
    for name, value in notification.headers.items():
        if name.lower() in _OURS:
            continue
        msg[name] = _clean(value)
    msg.set_content(notification.body)
    if notification.html:
        msg.add_alternative(notification.html, subtype="html")
    for file in files:
        maintype, _, subtype = content_type_of(file.filename).partition("/")
        if maintype in ("multipart", "message"):  # containers whose bytes the email package would parse, not carry
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=file.filename)
    return msg


def named(address: str, name: str | None) -> str:
    """`address` shown as `name` ("Service desk <helpdesk@example.com>"; RFC 2047-encoded when not ASCII), so inboxes
    do not show "helpdesk". Added when sent, not stored with the row: mail owed before a change of name goes out under
    the new one. A From that has a display name already keeps it."""
    shown, bare = parseaddr(address)
    if not name or shown or not bare:
        return address
    return formataddr((name, bare))


def read_files(notification: Notification, store: AttachmentStore) -> list[Attached]:
    """The files the mail carries, from the store. One that is gone (the store lost, or its row deleted) is a
    permanent failure: the mail is never sent without a file the agent attached, and the dead-letter list says
    which. A disk that cannot be read now is retried."""
    found = []
    for file in notification.files:
        try:
            data = store.read(file.sha256) if file.sha256 is not None else None
        except OSError as exc:
            raise TransientDeliveryError(f"could not read the attached file {file.filename}: {exc}") from exc
        if data is None:
            raise PermanentDeliveryError(
                f"the attached file {file.filename} (attachment {file.attachment_id}) is missing from the attachment "
                f"store under {store.root}; the mail was not sent without it (restore the file and retry it, or "
                "discard it and reply again)"
            )
        found.append(Attached(file.filename, data))
    return found


def send(notification: Notification, settings: Settings) -> None:
    """Hand the notification to the relay (or the log); the envelope sender is the desk address."""
    files = read_files(notification, AttachmentStore.under(settings.home))
    if settings.smtp_relay is None:
        # The files' names, not their bytes.
        shown = compose(notification, sender=settings.desk_address, desk_name=settings.desk_name).as_string()
        names = "".join(f"\n[attached: {f.filename}, {len(f.data)} bytes]" for f in files)
        log.info("SWITCHBOARD_SMTP_RELAY is not set; this message is logged instead of sent:\n%s%s", shown, names)
        return
    msg = compose(notification, sender=settings.desk_address, files=files, desk_name=settings.desk_name)
    try:
        relay = Relay.from_url(settings.smtp_relay)
    except ValueError as exc:
        # Our configuration, not the message: retry, so a fixed setting still delivers it.
        raise TransientDeliveryError(f"SWITCHBOARD_SMTP_RELAY is malformed: {exc}") from None
    submit(relay, msg, sender=settings.desk_address, recipients=[notification.recipient])


def submit(relay: Relay, msg: EmailMessage, *, sender: str, recipients: Sequence[str]) -> None:
    """One SMTP conversation; every failure comes out as a Transient- or PermanentDeliveryError."""
    try:
        smtp = _open(relay)
        try:
            if relay.username is not None:
                smtp.login(relay.username, relay.password or "")
            smtp.send_message(msg, from_addr=sender, to_addrs=list(recipients))
        finally:
            _quit(smtp)
    except (smtplib.SMTPException, OSError) as exc:
        raise classify(exc) from exc


def classify(exc: BaseException) -> DeliveryError:
    """Decide whether a failed conversation is worth retrying.

    Replies to MAIL, RCPT and DATA are about this message: 4xx is "later", 5xx is "never". Everything about the
    session (connect, greeting, login, STARTTLS, network, TLS) is about the relay or our settings, which can be
    fixed without touching the message, so those are retried.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b"recipient refused"))
        return _by_code(code, text)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TransientDeliveryError(f"the relay refused our login: {_reply(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return TransientDeliveryError(f"the relay would not talk to us: {_reply(exc.smtp_code, exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, exc.smtp_error)
    return TransientDeliveryError(
        f"relay unavailable: {type(exc).__name__}: {exc}; check that the relay SWITCHBOARD_SMTP_RELAY names is"
        " running and reachable from here (the message is tried again by itself)"
    )


def _by_code(code: int, text: bytes | str) -> DeliveryError:
    reply = _reply(code, text)
    if 500 <= code <= 599:
        return PermanentDeliveryError(f"the relay refused the message: {reply}")
    return TransientDeliveryError(f"the relay deferred the message: {reply}")


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {message}".strip()


def _open(relay: Relay) -> smtplib.SMTP:
    if relay.security == "tls":
        return smtplib.SMTP_SSL(relay.host, relay.port, timeout=relay.timeout, context=ssl.create_default_context())
    smtp = smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout)
    if relay.security == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye without letting a failed QUIT turn a delivered message into a retried (duplicate) one."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _clean(value: str) -> str:
    """One line: a header value may have been folded or carry stray line breaks (which would inject headers)."""
    return " ".join(str(value).split())
