"""`GET /metrics` for Prometheus: what came in, what became of it, and what is owed.

Figures come from the database at scrape time (hub/figures.py), so every web process answers the same and
nothing is lost on restart. SWITCHBOARD_METRICS_TOKEN, when set, must come as a bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from hub import credentials, figures, telemetry
from web.responses import bearer_token, unauthorized
from web.services import services

bp = Blueprint("metrics", __name__)


class _Snapshot:
    """A one-scrape collector over figures already read."""

    def __init__(self, found: figures.Figures) -> None:
        self._found = found

    def collect(self) -> Iterator[Metric]:
        found = self._found
        events = CounterMetricFamily("switchboard_events", "Inbound events stored", labels=["source", "status"])
        for (source, status), count in sorted(found.events.items()):
            events.add_metric([source, status], count)
        yield events
        now = GaugeMetricFamily("switchboard_incidents", "Incidents by current status", labels=["status"])
        for status, count in sorted(found.incidents.items()):
            now.add_metric([status], count)
        yield now
        yield CounterMetricFamily("switchboard_incidents_opened", "Incidents opened", value=found.incidents_opened)
        yield CounterMetricFamily(
            "switchboard_incidents_resolved", "Incidents resolved", value=found.incidents_resolved
        )
        owed = GaugeMetricFamily(
            "switchboard_notifications", "Notifications by delivery state (pending/queued: the queue depth)",
            labels=["channel", "status"],
        )  # fmt: skip
        for (channel, status), count in sorted(found.notifications.items()):
            owed.add_metric([channel, status], count)
        yield owed
        # One series per enabled mailbox, 0 while it is read, so an alert on `== 1` needs no absent() guard.
        failing = GaugeMetricFamily(
            "switchboard_mailbox_failing", "1 while an IMAP mailbox cannot be read (see /mailboxes), else 0",
            labels=["mailbox"],
        )  # fmt: skip
        since = GaugeMetricFamily(
            "switchboard_mailbox_failing_since_seconds", "When a failing IMAP mailbox's failures began (Unix time)",
            labels=["mailbox"],
        )  # fmt: skip
        for name, began in sorted(found.mailboxes.items()):
            failing.add_metric([name], 0 if began is None else 1)
            if began is not None:
                since.add_metric([name], began.timestamp())
        yield failing
        yield since


@bp.get("/metrics")
def metrics() -> Response:
    svc = services()
    expected = svc.settings.metrics_token
    if expected is not None:
        given = bearer_token(request)
        if given is None or not credentials.matches(given, credentials.digest(expected)):
            return unauthorized("send 'Authorization: Bearer <SWITCHBOARD_METRICS_TOKEN>'")
    with svc.db.read() as session:
        found = figures.read(session)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(found))  # type: ignore[arg-type]
    if telemetry.multiprocess():  # every gunicorn worker's (and the SMTP listener's) observations, added up
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(telemetry.INGEST_SECONDS)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
