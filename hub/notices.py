"""The notifications an incident change owes, composed as plain values (pure) for the outbox.

Each mail's subject and bodies come from the Jinja2 templates of hub/mail_templates.py (packaged defaults,
overridable under SWITCHBOARD_HOME); these functions gather the facts and add the headers every mail needs.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.utils import make_msgid
from typing import Any

from hub import people
from hub.domain import INCIDENT_KINDS, format_ref
from hub.excerpts import excerpt
from hub.mail_templates import DEFAULTS, MailTemplates


@dataclass(frozen=True)
class Notice:
    """One notification owed. An email's body is its `template` applied to its `facts`: the outbox row stores
    both and the worker renders the body when it sends (outbound/notification.py), so composing a notice costs
    the write transaction that owes it only the one-line subject."""

    kind: str
    channel: str
    recipient: str
    subject: str
    text: str = ""  # a body given as it is (webhook and chat notices); templated mail leaves it empty
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    delivery_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    data: dict[str, Any] | None = None  # facts for webhook and chat channels, which render their own message
    template: str | None = None  # the mail template its body comes from (hub/mail_templates.py)
    facts: dict[str, Any] | None = None  # what the template is applied to
    attachment_ids: tuple[int, ...] = ()  # files an agent's reply carries, read from the store when it is sent
    templates: MailTemplates = field(default=DEFAULTS, compare=False, repr=False)

    @functools.cached_property
    def _body(self) -> tuple[str, str | None]:
        if self.template is None:
            return self.text, None
        return self.templates.render_body(self.template, self.facts or {})

    @property
    def body(self) -> str:
        """The plain-text body, as it will be sent."""
        return self._body[0]

    @property
    def html(self) -> str | None:
        """The HTML alternative of an email's plain-text body (None: plain text only)."""
        return self._body[1]


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def _facts(incident_id: int, title: str, *, recipient: str, desk_address: str, base_url: str, **more: Any) -> dict:
    ref = format_ref(incident_id)
    return {"reference": ref, "incident_id": incident_id, "title": title, "url": f"{base_url}/incidents/{ref}",
            "desk_address": desk_address, "base_url": base_url, "recipient": recipient, **more}  # fmt: skip


def agents_thread(incident_id: int, desk_address: str) -> str:
    """The Message-ID every mail to the desk's own people about an incident names as its thread's root, so their mail
    clients group it per incident: derived, never sent, so it needs no column, and it is not the requester's (their
    mail is threaded under their own conversation, hub/recipients.py::thread_message_ids), so nothing internal ever
    lands in their thread, nor theirs in ours."""
    return f"<inc-{incident_id}.agents@{_domain(desk_address)}>"


def _to_agents(kind: str, *, template: str, facts: dict[str, Any], templates: MailTemplates) -> Notice:
    """A notice to the desk's own people (assignee, watchers, groups, colleagues, channels): threaded under the
    incident's `agents_thread`, when it is about one."""
    incident_id = facts.get("incident_id")
    root = [agents_thread(incident_id, facts["desk_address"])] if incident_id is not None else []
    return _notice(kind, template=template, facts=facts, templates=templates, references=root)


