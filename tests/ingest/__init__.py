"""Ingest tests; messages more than one test module builds."""

from __future__ import annotations


def nested_multiparts(levels: int) -> bytes:
    """A message whose text sits inside `levels` multiparts, each inside the last."""
    body = b"Content-Type: text/plain\r\n\r\nThe printer is on fire.\r\n"
    for level in range(levels):
        b = b"b%d" % level
        body = b'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n--%s\r\n%s\r\n--%s--\r\n' % (b, b, body, b)
    return b"From: ann@example.com\r\nSubject: Printer\r\nMIME-Version: 1.0\r\n" + body
