"""What the intake owes people and channels when an event opens or changes an incident, in its transaction.

hub/intake.py decides what happens to an event; this decides who hears of it: the requester's acknowledgement, the
assignee's mail, the channels a rule named, all held back while an alert is flapping. The messages are composed by
hub/notices.py (pure) and hub/recipients.py, and written to the outbox with their timeline entries by hub/outbox.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from hub import channels, desks, knowledge, notices, recipients, status_page, zones
from hub.domain import InboundEvent, Policy
from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import utcnow
from hub.outbox import entry, owe
from hub.problems import Known
from hub.recipients import Sender
from hub.requester_mail_gate import Refusal, RequesterMail, may_mail
from hub.revisions import Revisions
from hub.statements import STATE_CHANGE


@dataclass(frozen=True)
class NoticeSettings:
    """What notices are sent from and link to, and how replies are read; made once from the settings at start-up."""

    desk_addresses: tuple[str, ...]
    base_url: str
    templates: MailTemplates = DEFAULTS  # the installation's: MailTemplates.at(settings.home)

    @property
    def sender(self) -> Sender:
        return Sender(
            self.desk_addresses[0], self.base_url, self.templates, self.secret_key, self.timezone, self.desk_addresses
        )

    #: A person's email reply this many seconds after its incident resolved still reopens it; later, a new one.
    reply_reopen_window: float = 7 * 86400.0
    #: The newest part of a reply's text, without the quoted history (ingest plugs in its quote cutter, as it plugs
    #: in the rules engine); None when there is nothing to cut. Only replies told to their assignee pay for it.
    newest_part: Callable[[str], str | None] = lambda text: None
    #: Signs the satisfaction links in a requester's resolution mail (hub/satisfaction.py); None: none are sent.
    secret_key: str | None = field(default=None, repr=False)
    #: The installation's time zone (SWITCHBOARD_TIMEZONE), for times in mail to people who chose none of their own.
    timezone: str = zones.DEFAULT

    def newest(self, text: str) -> str:
        """What a person wrote in a reply (`newest_part`), else all of it: what its notices quote and thanks are
        read from."""
        return self.newest_part(text) or text


class IntakeNotices:
    """The notices an intake owes; one per Intake, sharing its Revisions (one read of the versions per transaction)."""

    def __init__(self, settings: NoticeSettings, revisions: Revisions) -> None:
        self.settings = settings
        self._knowledge = knowledge.KnowledgeCache()  # the articles an acknowledgement may suggest
        self._revisions = revisions
        self._desks = desks.DeskAddresses(settings.desk_addresses)  # all the desk's: none is acknowledged

    def notify(
        self,
        conn: Connection,
        integration_id: int | None,
        event: InboundEvent,
        policy: Policy,
        incident_id: int,
        owed: list[notices.Notice],
        also: Sequence[dict[str, Any]] = (),
        *,
        opened: bool = False,
    ) -> None:
        """Owe the notices of a state change, unless the alert is flapping: then they wait until it is stable.

        `opened`: the incident was opened in this transaction, so nothing was mailed about it yet."""
        entries = list(also)
        if _flapping(conn, integration_id, event, policy):
            if owed:
                entries.append(
                    entry(incident_id, "flapping", f"Flapping: {len(owed)} notice(s) held until it is stable")
                )
            owed = []
        owe(conn, incident_id, owed, also=entries, opened=opened)

    def to_channels(
        self, conn: Connection, incident_id: int, incident: dict[str, Any], names: Sequence[str]
    ) -> tuple[list[notices.Notice], list[dict[str, Any]]]:
        """Notices for the channels the rules named, and a timeline note for each name that is no channel."""
        facts = channels.incident_facts(
            kind="opened",
            incident_id=incident_id,
            title=incident["title"],
            priority=incident["priority"],
            severity=incident["severity"],
            status="open",
            assignee=incident["assignee"],
            category=incident["category"],
            base_url=self.settings.base_url,
        )
        owed, missing = channels.channel_notices(
            conn, names, facts, desk_address=self.settings.desk_addresses[0], templates=self.settings.templates
        )
        return owed, [entry(incident_id, "notification", line) for line in missing]

    def owed_notices(
        self,
        conn: Connection,
        incident_id: int,
        incident: dict[str, Any],
        event: InboundEvent,
        known: Known | None = None,
        *,
        awaiting_approval: bool = False,
    ) -> tuple[list[notices.Notice], list[dict[str, Any]]]:
        """What a newly opened incident owes people: its requester an acknowledgement, when the gate lets them be
        mailed (hub/requester_mail_gate.py: not at the desk's addresses, nor for mail no one typed or the receiving
        mail server did not verify), its assignee a mail; and the timeline lines of assignees who chose no mail at
        its priority, and of a requester not acknowledged where the gate notes why."""
        desk = self.settings.desk_addresses
        owed: list[notices.Notice] = []
        verdict = may_mail(self._opening(conn, event))
        requester = verdict.to
        if verdict.allowed:
            articles = knowledge.suggest(self._knowledge.current(conn, self._revisions),
                                         f"{incident['title']}\n{event.description}")  # fmt: skip
            owed.append(
                notices.acknowledgement(
                    incident_id=incident_id,
                    title=incident["title"],
                    requester=requester,
                    desk_address=desk[0],
                    in_reply_to=event.message_id,
                    base_url=self.settings.base_url,
                    workaround=known.workaround if known is not None and known.share_workaround else None,
                    known_outage=status_page.known_outage(
                        conn, incident_id, incident["service"], incident["first_seen"], self.settings.base_url
                    ),
                    suggested=knowledge.as_facts(articles, self.settings.base_url),
                    templates=self.settings.templates,
                    sender_name=event.mail.sender_name if event.mail is not None else None,
                    kind=incident["kind"],
                    follows=event.labels.get("follows") if event.source == "email" else None,
                    awaiting_approval=awaiting_approval,
                )
            )
        chosen = event.chosen
        assigned, declined = recipients.assignment_notices(
            conn,
            incident_id=incident_id,
            title=incident["title"],
            priority=incident["priority"],
            assignee=incident["assignee"],
            sender=self.settings.sender,
            skip=[chosen.by] if chosen is not None else (),  # who logged it knows whom they gave it to
        )
        # An unverified opening mail's own warning on the page says it was not acknowledged: no line repeats it.
        unnoted = verdict.refusal is Refusal.UNVERIFIED
        return owed + assigned, [*([] if unnoted else recipients.refused(incident_id, verdict, "acknowledgement")),
                                 *declined]  # fmt: skip

    def _opening(self, conn: Connection, event: InboundEvent) -> RequesterMail:
        """What the gate weighs of the event that opens a request. Told already: the agent who logged it (they
        know its reference), and its requester when that agent unticked "acknowledge" (they told them, on the
        phone say)."""
        chosen = event.chosen
        told = [chosen.by] if chosen is not None else []
        if chosen is not None and not chosen.acknowledge_requester:
            told.append(event.requester or "")
        check = event.mail.sender_check if event.mail is not None else None
        return RequesterMail(event.requester, event.source, opening_verdict=check.verdict if check else None,
                             opened_automatically=event.auto_submitted, told=told,
                             desk=self._desks.current(conn, self._revisions))  # fmt: skip


def _flapping(conn: Connection, integration_id: int | None, event: InboundEvent, policy: Policy) -> bool:
    """Count this state change of the alert; whether it is now flapping (off unless the policy sets it)."""
    if not (policy.flap_changes and policy.flap_window and integration_id is not None and event.dedup_key):
        return False
    now = utcnow()
    since = now - timedelta(seconds=policy.flap_window)
    params = {"integration": integration_id, "key": event.dedup_key, "now": now, "since": since}
    return bool(STATE_CHANGE[conn.dialect.name].scalar(conn, {**params, "limit": policy.flap_changes}))
