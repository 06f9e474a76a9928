"""Webhook and chat deliveries: the HTTP exchange and its classification, the signed request a receiver checks, and
rows delivered end to end through dispatcher, worker and a real HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import Headers

from hub import sealed
from hub.channels import SECRET, ChannelSpec
from hub.models import Channel, TimelineEntry
from hub.sealed import Keyring
from outbound.channels import http, webhook
from outbound.errors import PermanentDeliveryError, TransientDeliveryError
from outbound.notification import Notification
from tests.delivery import deliver_everything
from tests.docs import fenced
from tests.outbound.conftest import Parts, add_channel, owe_to_channel, row
from tests.outbound.receiver import Receiver, Reply

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_2xx_is_no_error() -> None:
    assert http.classify(204, {}, b"", now=NOW) is None


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_timeouts_rate_limits_and_server_errors_are_transient(status: int) -> None:
    assert isinstance(http.classify(status, {}, b"", now=NOW), TransientDeliveryError)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 301])
def test_other_client_errors_and_redirects_are_permanent(status: int) -> None:
    error = http.classify(status, {}, b"no such hook", now=NOW)
    assert isinstance(error, PermanentDeliveryError) and f"HTTP {status}: no such hook" in str(error)


def test_retry_after_in_seconds_is_kept_on_the_error() -> None:
    error = http.classify(503, {"retry-after": "120"}, b"", now=NOW)
    assert isinstance(error, TransientDeliveryError) and error.retry_after == 120.0


def test_retry_after_as_http_date_is_seconds_from_now() -> None:
    assert http.parse_retry_after(format_datetime(NOW + timedelta(seconds=90), usegmt=True), now=NOW) == 90.0


@pytest.mark.parametrize("value", ["soon", "²", "9" * 5000])
def test_unreadable_retry_after_is_ignored(value: str) -> None:
    assert http.parse_retry_after(value, now=NOW) is None


def test_connection_refused_is_transient(closed_port: int) -> None:

    with pytest.raises(TransientDeliveryError, match="ConnectionRefusedError"):
        http.send(http.Request("POST", f"http://127.0.0.1:{closed_port}/", {}, b"{}"))


def test_slow_receiver_is_a_transient_timeout(receiver: Receiver) -> None:
    receiver.hold.set()
    with pytest.raises(TransientDeliveryError, match=r"no answer within 0\.2 s"):
        http.send(http.Request("POST", receiver.url, {}, b"{}"), timeout=0.2)


def test_requests_to_one_receiver_reuse_a_kept_alive_connection(receiver: Receiver) -> None:
    for _ in range(3):
        http.send(http.Request("POST", receiver.url, {"Content-Type": "application/json"}, b"{}"))
    assert len(receiver.hits) == 3 and len({hit.peer_port for hit in receiver.hits}) == 1


def notification(**payload: object) -> Notification:
    return Notification(outbox_id=1, delivery_id="d-1", incident_id=42, kind="opened", channel="webhook",
                        recipient="ops", subject="s", body="b", headers={}, message_id=None,
                        payload={"reference": "INC-42", "title": "Disk full", "kind": "opened", **payload})  # fmt: skip


CHANNEL = ChannelSpec(name="ops", kind="webhook", url="http://127.0.0.1:9/hook", signing_secret="s3cret")


def test_request_carries_delivery_id_timestamp_and_verifiable_signature() -> None:
    request = webhook.build(notification(), CHANNEL, timestamp=1700000000)
    headers = request.headers
    assert headers["X-Switchboard-Delivery"] == "d-1" and headers["X-Switchboard-Timestamp"] == "1700000000"
    expected = hmac.new(b"s3cret", b"1700000000." + request.body, hashlib.sha256).hexdigest()
    assert headers["X-Switchboard-Signature"] == f"sha256={expected}"


def test_default_body_is_json_describing_the_incident() -> None:
    body = json.loads(webhook.build(notification(), CHANNEL, timestamp=1).body)
    assert body["delivery_id"] == "d-1" and body["event"] == "opened"
    assert body["incident"]["reference"] == "INC-42" and body["incident"]["title"] == "Disk full"


def test_body_template_renders_the_facts() -> None:
    channel = ChannelSpec(name="ops", kind="webhook", url="http://x/", body_template='{"text": {{ title|tojson }}}')
    assert json.loads(webhook.build(notification(title='Say "hi"'), channel, timestamp=1).body) == {"text": 'Say "hi"'}


def test_template_that_no_longer_gives_json_is_permanent() -> None:
    channel = ChannelSpec(name="ops", kind="webhook", url="http://x/", body_template="{{ title }}")
    with pytest.raises(PermanentDeliveryError, match="gave no JSON"):
        webhook.build(notification(), channel, timestamp=1)


def test_configured_headers_are_sent_and_content_type_can_change() -> None:
    channel = ChannelSpec(name="ops", kind="webhook", url="http://x/", body_template="{{ title }}",
                          headers={"Content-Type": "text/plain", "X-Team": "db"})  # fmt: skip
    request = webhook.build(notification(), channel, timestamp=1)
    assert request.body == b"Disk full" and request.headers["Content-Type"] == "text/plain"
    assert request.headers["X-Team"] == "db"


# -- end to end --------------------------------------------------------------------------------------------


def test_webhook_notification_reaches_receiver_signed_and_is_marked_sent(parts: Parts, receiver: Receiver) -> None:
    secret = add_channel(parts.db, "webhook", "ops", receiver.url)
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    deliver_everything(parts.queue, parts.db)
    [hit] = receiver.wait_for(1)
    assert hit.headers["x-switchboard-delivery"] == owed.delivery_id
    signed = hit.headers["x-switchboard-timestamp"].encode() + b"." + hit.body
    expected = hmac.new((secret or "").encode(), signed, hashlib.sha256).hexdigest()
    assert hit.headers["x-switchboard-signature"] == f"sha256={expected}"
    assert json.loads(hit.body)["incident"]["reference"] == f"INC-{owed.incident_id}"
    assert row(parts.db, owed.id).status == "sent"
    with parts.db.read() as session:
        assert session.query(TimelineEntry).filter_by(summary="opened to ops sent").count() == 1


def test_the_receivers_check_in_the_docs_accepts_a_real_delivery_and_refuses_a_changed_one(
    parts: Parts, receiver: Receiver
) -> None:
    [snippet] = fenced("docs/notifications.md", "What a webhook receiver gets, and how it checks it", "python")
    published: dict[str, Any] = {}
    exec(compile(snippet, "docs/notifications.md", "exec"), published)  # the reader's copy of `verify`
    secret = add_channel(parts.db, "webhook", "ops", receiver.url) or ""
    owe_to_channel(parts.intake, parts.db, "ops")
    deliver_everything(parts.queue, parts.db)
    [hit] = receiver.wait_for(1)
    headers = Headers(hit.headers)  # case-insensitive, as a web framework hands them over

    assert published["verify"](secret, headers, hit.body)
    assert not published["verify"](secret, headers, hit.body.replace(b"INC-", b"INC-9"))
    assert not published["verify"]("another secret", headers, hit.body)
    assert not published["verify"](secret, headers, hit.body, tolerance=-1)  # too old


@pytest.mark.parametrize("kind", ["slack", "teams", "mattermost"])
def test_chat_notification_reaches_its_incoming_webhook(parts: Parts, receiver: Receiver, kind: str) -> None:
    add_channel(parts.db, kind, "room", receiver.url)
    owed = owe_to_channel(parts.intake, parts.db, "room")
    deliver_everything(parts.queue, parts.db)
    [hit] = receiver.wait_for(1)
    assert f"INC-{owed.incident_id}" in hit.body.decode() and hit.headers["content-type"] == "application/json"
    assert row(parts.db, owed.id).status == "sent"


def test_notification_for_a_removed_channel_is_dead_with_the_reason(parts: Parts, receiver: Receiver) -> None:
    from hub.channels import remove_channel

    add_channel(parts.db, "webhook", "ops", receiver.url)
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    with parts.db.transaction() as session:
        remove_channel(session, "ops")
    deliver_everything(parts.queue, parts.db)
    dead = row(parts.db, owed.id)
    assert dead.status == "dead" and "no longer exists" in (dead.last_error or "")


def test_a_channel_whose_signing_secret_does_not_open_sends_nothing_unsigned_and_says_why(
    parts: Parts, receiver: Receiver
) -> None:
    from outbound.dispatcher import dispatch_once
    from tests.delivery import work

    add_channel(parts.db, "webhook", "ops", receiver.url)
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    with parts.db.transaction() as session:  # sealed by a process with a SECRET_KEY this worker was never given
        channel = session.scalars(select(Channel)).one()
        channel.signing_secret = sealed.seal(Keyring.derive("another key"), "sbw_x", SECRET.at(channel.id))
    assert dispatch_once(parts.db, parts.queue) == 1
    work(parts.queue)
    held = row(parts.db, owed.id)
    assert held.status == "pending" and "SECRET_KEY changed" in (held.last_error or "")
    assert "SWITCHBOARD_OLD_SECRET_KEYS" in (held.last_error or "") and receiver.hits == []


def test_one_failing_row_is_rescheduled_alone_while_the_rest_of_its_job_is_sent(
    parts: Parts, receiver: Receiver
) -> None:
    add_channel(parts.db, "webhook", "ops", receiver.url)
    receiver.replies = [Reply(503)]
    owed = [owe_to_channel(parts.intake, parts.db, "ops", title=f"alert {i}") for i in range(5)]
    from outbound.dispatcher import dispatch_once
    from tests.delivery import work

    assert dispatch_once(parts.db, parts.queue) == 5 and len(parts.queue.job_ids) == 1
    work(parts.queue)
    first_round = [row(parts.db, o.id) for o in owed]
    assert sorted(r.status for r in first_round) == ["pending", "sent", "sent", "sent", "sent"]
    deliver_everything(parts.queue, parts.db)
    assert {row(parts.db, o.id).status for o in owed} == {"sent"}
    assert sorted(h.headers["x-switchboard-delivery"] for h in receiver.wait_for(5)) == sorted(
        o.delivery_id for o in owed
    )
