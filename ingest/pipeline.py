"""Wiring shared by every ingest edge (SMTP, IMAP, webhooks): the hub's intake with the rules engine plugged in."""

from __future__ import annotations

from hub.config import Settings
from hub.db import Database
from hub.intake import Intake, NoticeSettings
from rules import Engine


def make_intake(settings: Settings, db: Database) -> Intake:
    return Intake(db, Engine(), NoticeSettings(desk_addresses=settings.desk_addresses, base_url=settings.base_url))
