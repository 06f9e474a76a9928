"""An incident logged by hand, recorded: the page, `POST /api/v1/incidents` and `switchboard incident create` all
come through here, so each is stored as received and routed like an alert or an email (ingest/logged.py reads the
fields; hub/intake.py records them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hub.db import Guard
from hub.intake import Intake, Outcome, Raw
from ingest import logged


def log_incident(
    intake: Intake, fields: Mapping[str, Any], *, by: str, body: bytes | None = None, guard: Guard | None = None
) -> Outcome:
    """Record the incident `by` logged; `body` is the request as received (the fields as JSON if None). `guard`
    checks inside the write that `by` may still log it (the web's intake is shared, so it cannot be guarded whole;
    the command line hands in an intake on a guarded database instead).

    Raises InvalidField (a field is wrong), InvalidChoice (an assignee who is no active user, a CI that is no
    active CI) or StorageUnavailable.
    """
    event = logged.normalise(fields, by=by)
    if body is None:
        body = json.dumps(dict(fields), sort_keys=True).encode()
    raw = Raw(source=logged.SOURCE, content_type="application/json", body=body)
    return intake.record(raw, event) if guard is None else intake.record_guarded([(raw, event)], guard)[0]
