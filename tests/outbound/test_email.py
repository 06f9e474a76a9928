"""The email channel on its own: relay URLs, the composed message, login, and which failures are retried."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from types import MappingProxyType

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hub.net import free_port
from outbound.channels.email import Attached, Relay, classify, compose, submit
from outbound.errors import PermanentDeliveryError, TransientDeliveryError
from outbound.notification import Notification
from tests.servers import SinkHandler


def notification(**headers: str) -> Notification:
    return Notification(
        outbox_id=1,
        delivery_id="d-1",
        incident_id=7,
        kind="acknowledgement",
        channel="email",
        recipient="ann@example.com",
        subject="[INC-7] Printer on fire",
        body="We have it.\n",
        headers=MappingProxyType(headers),
        message_id="<d-1@desk.example>",
    )


def test_plain_relay_url_gives_host_and_port() -> None:
    assert Relay.from_url("smtp://mail.example:2525") == Relay("mail.example", 2525, "plain")


def test_starttls_query_asks_for_starttls() -> None:
    assert Relay.from_url("smtp://mail.example?starttls=1") == Relay("mail.example", 587, "starttls")


def test_smtps_scheme_asks_for_implicit_tls() -> None:
    assert Relay.from_url("smtps://mail.example") == Relay("mail.example", 465, "tls")


def test_credentials_in_relay_url_are_url_decoded() -> None:
    relay = Relay.from_url("smtp://desk%40example.com:p%40ss%3Aword@mail.example:25")
    assert (relay.username, relay.password) == ("desk@example.com", "p@ss:word")
    assert "p@ss" not in repr(relay)


def test_row_headers_cannot_add_recipients_or_inject_lines() -> None:
    smuggled = {"Bcc": "eve@example.com", "In-Reply-To": "<a@b>\r\nBcc: eve@example.com"}
    msg = compose(notification(**smuggled), sender="d@x")
    assert msg["Bcc"] is None and msg["To"] == "ann@example.com"
    assert msg["In-Reply-To"] == "<a@b> Bcc: eve@example.com"  # one harmless line, not a new header


def test_sender_is_desk_unless_row_names_one() -> None:
    assert compose(notification(), sender="desk@example.com")["From"] == "desk@example.com"
    assert compose(notification(From="Desk <desk@example.com>"), sender="x@y")["From"] == "Desk <desk@example.com>"


def test_a_bare_from_is_shown_by_the_desks_name_rfc_2047_encoded_when_not_ascii() -> None:
    named = compose(notification(), sender="desk@example.com", desk_name="Service desk")
    assert named["From"] == "Service desk <desk@example.com>"
    wire = compose(notification(), sender="desk@example.com", desk_name="Büro-Hilfe").as_bytes()
    parsed = message_from_bytes(wire, policy=policy.default)
    assert b"=?utf-8?" in wire and parsed["From"].addresses[0].display_name == "Büro-Hilfe"
    kept = compose(notification(From="Desk <desk@example.com>"), sender="x@y", desk_name="Service desk")
    assert kept["From"] == "Desk <desk@example.com>"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (smtplib.SMTPDataError(451, b"4.3.0 try later"), TransientDeliveryError),
        (smtplib.SMTPDataError(554, b"5.7.1 spam"), PermanentDeliveryError),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"5.1.1 no such user")}), PermanentDeliveryError),
        (smtplib.SMTPSenderRefused(421, b"4.7.0 slow down", "d@x"), TransientDeliveryError),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), TransientDeliveryError),
        (smtplib.SMTPServerDisconnected("gone"), TransientDeliveryError),
        (ConnectionRefusedError(111, "refused"), TransientDeliveryError),
        (TimeoutError("timed out"), TransientDeliveryError),
    ],
)
def test_message_refusals_are_permanent_and_everything_else_is_retried(error: Exception, kind: type) -> None:
    assert type(classify(error)) is kind


@pytest.fixture
def auth_relay() -> Iterator[tuple[int, SinkHandler, list[tuple[str, str]]]]:
    """A relay that requires AUTH (over plain SMTP, as some internal relays do) and remembers who logged in."""
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"p@ss:word")

    handler, port = SinkHandler(), free_port()
    options = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield port, handler, logins
    controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_relay_login_uses_credentials_from_url(auth_relay: tuple[int, SinkHandler, list[tuple[str, str]]]) -> None:
    port, handler, logins = auth_relay
    relay = Relay.from_url(f"smtp://desk%40example.com:p%40ss%3Aword@127.0.0.1:{port}")
    submit(relay, compose(notification(), sender="desk@example.com"), sender="desk@example.com", recipients=["a@b"])
    assert handler.wait_for(1)[0].rcpt_tos == ["a@b"]
    assert logins == [("desk@example.com", "p@ss:word")]


def test_notification_with_html_is_multipart_alternative_plain_text_first() -> None:
    msg = compose(replace(notification(), html="<p>We have it.</p>\n"), sender="d@x")
    assert msg.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("plain",)).get_content() == "We have it.\n"  # type: ignore[union-attr]
    assert msg.get_body(("html",)).get_content() == "<p>We have it.</p>\n"  # type: ignore[union-attr]


def test_notification_without_html_stays_plain_text() -> None:
    assert compose(notification(), sender="d@x").get_content_type() == "text/plain"


def test_html_alternative_keeps_every_header() -> None:
    headers = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All", "In-Reply-To": "<q@x>",
               "References": "<q@x>", "X-Switchboard-Delivery": "d-1"}  # fmt: skip
    plain = compose(notification(**headers), sender="d@x")
    both = compose(replace(notification(**headers), html="<p>hi</p>"), sender="d@x")
    ours = ("From", "To", "Subject", "Message-ID", *headers)
    assert [both[name] for name in ours] == [plain[name] for name in ours]


def test_files_follow_the_text_as_attachments_typed_by_their_names() -> None:
    files = [Attached("report.pdf", b"%PDF-1.4 \x00\xff"), Attached("notes.weird", b"\x01\x02"),
             Attached("forwarded.eml", b"Subject: hi\r\n\r\nbody")]  # fmt: skip
    msg = compose(replace(notification(), html="<p>We have it.</p>\n"), sender="d@x", files=files)
    assert msg.get_content_type() == "multipart/mixed"
    assert msg.get_body(("plain",)).get_content() == "We have it.\n"  # type: ignore[union-attr]
    attached = [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in msg.iter_attachments()]
    assert attached == [
        ("report.pdf", "application/pdf", b"%PDF-1.4 \x00\xff"),
        ("notes.weird", "application/octet-stream", b"\x01\x02"),
        ("forwarded.eml", "application/octet-stream", b"Subject: hi\r\n\r\nbody"),  # carried, not parsed as mail
    ]
