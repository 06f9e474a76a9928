"""Channel records (what may be stored) and the notices a rule's channel names turn into."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from hub.channels import create_channel, list_channels, remove_channel
from hub.db import Database
from hub.domain import Decision, InboundEvent, RuleBook
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import Channel, OutboxMessage, TimelineEntry
from hub.sealed import Keyring
from tests.conftest import KEYS

RAW = Raw(source="generic", content_type="application/json", body=b"{}")


def create(db: Database, **kw: object) -> str | None:
    with db.transaction() as session:
        return create_channel(session, **kw, keys=KEYS)[1]  # type: ignore[arg-type]


def test_webhook_channel_gets_a_signing_secret_shown_once(db: Database) -> None:
    secret = create(db, kind="webhook", name="ops", url="https://bot.example/hook")
    assert secret is not None and secret.startswith("sbw_")
    with db.read() as session:
        [spec] = list_channels(session, KEYS)
    assert spec.signing_secret == secret and secret not in repr(spec)


def test_the_signing_secret_is_kept_sealed_for_its_channel(db: Database) -> None:
    secret = create(db, kind="webhook", name="ops", url="https://bot.example/hook")
    with db.read() as session:
        stored = session.scalars(select(Channel.signing_secret)).one()
    assert secret is not None and stored is not None
    assert stored.startswith("sealed:v1:") and secret not in stored


def test_a_signing_secret_that_does_not_open_leaves_the_channel_listed_with_the_reason(db: Database) -> None:
    create(db, kind="webhook", name="ops", url="https://bot.example/hook")
    with db.read() as session:
        [spec] = list_channels(session, Keyring.derive("a key this channel was not sealed under"))
    assert spec.signing_secret is None and spec.problem is not None
    assert "SECRET_KEY changed" in spec.problem and "remove the channel and create it again" in spec.problem


def test_chat_and_email_channels_have_no_secret(db: Database) -> None:
    assert create(db, kind="slack", name="room", url="https://hooks.slack.com/services/T/B/X") is None
    assert create(db, kind="email", name="dba", to="DBA@example.com") is None
    with db.read() as session:
        listed = list_channels(session, KEYS)
    assert [(s.name, s.to_address) for s in listed] == [("dba", "dba@example.com"), ("room", None)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "webhook", "name": "ops"}, "needs --url"),
        ({"kind": "webhook", "name": "ops", "url": "ftp://x/"}, "not an http"),
        ({"kind": "email", "name": "ops"}, "needs --to"),
        ({"kind": "pager", "name": "ops", "url": "https://x/"}, "unknown channel kind"),
        ({"kind": "webhook", "name": "Ops Room", "url": "https://x/"}, "lowercase"),
        (
            {"kind": "webhook", "name": "ops", "url": "https://x/", "headers": {"X-Switchboard-Signature": "x"}},
            "set by Switchboard",
        ),
        ({"kind": "slack", "name": "ops", "url": "https://x/", "body_template": "{}"}, "templates are for webhooks"),
    ],
)
def test_malformed_channel_is_refused_with_what_to_fix(db: Database, options: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        create(db, **options)


def test_duplicate_name_is_refused(db: Database) -> None:
    create(db, kind="webhook", name="ops", url="https://x/")
    with pytest.raises(BadInput, match="already exists"):
        create(db, kind="slack", name="ops", url="https://y/")


def test_json_template_that_does_not_give_json_is_refused_at_creation(db: Database) -> None:
    with pytest.raises(BadInput, match="tojson"):
        create(db, kind="webhook", name="ops", url="https://x/", body_template='{"text": "{{ title }}"}')


def test_template_naming_an_unknown_fact_is_refused_at_creation(db: Database) -> None:
    with pytest.raises(BadInput, match="does not render"):
        create(db, kind="webhook", name="ops", url="https://x/", body_template='{"t": {{ titel|tojson }}}')


def test_template_cannot_reach_outside_its_sandbox(db: Database) -> None:
    with pytest.raises(BadInput, match="does not render"):
        create(db, kind="webhook", name="ops", url="https://x/",
               body_template="{{ title.__class__.__mro__[1].__subclasses__() }}",
               headers={"Content-Type": "text/plain"})  # fmt: skip


def test_text_template_with_its_content_type_is_accepted(db: Database) -> None:
    create(db, kind="webhook", name="ops", url="https://x/", body_template="{{ summary }}",
           headers={"Content-Type": "text/plain"})  # fmt: skip


def test_removing_an_unknown_channel_says_how_to_list_them(db: Database) -> None:
    with db.transaction() as session, pytest.raises(BadInput, match="channel list"):
        remove_channel(session, "nope")


def routing_to(*names: str):  # type: ignore[no-untyped-def]
    def decide(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
        return Decision(priority=1, category="outage", assignee="oncall@example.com", channels=names)

    return decide


def test_incident_opened_by_a_rule_naming_channels_owes_each_one_notice(db: Database) -> None:
    create(db, kind="webhook", name="ops", url="https://x/")
    create(db, kind="email", name="dba", to="dba@example.com")
    intake = Intake(db, routing_to("ops", "dba"), NoticeSettings(("helpdesk@localhost",), "https://desk.example"))
    outcome = intake.record(RAW, InboundEvent(source="generic", title="Disk full", severity="critical"))
    with db.read() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(r.channel, r.recipient, r.kind) for r in rows] == [
            ("webhook", "ops", "opened"),
            ("email", "dba@example.com", "opened"),
        ]
        webhook_row = rows[0]
        assert webhook_row.payload is not None
        assert webhook_row.payload["reference"] == f"INC-{outcome.incident_id}"
        assert webhook_row.payload["url"] == f"https://desk.example/incidents/INC-{outcome.incident_id}"
        assert webhook_row.payload["delivery_id"] == webhook_row.delivery_id
        assert rows[1].subject == f"[INC-{outcome.incident_id}] P1 opened: Disk full"


def test_rule_naming_a_missing_channel_leaves_a_timeline_note(db: Database) -> None:
    intake = Intake(db, routing_to("nowhere"), NoticeSettings(("helpdesk@localhost",), "https://desk.example"))
    intake.record(RAW, InboundEvent(source="generic", title="Disk full"))
    with db.read() as session:
        summaries = session.scalars(select(TimelineEntry.summary)).all()
        assert "channel 'nowhere' does not exist or is disabled; nothing sent to it" in summaries
        assert session.scalars(select(OutboxMessage)).all() == []


def test_webhook_channel_takes_more_than_the_mail_caps_allow(db: Database) -> None:
    create(db, kind="webhook", name="ops", url="https://x/")
    intake = Intake(db, routing_to("ops"), NoticeSettings(("helpdesk@localhost",), "https://desk.example"))
    for n in range(40):  # past the 30-per-address cap for mail
        intake.record(RAW, InboundEvent(source="generic", title=f"alert {n}", dedup_key=f"k{n}"))
    with db.read() as session:
        assert session.query(OutboxMessage).filter_by(recipient="ops").count() == 40
