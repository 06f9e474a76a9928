"""Atom (RFC 4287) feeds: the status page's updates, for feed readers and chat tools that follow feeds.

Pure: entries in, XML text out, built with ElementTree so every text is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xml.etree import ElementTree

MEDIA_TYPE = "application/atom+xml; charset=utf-8"
_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a URI that stays the same for the same update
    title: str
    updated: datetime
    content: str


def feed(*, title: str, feed_id: str, link: str, updated: datetime, entries: Iterable[FeedEntry]) -> str:
    """The feed document: `link` is the page it follows (the status page), `updated` when it last changed."""
    from xml.etree import ElementTree  # here, not at the top: only a feed reader's visit needs XML, not every worker

    ElementTree.register_namespace("", _NS)
    root = ElementTree.Element(f"{{{_NS}}}feed")
    _text(root, "id", feed_id)
    _text(root, "title", title)
    _text(root, "updated", _time(updated))
    ElementTree.SubElement(root, f"{{{_NS}}}link", rel="alternate", type="text/html", href=link)
    author = ElementTree.SubElement(root, f"{{{_NS}}}author")
    _text(author, "name", "Switchboard")
    for each in entries:
        entry = ElementTree.SubElement(root, f"{{{_NS}}}entry")
        _text(entry, "id", each.id)
        _text(entry, "title", each.title)
        _text(entry, "updated", _time(each.updated))
        ElementTree.SubElement(entry, f"{{{_NS}}}link", rel="alternate", type="text/html", href=link)
        _text(entry, "content", _printable(each.content)).set("type", "text")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _text(parent: ElementTree.Element, tag: str, value: str) -> ElementTree.Element:
    from xml.etree import ElementTree  # as in feed(), which has imported it already

    element = ElementTree.SubElement(parent, f"{{{_NS}}}{tag}")
    element.text = _printable(value)
    return element


def _printable(value: str) -> str:
    """XML 1.0 allows no control characters but tab and line breaks: drop the others rather than write bad XML."""
    return "".join(c for c in value if c >= " " or c in "\t\n\r")


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
