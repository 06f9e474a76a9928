"""Wiring shared by every ingest edge (SMTP, IMAP, webhooks): the hub's intake with the rules engine plugged in."""

from __future__ import annotations

from hub.attachments import AttachmentLimits, AttachmentStore
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.intake_notices import NoticeSettings
from hub.mail_templates import MailTemplates
from hub.sla_events import SlaRules
from ingest.quotes import latest_reply
from rules import Engine


def make_intake(settings: Settings, db: Database) -> Intake:
    limits = AttachmentLimits.of(settings)
    files = AttachmentStore.under(settings.home, limits)
    notice = NoticeSettings(desk_addresses=settings.desk_addresses, base_url=settings.base_url,
                            templates=MailTemplates.at(settings.home),
                            reply_reopen_window=settings.reply_reopen_window, newest_part=latest_reply,
                            secret_key=settings.secret_key, timezone=settings.timezone)  # fmt: skip
    return Intake(db, Engine(), notice, files=files, authserv_id=settings.mail_authserv_id)


def sla_rules(settings: Settings, db: Database) -> SlaRules:
    """The rules' decisions on SLA warnings and breaches, for the dispatcher's upkeep (the `switchboard.upkeep`
    entry point `sla-rules`): the dispatcher may not import the rules engine, so this layer plugs it in."""
    notice = NoticeSettings(settings.desk_addresses, settings.base_url, MailTemplates.at(settings.home),
                            secret_key=settings.secret_key, timezone=settings.timezone)  # fmt: skip
    return SlaRules(db, Engine(), notice)
