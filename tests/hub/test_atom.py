"""Atom feeds as RFC 4287 wants them, read back by an XML parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from hub.atom import FeedEntry, feed

NS = {"a": "http://www.w3.org/2005/Atom"}
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def parsed(entries: list[FeedEntry]) -> ElementTree.Element:
    text = feed(title="Service status", feed_id="https://desk.example.com/status.atom",
                link="https://desk.example.com/status", updated=NOW, entries=entries)  # fmt: skip
    return ElementTree.fromstring(text.encode())


def test_the_feed_has_what_every_atom_feed_and_entry_must() -> None:
    root = parsed([FeedEntry("urn:x:1", "mail: Major outage", NOW - timedelta(minutes=5), "Mail is down.")])
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert [root.findtext(f"a:{t}", namespaces=NS) for t in ("id", "title", "updated")] == [
        "https://desk.example.com/status.atom", "Service status", "2026-11-26T12:00:00Z"
    ]  # fmt: skip
    [entry] = root.findall("a:entry", NS)
    assert entry.findtext("a:id", namespaces=NS) == "urn:x:1"
    assert entry.findtext("a:updated", namespaces=NS) == "2026-11-26T11:55:00Z"
    assert entry.findtext("a:content", namespaces=NS) == "Mail is down."
    assert entry.find("a:link", NS).get("href") == "https://desk.example.com/status"  # type: ignore[union-attr]


def test_hostile_text_stays_text_and_control_characters_cannot_break_the_xml() -> None:
    hostile = '<script>alert("x")</script> & ]]> \x00\x1b[31m'
    [entry] = parsed([FeedEntry("urn:x:1", hostile, NOW, hostile)]).findall("a:entry", NS)
    assert entry.findtext("a:content", namespaces=NS) == '<script>alert("x")</script> & ]]> [31m'
    assert entry.find("a:content", NS).get("type") == "text"  # type: ignore[union-attr]


def test_an_empty_feed_is_still_a_feed() -> None:
    assert parsed([]).findall("a:entry", NS) == []