def _notice(
    kind: str,
    *,
    template: str,
    facts: dict[str, Any],
    templates: MailTemplates,
    auto_submitted: str | None = "auto-generated",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Notice:
    """A notice rendered from `template`, with the headers every one of ours carries: a stable delivery id (also in
    the Message-ID, so a receiver can drop repeats of an at-least-once delivery) and RFC 3834 marks so
    responders stay quiet."""
    desk_address = facts["desk_address"]
    delivery_id = str(uuid.uuid4())
    headers: dict[str, Any] = {"From": desk_address}
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
        headers["X-Auto-Response-Suppress"] = "All"
    headers["X-Switchboard-Delivery"] = delivery_id
    references = [*references] or ([in_reply_to] if in_reply_to else [])
    if references:
        headers["In-Reply-To"] = references[-1]
        headers["References"] = " ".join(references)
    return Notice(
        kind=kind,
        channel="email",
        recipient=facts["recipient"],
        subject=templates.render_subject(template, facts)[:998],
        headers=headers,
        message_id=make_msgid(idstring=delivery_id, domain=_domain(desk_address)),
        delivery_id=delivery_id,
        template=template,
        facts=facts,
        templates=templates,
    )


def acknowledgement(
    *,
    incident_id: int,
    title: str,
    requester: str,
    desk_address: str,
    in_reply_to: str | None,
    base_url: str,
    workaround: str | None = None,
    known_outage: dict[str, Any] | None = None,
    suggested: Sequence[dict[str, str]] = (),
    templates: MailTemplates = DEFAULTS,
    sender_name: str | None = None,
    kind: str = INCIDENT_KINDS[0],
    follows: str | None = None,
    awaiting_approval: bool = False,
) -> Notice:
    """Tell a requester their email became an incident; the reference in the subject threads replies back. They are
    greeted by their From's display name when it is a plain one (hub/people.py::greeting_name). A
    `known_outage` of the service it is about (hub/status_page.py) is mentioned, with the status page's address,
    and the knowledge articles `suggested` for what they wrote (hub/knowledge.py) are listed. Its `kind` (an
    incident or a service request) is there for a template that words the two apart. `follows`: the reference of
    the finished request whose thread they answered, which is why this one is new (hub/intake.py::_follow_up).
    `awaiting_approval`: its request type's approver is asked first, so nothing happens until they say yes."""
    facts = _facts(incident_id, title, recipient=requester, desk_address=desk_address, base_url=base_url,
                   workaround=workaround, requester=requester, known_outage=known_outage, kind=kind,
                   suggested=list(suggested), greeting_name=people.greeting_name(sender_name),
                   follows=follows, awaiting_approval=awaiting_approval)  # fmt: skip
    # RFC 3834: an automatic reply; well-behaved responders will not answer it, and we ignore those that do.
    return _notice("acknowledgement", template="acknowledgement", facts=facts, templates=templates,
                   auto_submitted="auto-replied", in_reply_to=in_reply_to)  # fmt: skip


def assignment(
    *,
    incident_id: int,
    title: str,
    priority: int,
    assignee: str,
    desk_address: str,
    base_url: str,
    group: str | None = None,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Tell a person an incident is theirs (or their group's: `assignee` is then one member, `group` its name)."""
    facts = _facts(incident_id, title, recipient=assignee, desk_address=desk_address, base_url=base_url,
                   priority=priority, assignee=assignee, group=group)  # fmt: skip
    return _to_agents("assigned", template="assigned", facts=facts, templates=templates)


def shift_started(
    *, group: str, recipient: str, starts: str, ends: str | None, then: str | None, covering: bool,
    desk_address: str, base_url: str, templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Tell someone their on-call shift for `group` has begun (times as text in the rotation's zone). No incident:
    the reference is empty and the link goes to the on-call page."""
    facts = {"reference": "", "incident_id": None, "title": f"On call for {group}", "url": f"{base_url}/oncall",
             "desk_address": desk_address, "base_url": base_url, "recipient": recipient, "group": group,
             "starts": starts, "ends": ends, "then": then, "covering": covering}  # fmt: skip
    return _notice("on_call", template="on_call", facts=facts, templates=templates)


def escalation(
    *,
    incident_id: int,
    title: str,
    priority: int,
    recipient: str,
    step: int,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Tell someone an incident is still unacknowledged and now theirs to look at too (`step` counts from 0)."""
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url,
                   priority=priority, step=step + 1)  # fmt: skip
    return _to_agents("escalated", template="escalated", facts=facts, templates=templates)


def major_declared(
    *,
    incident_id: int,
    title: str,
    priority: int,
    recipient: str,
    reason: str,
    coordinator: str,
    coordinator_label: str,
    declared_by: str,
    declared_by_label: str,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Page someone that an incident was declared a major incident (hub/major_incidents.py): what, why, who
    coordinates it and who declared it (the `*_label`s: by name, hub/people.py `label`; the bare addresses stay
    for templates an admin wrote before) and where to follow it."""
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url,
                   priority=priority, reason=reason, coordinator=coordinator, coordinator_label=coordinator_label,
                   declared_by=declared_by, declared_by_label=declared_by_label)  # fmt: skip
    return _to_agents("major_declared", template="major_declared", facts=facts, templates=templates)


def major_stood_down(
    *,
    incident_id: int,
    title: str,
    recipient: str,
    by: str,
    by_label: str,
    note: str | None,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Tell those paged for a major incident that it is one no longer, so they may stand down too (`by_label`: who
    stood it down, by name, hub/people.py `label`)."""
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url, by=by,
                   by_label=by_label, note=note)  # fmt: skip
    return _to_agents("major_stood_down", template="major_stood_down", facts=facts, templates=templates)


def review_published(
    *,
    incident_id: int,
    title: str,
    recipient: str,
    by: str,
    by_label: str,
    summary: str,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Send the link to a major incident's published post-incident review (hub/reviews.py), with its summary and
    who published it (`by_label`: by name, hub/people.py `label`)."""
    cut = excerpt(summary, REPLY_EXCERPT)
    ref = format_ref(incident_id)
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url, by=by,
                   by_label=by_label, summary=cut, review_url=f"{base_url}/incidents/{ref}/review")  # fmt: skip
    return _to_agents("review_published", template="review_published", facts=facts, templates=templates)


# A state change told to the assignee and watchers: its notice kind -> the template its mail comes from.
STATE_CHANGE_TEMPLATES = {"resolved": "resolved", "reopened": "reopened", "stable": "stable"}


def state_change(
    kind: str,
    *,
    incident_id: int,
    title: str,
    assignee: str,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
    **more: Any,
) -> Notice:
    """Tell the assignee (or a watcher) of a state change (one notice per change, not per event): `resolved` (with
    the `resolution` a person gave, if any) or `reopened` with `source` (who or what did it: "nagios", "a new
    nagios alert", a person) and, when the requester's reply reopened it, what they wrote (`text`, quoted as
    `requester_replied` quotes it, and `unverified`), or `stable` with `status` (where a flapping alert settled; its
    notices were held meanwhile)."""
    if kind == "resolved":
        more.setdefault("resolution", None)  # an alert's resolve says nothing of how
    if kind == "reopened":  # an alert's or an agent's reopening quotes nothing
        more.update(text=quoted(more.get("text")), unverified=bool(more.get("unverified")))
    facts = _facts(incident_id, title, recipient=assignee, desk_address=desk_address, base_url=base_url,
                   assignee=assignee, **more)  # fmt: skip
    return _to_agents(kind, template=STATE_CHANGE_TEMPLATES[kind], facts=facts, templates=templates)


def requester_resolution(
    *,
    incident_id: int,
    title: str,
    requester: str,
    source: str,
    desk_address: str,
    base_url: str,
    references: Sequence[str] = (),
    templates: MailTemplates = DEFAULTS,
    resolution: str | None = None,
    survey: Sequence[dict[str, str]] = (),
    into: str | None = None,
    requester_name: str | None = None,
) -> Notice:
    """Tell the requester of an email incident it was resolved (and how, when whoever resolved it said), threaded
    under the conversation, so an answer ("still broken") lands in the incident and reopens it. `survey`: the
    "How did we do?" links (hub/satisfaction.py), one per rating. `into`: the reference of the incident it was
    merged into, whose resolution this is (hub/merged_requesters.py). `requester_name`: the name the desk knows them
    by (hub/contacts.py::name_of), greeted as the acknowledgement greets them."""
    facts = _facts(incident_id, title, recipient=requester, desk_address=desk_address, base_url=base_url,
                   source=source, requester=requester, resolution=resolution, survey=list(survey),
                   into=into, greeting_name=people.greeting_name(requester_name))  # fmt: skip
    return _notice("resolved", template=REQUESTER_RESOLVED, facts=facts, templates=templates,
                   references=references)  # fmt: skip


def requester_problem_resolution(theirs: Sequence[Notice], *, problem: str, problem_title: str) -> Notice:
    """One mail telling a requester that several of their requests were resolved with a problem
    (hub/problem_mail.py), made of the `requester_resolution` notices each would have been sent, oldest first: the
    first gives it its subject tag, thread, links and "How did we do?" (it is owed on that request, so a reply
    lands there); `requests` lists them all, by reference and title."""
    first = theirs[0].facts or {}
    requests = [{"reference": facts["reference"], "title": facts["title"], "into": facts.get("into")}
                for facts in (notice.facts or {} for notice in theirs)]  # fmt: skip
    facts = {**first, "problem": problem, "problem_title": problem_title, "requests": requests}
    return _notice("resolved", template="requester_problem_resolved", facts=facts, templates=theirs[0].templates,
                   references=theirs[0].headers.get("References", "").split())  # fmt: skip


#: The template of the resolution mail each request's requester is sent (requester_resolution).
REQUESTER_RESOLVED = "requester_resolved"


def requester_merged(
    *,
    incident_id: int,
    title: str,
    requester: str,
    into: str,
    desk_address: str,
    base_url: str,
    references: Sequence[str] = (),
    templates: MailTemplates = DEFAULTS,
    requester_name: str | None = None,
) -> Notice:
    """Tell the requester of an email incident merged into `into` (a reference) that their request is followed
    there now, threaded under their conversation about it: a reply to any of its mail reaches `into`. About their
    own incident (its reference, its title), so it names nothing of `into` but its reference. `requester_name`: as
    `requester_resolved`'s."""
    facts = _facts(incident_id, title, recipient=requester, desk_address=desk_address, base_url=base_url,
                   requester=requester, into=into, greeting_name=people.greeting_name(requester_name))  # fmt: skip
    return _notice("merged", template="requester_merged", facts=facts, templates=templates, references=references)


#: How much of a requester's reply the assignee's notice quotes: the newest text is on top, the history below it.
REPLY_EXCERPT = 1500


def quoted(text: str | None) -> str | None:
    """How much of a requester's words (their reply's newest part, hub/intake_notices.py `newest_part`) the desk's
    mail quotes: the start of it, so a long one does not bury the link (None: they wrote nothing to quote)."""
    return excerpt(text.strip(), REPLY_EXCERPT) if text and text.strip() else None


def requester_replied(
    *,
    incident_id: int,
    title: str,
    recipient: str,
    requester: str,
    text: str,
    desk_address: str,
    base_url: str,
    unverified: bool = False,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Tell the assignee (or a watcher) that the requester wrote again, with the start of what they wrote, so an
    answer does not wait for someone to look at the incident page. `unverified`: the receiving server could not
    verify the sender (an SPF softfail): the mail says so, as the timeline does, before anyone acts on it."""
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url,
                   requester=requester, text=quoted(text) or "", unverified=unverified)  # fmt: skip
    return _to_agents("requester_replied", template="requester_replied", facts=facts, templates=templates)


def agent_reply(
    *,
    incident_id: int,
    title: str,
    requester: str,
    text: str,
    agent: str,
    desk_address: str,
    references: Sequence[str],
    base_url: str,
    templates: MailTemplates = DEFAULTS,
    files: Sequence[str] = (),
) -> Notice:
    """An agent's answer to the requester: a person's mail (no Auto-Submitted), threaded under the conversation
    and tagged with the reference, so the requester's answer lands in the same incident. A reply of `files` (their
    names) alone says who sent them, so its mail is never blank, whatever template the installation uses."""
    subject = title if title.lower().startswith("re:") else f"Re: {title}"
    text = text or files_sent(agent, files)
    facts = _facts(incident_id, title, recipient=requester, desk_address=desk_address, base_url=base_url,
                   text=text, agent=agent, requester=requester, subject=subject)  # fmt: skip
    return _notice("reply", template="reply", facts=facts, templates=templates, auto_submitted=None,
                   references=references)  # fmt: skip


def files_sent(agent: str, files: Sequence[str]) -> str:
    """What a reply with files and no words says: `bob@example.com sent you 2 files: a.png, b.pdf.`"""
    count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
    return f"{agent} sent you {count}: {', '.join(files)}." if files else ""


def mention(
    *,
    incident_id: int,
    title: str,
    recipient: str,
    by: str,
    note: str,
    priority: int,
    desk_address: str,
    base_url: str,
    by_label: str | None = None,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """A colleague's internal note that mentions the recipient (hub/mentions.py): the note and the link to the
    incident. Only users are ever mentioned, so an internal note reaches no one outside the desk. `by_label` names
    the writer as colleagues know them ("Ann Lee (ann@example.com)"), else the address."""
    cut = excerpt(note, REPLY_EXCERPT)
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url, by=by,
                   by_label=by_label or by, note=cut, priority=priority)  # fmt: skip
    return _to_agents("mentioned", template="mentioned", facts=facts, templates=templates)


def step_turn(
    *,
    incident_id: int,
    title: str,
    priority: int,
    recipient: str,
    step: int,
    text: str,
    group: str,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Tell a member of `group` that a request's checklist has come to the step that is their group's
    (hub/step_turns.py): "Step 2 of INC-7 is your group's: Image it", with the request's link."""
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url,
                   priority=priority, step=step, text=text, group=group)  # fmt: skip
    return _to_agents("step", template="step", facts=facts, templates=templates)


def sla_alert(
    *,
    incident_id: int,
    title: str,
    clock: str,
    kind: str,
    due: str,
    assignee: str,
    desk_address: str,
    base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:
    """Tell the assignee an SLA clock reached its warning share or its target (hub/sla.py's sweep)."""
    what = {"first_response": "first response", "next_update": "next update"}.get(clock, "resolution")
    name = "sla_breach" if kind == "breach" else "sla_warning"
    facts = _facts(incident_id, title, recipient=assignee, desk_address=desk_address, base_url=base_url,
                   clock=clock, what=what, due=due, assignee=assignee)  # fmt: skip
    return _to_agents(f"sla_{kind}", template=name, facts=facts, templates=templates)


def channel_mail(
    facts: dict[str, Any], *, recipient: str, desk_address: str, templates: MailTemplates = DEFAULTS
) -> Notice:
    """Mail to an email channel (a team list, a pager gateway) from a channel's incident facts."""
    more = {k: v for k, v in facts.items() if k not in ("delivery_id",)}
    more.update(recipient=recipient, desk_address=desk_address, base_url=str(facts["url"]).rsplit("/incidents/", 1)[0])
    notice = _to_agents(str(facts["kind"]), template="channel", facts=more, templates=templates)
    return replace(notice, data={**facts, "delivery_id": notice.delivery_id})


def _about_status(title: str, url: str, *, recipient: str, desk_address: str, base_url: str, **more: Any) -> dict:
    """The facts of a status page mail: about no incident, so the reference is empty and the link is the page."""
    return {"reference": "", "incident_id": None, "title": title, "url": url, "desk_address": desk_address,
            "base_url": base_url, "recipient": recipient, **more}  # fmt: skip


def status_confirmation(
    *, recipient: str, confirm_url: str, desk_address: str, base_url: str, templates: MailTemplates = DEFAULTS
) -> Notice:
    """Ask someone who typed their address into the status page's form to confirm they want its updates."""
    facts = _about_status("Confirm status updates", f"{base_url}/status", recipient=recipient,
                          desk_address=desk_address, base_url=base_url, confirm_url=confirm_url)  # fmt: skip
    return _notice("status_confirmation", template="status_confirmation", facts=facts, templates=templates)


def ask_confirmation(
    *, recipient: str, confirm_url: str, valid_for: str, desk_address: str, base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Ask the owner of an address typed into the help centre's "Ask the desk" form to send the request themselves
    (hub/pending_requests.py). It quotes nothing of the request: whoever typed it chose the address."""
    facts = _about_status("Confirm your request", f"{base_url}/help/ask", recipient=recipient,
                          desk_address=desk_address, base_url=base_url, confirm_url=confirm_url,
                          valid_for=valid_for)  # fmt: skip
    return _notice("ask_confirmation", template="ask_confirmation", facts=facts, templates=templates)


def my_requests(
    *, recipient: str, list_url: str, valid_for: str, desk_address: str, base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Send the owner of an address typed into the help centre's "My requests" form the link to the list of their
    requests (hub/my_requests.py). It quotes nothing typed and names none of the requests: the link shows them."""
    facts = _about_status("Your requests", f"{base_url}/help/my-requests", recipient=recipient,
                          desk_address=desk_address, base_url=base_url, list_url=list_url,
                          valid_for=valid_for)  # fmt: skip
    return _notice("my_requests", template="my_requests", facts=facts, templates=templates)


def status_update(
    *, recipient: str, updates: Sequence[dict[str, Any]], leave_url: str, desk_address: str, base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Tell a subscriber what changed on the status page; it says how to stop, in the body and as RFC 2369/8058
    headers a mail provider turns into a button."""
    facts = _about_status("Service status", f"{base_url}/status", recipient=recipient, desk_address=desk_address,
                          base_url=base_url, updates=list(updates), leave_url=leave_url)  # fmt: skip
    notice = _notice("status_update", template="status_update", facts=facts, templates=templates,
                     auto_submitted="auto-generated")  # fmt: skip
    headers = {**notice.headers, "List-Unsubscribe": f"<{leave_url}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "Precedence": "bulk"}  # fmt: skip
    return replace(notice, headers=headers)


def approval_asked(
    *, incident_id: int, title: str, approval_id: int, approver: str, requester: str | None, description: str,
    note: str, by: str, desk_address: str, base_url: str, templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Ask a person to approve an incident (hub/approvals.py): what it is, who asked and why, and (added by the
    worker as it sends: `approve_url`) the signed link to decide without logging in."""
    cut = excerpt(description, REPLY_EXCERPT)
    facts = _facts(incident_id, title, recipient=approver, desk_address=desk_address, base_url=base_url,
                   approval_id=approval_id, requester=requester or "", description=cut, note=note,
                   by=by)  # fmt: skip
    return _to_agents("approval_asked", template="approval_asked", facts=facts, templates=templates)


def approval_decided(
    *, incident_id: int, title: str, recipient: str, approver: str, state: str, comment: str, desk_address: str,
    base_url: str, templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Tell whoever asked for an approval (or the assignee) that it was approved or rejected, and why."""
    facts = _facts(incident_id, title, recipient=recipient, desk_address=desk_address, base_url=base_url,
                   approver=approver, state=state, comment=comment)  # fmt: skip
    return _to_agents("approval_decided", template="approval_decided", facts=facts, templates=templates)


def approval_withdrawn(
    *, incident_id: int, title: str, approver: str, by: str, desk_address: str, base_url: str,
    templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Tell an approver their approval is no longer needed (withdrawn by `by`), so the mail asking them is not
    acted on; its link already decides nothing."""
    facts = _facts(incident_id, title, recipient=approver, desk_address=desk_address, base_url=base_url, by=by)
    return _to_agents("approval_withdrawn", template="approval_withdrawn", facts=facts, templates=templates)


def approval_reminder(
    *, incident_id: int, title: str, approval_id: int, approver: str, asked_by: str, note: str, waited: str,
    desk_address: str, base_url: str, templates: MailTemplates = DEFAULTS,
) -> Notice:  # fmt: skip
    """Remind a person of an approval still waiting for them (hub/approval_reminders.py): who asked, how long it has
    waited, and (added by the worker as it sends: `approve_url`) a fresh signed link to decide."""
    facts = _facts(incident_id, title, recipient=approver, desk_address=desk_address, base_url=base_url,
                   approval_id=approval_id, by=asked_by, note=note, waited=waited)  # fmt: skip
    return _to_agents("approval_reminder", template="approval_reminder", facts=facts, templates=templates)


def requester_approved(
    *, incident_id: int, title: str, requester: str, desk_address: str, base_url: str,
    references: Sequence[str] = (), templates: MailTemplates = DEFAULTS, requester_name: str | None = None,
) -> Notice:  # fmt: skip
    """Tell the requester their request was approved by the approver its type names, so the desk goes ahead
    (hub/approval_outcome.py), threaded under their conversation, greeted by `requester_name` as the
    acknowledgement greets them. Who approved it, and what they said, is the desk's: neither is told."""
    facts = _facts(incident_id, title, recipient=requester, desk_address=desk_address, base_url=base_url,
                   requester=requester, greeting_name=people.greeting_name(requester_name))  # fmt: skip
    return _notice("approved", template="requester_approved", facts=facts, templates=templates,
                   references=references)  # fmt: skip
