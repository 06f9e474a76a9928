"""Wiring shared by every ingest edge (SMTP, IMAP, webhooks): the hub's intake with the rules engine plugged in."""

from __future__ import annotations

from hub.attachments import AttachmentLimits, AttachmentStore
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake, NoticeSettings
from rules import Engine


def make_intake(settings: Settings, db: Database) -> Intake:
    limits = AttachmentLimits(settings.attachment_max_bytes, settings.attachments_max_message_bytes)
    files = AttachmentStore(settings.home / "attachments", limits)
    notice = NoticeSettings(desk_addresses=settings.desk_addresses, base_url=settings.base_url,
                            reply_reopen_window=settings.reply_reopen_window)  # fmt: skip
    return Intake(db, Engine(), notice, files=files)
