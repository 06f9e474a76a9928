"""The help centre's "Ask the desk" by real mail: the confirmation reaches the SMTP sink through the outbox, the
worker and the relay; its link sends the request, and the acknowledgement the desk sends to email follows."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.web.helpers import csrf_token
from tests.web.mail_desk import Desk, desk_on_the_web  # noqa: F401  (the fixture `desk`)


def test_the_mailed_link_sends_the_request_and_the_requester_gets_the_acknowledgement_with_its_reference(
    desk: Desk,
) -> None:
    form = desk.client.get("/help/ask").get_data(as_text=True)
    fields = {"email": "ann@example.org", "subject": "Printer on floor 3 jams", "body": "Since this morning."}
    asked = desk.client.post("/help/ask", data={"csrf_token": csrf_token(form), **fields})
    assert asked.status_code == 200
    desk.deliver()
    [confirmation] = desk.sink.handler.wait_for(1)
    message = confirmation.message
    assert confirmation.rcpt_tos == ["ann@example.org"]
    assert message["Subject"] == "Confirm your request to the service desk"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"https?://\S+/help/ask/confirm/\S+", text)
    assert link is not None and "Printer" not in text

    path = urlsplit(link.group(0)).path
    page = desk.client.get(path).get_data(as_text=True)
    done = desk.client.post(path, data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    reference = re.search(r'<strong id="reference">(INC-\d+)</strong>', done.get_data(as_text=True))
    assert reference is not None

    desk.deliver()
    acknowledgement = desk.sink.handler.wait_for(2)[1]
    assert acknowledgement.rcpt_tos == ["ann@example.org"]
    assert f"[{reference.group(1)}]" in acknowledgement.message["Subject"]
    said = acknowledgement.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert reference.group(1) in said and "/requests/" in said  # "Follow your request"
