"""Every integration as `switchboard integration list` prints it and `GET /api/v1/integrations` answers it: one
read, so the two say the same. Never its secret or the secret's hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.accounts import last_events
from hub.models import Integration


@dataclass(frozen=True)
class Listed:
    name: str
    kind: str
    enabled: bool
    rate_limit: int | None  # requests a minute
    reopen_window: int | None  # seconds
    auto_resolve_after: int | None  # seconds
    created_at: datetime
    last_event_at: datetime | None

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "enabled": self.enabled, "rate_limit": self.rate_limit,
                "reopen_window": self.reopen_window, "auto_resolve_after": self.auto_resolve_after,
                "created_at": self.created_at.isoformat(),
                "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None}  # fmt: skip


def listing(session: Session) -> list[Listed]:
    """Every integration by name, with when its latest event arrived (None: never), as the /integrations page reads
    it (`hub.accounts.last_events`)."""
    latest = last_events(session)
    rows = session.scalars(select(Integration).order_by(Integration.name))
    return [Listed(row.name, row.kind, row.enabled, row.rate_limit, row.reopen_window, row.auto_resolve_after,
                   row.created_at, latest.get(row.id)) for row in rows]  # fmt: skip
