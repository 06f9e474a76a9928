"""Errors in what a sender gave us: answered with a message naming the problem, never stored half-way."""

from hub.errors import BadInput


class InvalidPayload(BadInput):
    """A webhook body that is not the JSON shape its endpoint documents."""
