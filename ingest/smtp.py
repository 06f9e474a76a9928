"""The service desk's SMTP listener (aiosmtpd).

RCPT rejects addresses that are not a desk (550) before any data is sent; aiosmtpd enforces the size limit (552);
DATA answers 250 only after the raw message is committed with the incident it made, and 451 when storage is
down so the sending server retries. A message we cannot understand is kept as "unprocessable", never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Iterable

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hub.config import Settings
from hub.desks import DeskDirectory
from hub.errors import StorageUnavailable
from hub.intake import Intake
from ingest.smtp_accept import ThreadAccept

log = logging.getLogger("switchboard.smtp")

#: RFC 5321 suggests at least 100; real loops are caught long before, legitimate mail has a handful of hops.
MAX_HOPS = 30
_RECEIVED = re.compile(rb"^Received:", re.IGNORECASE | re.MULTILINE)

#: Stores a message (raw bytes, envelope sender, desk addresses) and returns the SMTP reply to give.
Accept = Callable[[bytes, str | None, tuple[str, ...]], Awaitable[str]]


def _header_block(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    return raw if end < 0 else raw[:end]


class DeskHandler:
    """aiosmtpd handler: accept mail for the desk addresses and have `accept` store it (ingest/smtp_accept.py)."""

    def __init__(self, accept: Accept, desk_addresses: Iterable[str] | DeskDirectory) -> None:
        self._accept = accept
        self._desks = desk_addresses if isinstance(desk_addresses, DeskDirectory) else _Fixed(desk_addresses)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        try:  # off the event loop: re-reading the desk table must not stall every other session
            ours = await asyncio.get_running_loop().run_in_executor(None, self._desks.accepts, address)
        except StorageUnavailable as exc:
            log.error("could not check recipient %s: %s", address, exc)
            return "451 4.3.0 Cannot check this address right now, please try again later"
        if not ours:
            return f"550 5.1.1 <{address}>: no such service desk address here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_exception(self, error: Exception) -> str:
        """Anything unforeseen while handling a command (a bug, a constraint a race lost): logged in full, and the
        sender told to retry. aiosmtpd's own answer would be a 500, which bounces the mail, with the error's
        text, which tells a stranger about our internals."""
        log.error("SMTP session failed: %s", error, exc_info=error)
        return "451 4.3.0 Temporary local error, please try again later"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if len(_RECEIVED.findall(_header_block(raw))) > MAX_HOPS:
            log.info("refused a looping message from %s", envelope.mail_from)
            return "554 5.4.6 Too many hops: this message is looping between mail servers"
        return await self._accept(raw, envelope.mail_from, tuple(envelope.rcpt_tos))


class _Fixed:
    """A fixed set of desk addresses (tests, and handlers built without a database)."""

    def __init__(self, addresses: Iterable[str]) -> None:
        self._addresses = frozenset(a.lower() for a in addresses)

    def accepts(self, address: str) -> bool:
        return address.lower() in self._addresses


def make_controller(
    settings: Settings, intake: Intake, *, port: int | None = None, accept: Accept | None = None
) -> Controller:
    """An SMTP server on its own thread; `start()`/`stop()` it. Binds settings.bind_host only.

    Messages are stored by `accept`, by default on threads of this process through `intake`; `switchboard smtp`
    passes a pool of worker processes (ingest/smtp_accept.py). With a certificate configured it offers STARTTLS
    (and sending servers that insist on TLS can use it).
    """
    tls = None
    if settings.smtp_tls_cert and settings.smtp_tls_key:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(settings.smtp_tls_cert, settings.smtp_tls_key)
    return Controller(
        DeskHandler(accept or ThreadAccept(intake), DeskDirectory(intake.db, settings.desk_addresses)),
        hostname=settings.bind_host,
        port=settings.smtp_port if port is None else port,
        data_size_limit=settings.max_message_bytes,
        enable_SMTPUTF8=True,
        ident="Switchboard service desk",
        tls_context=tls,
    )
