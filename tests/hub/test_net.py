"""Free ports: handed to one server, and to no one else meanwhile."""

from __future__ import annotations

import errno
import socket

import pytest

from hub.net import free_port


def test_a_free_port_is_refused_to_anyone_binding_without_reuse_meanwhile() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other, pytest.raises(OSError) as refused:
        other.bind(("127.0.0.1", port))
    assert refused.value.errno == errno.EADDRINUSE


def test_a_server_can_listen_on_a_free_port_at_once() -> None:
    port = free_port()
    # create_server sets SO_REUSEADDR, as every server does
    with socket.create_server(("127.0.0.1", port)) as server, socket.create_connection(("127.0.0.1", port), timeout=2):
        accepted, _ = server.accept()
        accepted.close()


def test_free_ports_asked_for_one_after_another_differ() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
