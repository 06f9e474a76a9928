"""Errors in rule definitions: always the author's to fix, so each says what is wrong."""

from hub.errors import BadInput


class RuleError(BadInput):
    """A rule cannot be compiled: unknown operator or field, or a malformed pattern."""
