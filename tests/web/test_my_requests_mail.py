"""The help centre's "My requests" by real mail: the link reaches the SMTP sink through the outbox, the worker and
the relay, and opens the list of exactly the asker's requests, each linking to its own working page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from hub import triage
from hub.agent_action import Actor, Mail
from hub.intake import Intake
from tests.emailed import mailed_in
from tests.web.helpers import csrf_token
from tests.web.mail_desk import Desk, desk_on_the_web  # noqa: F401  (the fixture `desk`)


def test_a_requester_with_three_requests_is_mailed_a_link_to_exactly_those_with_where_each_stands(
    desk: Desk, intake: Intake
) -> None:
    titles = ("Printer jams", "VPN drops", "Badge does not open door 4")
    printer, vpn, badge = (mailed_in(intake, title) for title in titles)
    mailed_in(intake, "Bob's laptop", requester="bob@example.org")
    mail = Mail("desk@example.com", "http://localhost")
    triage.change_status(desk.db, printer, "acknowledge", Actor("bob@example.com"), mail)
    triage.change_status(desk.db, vpn, "resolve", Actor("bob@example.com"), mail)
    desk.deliver()
    already = len(desk.sink.handler.received)  # the acknowledgements, and the resolution mail

    form = desk.client.get("/help/my-requests").get_data(as_text=True)
    assert desk.client.post("/help/my-requests", data={"csrf_token": csrf_token(form), "email": "Ann@example.org"})
    desk.deliver()
    [arrived] = desk.sink.handler.wait_for(already + 1)[already:]
    assert arrived.rcpt_tos == ["ann@example.org"]
    assert arrived.message["Subject"] == "Your requests to the service desk"
    text = arrived.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"https?://\S+/help/my-requests/\S+", text)
    assert link is not None and not any(title in text for title in titles)

    html = desk.client.get(urlsplit(link.group(0)).path).get_data(as_text=True)
    entries = re.findall(r'<a href="(/requests/[^"]+)"><span class="my-request-ref">(INC-\d+)</span>[^<]*</a></p>\s*'
                         r'<p><strong class="my-request-state">([^<]+)</strong>', html)  # fmt: skip
    said = {ref: state for _, ref, state in entries}
    assert said == {f"INC-{printer}": "In progress", f"INC-{vpn}": "Resolved", f"INC-{badge}": "Open"}
    for path, ref, state in entries:
        own = desk.client.get(path)
        page = own.get_data(as_text=True)
        assert own.status_code == 200 and ref in page and f'<strong id="state">{state}</strong>' in page
