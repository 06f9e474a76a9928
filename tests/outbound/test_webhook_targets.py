"""Where webhook and chat deliveries may go (hub/webhook_targets.py): the receivers of the hub's own network, on
private and loopback addresses, yes; the cloud's instance metadata service, however its address is written or
reached, never; and under SWITCHBOARD_WEBHOOK_TARGETS=public, only the internet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from hub.errors import BadInput
from hub.webhook_targets import refused_address
from outbound import runtime
from outbound.channels import http
from outbound.errors import PermanentDeliveryError
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts, add_channel, owe_to_channel, row
from tests.outbound.receiver import Receiver, Reply

#: Half a second: without the policy, a post to an unreachable metadata address waits out the timeout.
QUICK = 0.5


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # AWS, GCP and Azure's instance metadata
        "http://[::ffff:169.254.169.254]/",  # the same, written as IPv6
        "http://[fd00:ec2::254]/",  # AWS's over IPv6
        "http://[fe80::1]/",  # IPv6 link-local
        "http://0.0.0.0:80/",  # reaches this machine on Linux
        "http://224.0.0.1/",
    ],
)
def test_channel_url_naming_a_refused_address_is_refused_at_creation(parts: Parts, url: str) -> None:
    with pytest.raises(BadInput, match="webhooks are never sent there"):
        add_channel(parts.db, "webhook", "ops", url)


@pytest.mark.parametrize("url", ["http://2852039166/", "http://0xa9fea9fe/", "http://169.254.43518/"])
def test_host_that_resolves_to_the_metadata_address_is_refused_without_connecting(url: str) -> None:
    with pytest.raises(PermanentDeliveryError, match=r"resolves to 169\.254\.169\.254 is a link-local address"):
        http.send(http.Request("POST", url, {}, b"{}"), timeout=QUICK)


def test_a_refused_host_is_refused_as_such_the_next_time_too() -> None:
    """The refusal comes as the request connects: the half-begun request must not stay this thread's connection to
    the host, or the next delivery there would fail as transient (CannotSendRequest) and be retried for hours."""
    for _ in range(2):
        with pytest.raises(PermanentDeliveryError, match="link-local"):
            http.send(http.Request("POST", "http://0xa9fea9fe/again", {}, b"{}"), timeout=QUICK)


def test_literal_metadata_address_is_refused_when_sending_too() -> None:
    with pytest.raises(PermanentDeliveryError, match="link-local"):
        http.send(http.Request("POST", "http://169.254.169.254/latest/meta-data/", {}, b"{}"), timeout=QUICK)


def test_loopback_receiver_by_name_is_still_delivered_to(receiver: Receiver) -> None:
    http.send(http.Request("POST", receiver.url.replace("127.0.0.1", "localhost"), {}, b"{}"))
    assert len(receiver.wait_for(1)) == 1


def test_redirect_to_the_metadata_address_is_not_followed(receiver: Receiver) -> None:
    receiver.replies.append(Reply(302, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    with pytest.raises(PermanentDeliveryError, match="HTTP 302"):
        http.send(http.Request("POST", receiver.url, {}, b"{}"), timeout=QUICK)
    assert len(receiver.refused) == 1 and not receiver.hits


def test_delivery_to_a_name_for_the_metadata_address_is_dead_at_once_saying_why(parts: Parts) -> None:
    add_channel(parts.db, "webhook", "ops", "http://2852039166/hook")
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    deliver_everything(parts.queue, parts.db)
    dead = row(parts.db, owed.id)
    assert dead.status == "dead" and "link-local" in (dead.last_error or "")


# -- SWITCHBOARD_WEBHOOK_TARGETS=public: the internet only -----------------------------------------------------


@pytest.fixture
def public_parts(parts: Parts) -> Iterator[Parts]:
    """The parts, with the worker's settings refusing every address that is not a public internet one."""
    public = replace(parts.settings, webhook_targets="public")
    runtime.install(public, parts.db)
    yield replace(parts, settings=public)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/", "http://10.0.0.5/", "http://192.168.1.10/", "http://100.64.0.1/", "http://[fc00::1]/"],
)
def test_under_public_only_a_channel_url_naming_the_hubs_own_network_is_refused_at_creation(
    parts: Parts, url: str
) -> None:
    with pytest.raises(BadInput, match=r"not a public internet address.*SWITCHBOARD_WEBHOOK_TARGETS=public"):
        add_channel(parts.db, "webhook", "ops", url, reach="public")


def test_under_public_only_the_metadata_address_is_still_refused_as_what_it_is(parts: Parts) -> None:
    with pytest.raises(BadInput, match="link-local"):
        add_channel(parts.db, "webhook", "ops", "http://169.254.169.254/", reach="public")


def test_under_public_only_a_public_address_is_allowed() -> None:
    assert refused_address("93.184.215.14", "public") is None and refused_address("2606:2800:21f::1", "public") is None


def test_under_public_only_a_name_for_loopback_is_refused_without_connecting(receiver: Receiver) -> None:
    url = receiver.url.replace("127.0.0.1", "localhost")
    with pytest.raises(PermanentDeliveryError, match=r"resolves to .* is not a public internet address"):
        http.send(http.Request("POST", url, {}, b"{}"), timeout=QUICK, reach="public")
    assert not receiver.hits


def test_under_public_only_the_worker_dead_letters_a_delivery_to_the_hubs_network_saying_why(
    public_parts: Parts, receiver: Receiver
) -> None:
    add_channel(public_parts.db, "webhook", "ops", receiver.url.replace("127.0.0.1", "localhost"))
    owed = owe_to_channel(public_parts.intake, public_parts.db, "ops")
    deliver_everything(public_parts.queue, public_parts.db)
    dead = row(public_parts.db, owed.id)
    assert dead.status == "dead" and "not a public internet address" in (dead.last_error or "")
    assert not receiver.hits
