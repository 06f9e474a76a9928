"""Mail from a requester through the desk's real SMTP listener: shared by the requester-data tests."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest

from hub.config import Settings
from hub.intake import Intake
from hub.net import free_port
from ingest.smtp import make_controller

ANN = "ann.example@example.com"
DESK = "helpdesk@localhost"


@pytest.fixture(name="desk")
def desk_listener(settings: Settings, intake: Intake) -> Iterator[int]:
    """The desk's real SMTP listener on a free port, storing into the test's database."""
    controller = make_controller(settings, intake, port=free_port())
    controller.start()
    yield controller.port
    controller.stop()


def send(port: int, subject: str, body: str, *, sender: str = ANN, cc: str | None = None, name: str | None = None,
         **headers: str) -> str:  # fmt: skip
    """Mail the desk (a subject starting "Payslip" carries a PDF) from `name` (Ann Example or Bob by default);
    returns the Message-ID it carried."""
    msg = EmailMessage()
    name = name or ("Ann Example" if sender == ANN else "Bob")
    msg["From"], msg["To"], msg["Subject"] = f"{name} <{sender}>", DESK, subject
    msg["Message-ID"] = message_id = f"<{abs(hash((subject, body)))}.x@mail.example.net>"
    if cc:
        msg["Cc"] = cc
    for header, value in headers.items():
        msg[header.replace("_", "-")] = value
    msg.set_content(body)
    if subject.startswith("Payslip"):
        msg.add_attachment(b"%PDF-1.4 ann's payslip", maintype="application", subtype="pdf", filename="ann.pdf")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [DESK], msg.as_bytes(policy=policy.SMTP))
    return message_id
