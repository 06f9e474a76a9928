"""The mappings a generic integration has had, kept so a past event is read again as it was read.

An event's body is read through its integration's mapping when it arrives (web/events.py); a backtest reads it
again from the stored body (ingest/replay.py). Were it read through the mapping as it is now, saving a new one
would drop or change every earlier event there. So each mapping saved is kept (append-only, the latest row being
the current one) and the event stores the kept row's id, which travels with the cached integration
(hub/accounts.py `IntegrationRef.mapping_id`), so the intake reads nothing more per event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from hub.models import Integration, IntegrationMapping

#: The id of each integration's current kept mapping (None: it has none kept, as every kind but generic).
CURRENT_ID: ScalarSelect[int | None] = (
    select(func.max(IntegrationMapping.id))
    .where(IntegrationMapping.integration_id == Integration.id)
    .correlate(Integration)
    .scalar_subquery()
)


def keep(session: Session, integration: Integration, spec: dict[str, Any] | None) -> None:
    """Make `spec` an integration's current mapping; a generic one's earlier mappings stay kept, and the same one
    saved again (a form saved unchanged) adds no row."""
    if integration.kind != "generic":
        integration.mapping = spec
        return
    kept = session.scalar(
        select(IntegrationMapping.id).where(IntegrationMapping.integration_id == integration.id).limit(1)
    )
    if kept is None or spec != integration.mapping:
        session.add(IntegrationMapping(integration_id=integration.id, spec=spec))
    integration.mapping = spec
