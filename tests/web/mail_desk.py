"""The web app with its mail delivered for real: the outbox, the dispatcher, an RQ worker and the relay to the test's
SMTP sink. Import the fixture into a module that follows a mailed link (the help centre's forms)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from flask.testing import FlaskClient

from hub.config import Settings
from hub.db import Database
from outbound import runtime
from outbound.queue import connect, make_queue
from tests.delivery import Mailing, signal_handlers_kept
from tests.servers import SmtpSink
from web import create_app


@dataclass(frozen=True)
class Desk(Mailing):
    """The web app and the delivery of its mail to the test's SMTP sink."""

    client: FlaskClient


@pytest.fixture(name="desk")
def desk_on_the_web(settings: Settings, db: Database, redis_url: str, smtp_sink: SmtpSink) -> Iterator[Desk]:
    relayed = replace(settings, redis_url=redis_url, smtp_relay=smtp_sink.url, retry_first=0.0, retry_cap=0.0)
    runtime.install(relayed, db)
    connection = connect(redis_url)
    try:
        with signal_handlers_kept():
            yield Desk(db, make_queue(connection), smtp_sink, create_app(relayed, db=db).test_client())
    finally:
        runtime.reset()
        connection.close()
