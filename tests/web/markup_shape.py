"""What a page's element tree says about markup left broken by a template's `{% if %}`: a closing tag whose opening
one was left out (or the other way round), a list with no item, a label or heading with nothing in it, a form with
nothing to fill in or press. Pages show agents and viewers fewer forms than admins, and an empty site less than a
furnished one; an `{% if %}` that wraps a form's button but not its `<form>`, or a list's items but not its `<ul>`,
leaves such markup behind. Browsers mend it silently; a screen reader then announces "list, 0 items" or a label
for nothing. tests/web/test_html_validity.py runs it over every page it visits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Elements with no content and no closing tag.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: Elements whose closing tag HTML lets a page leave out: closing the element around them closes them too.
OPTIONAL_END = {"html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead",
                "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp"}  # fmt: skip
#: A start tag that closes an open element of the same group first (`<li>` after an `<li>`, `<td>` after a `<th>`).
SIBLINGS = ({"li"}, {"dt", "dd"}, {"option"}, {"tr"}, {"td", "th"}, {"thead", "tbody", "tfoot"})
#: The elements a label may be for (HTML's "labelable elements"); a hidden input is not one.
LABELABLE = {"button", "input", "meter", "output", "progress", "select", "textarea"}
#: What a form lets a person fill in or press (a hidden input is neither).
FILLABLE = {"button", "input", "select", "textarea"}
#: A list's items, by the list's tag (a `<dl>` may group each term and its description in a `<div>`).
ITEMS = {"ul": {"li"}, "ol": {"li"}, "dl": {"dt", "dd", "div"}}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
#: The start tags that close an open `<p>` first: a paragraph cannot hold them, so its `</p>` later closes nothing.
CLOSES_P = {"address", "article", "aside", "blockquote", "details", "div", "dl", "fieldset", "figcaption", "figure",
            "footer", "form", "header", "hr", "main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul",
            *HEADINGS}  # fmt: skip
#: Where a `<p>` stops looking for an open paragraph to close (HTML's "button scope", roughly).
P_SCOPE = {"button", "td", "th", "caption", "table", "html", "template", "object", "marquee", "applet"}


@dataclass
class _Open:
    """An element still open, and what has been found inside it so far."""

    tag: str
    attributes: dict[str, str]
    children: list[str] = field(default_factory=list)
    descendants: set[str] = field(default_factory=set)
    text: str = ""

    def named(self) -> str:
        """The element as a fault names it: its tag, with its id or class when it has one."""
        for attribute in ("id", "class", "for", "action"):
            if self.attributes.get(attribute):
                return f'<{self.tag} {attribute}="{self.attributes[attribute]}">'
        return f"<{self.tag}>"


class _Shape(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[_Open] = []
        self.faults: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for group in SIBLINGS:
            if tag in group and self.open and self.open[-1].tag in group:
                self._close(self.open.pop())
        if tag in CLOSES_P:
            self._close_paragraph()
        kind = tag
        if tag == "input" and attributes.get("type", "").lower() == "hidden":
            kind = "hidden input"
        elif tag == "img" and attributes.get("alt"):
            kind = "img with alt"
        for element in self.open:
            element.descendants.add(kind)
        if self.open:
            self.open[-1].children.append(tag)
        if tag not in VOID:
            self.open.append(_Open(tag, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:  # `<div/>` is no empty div in HTML: the tag stays open
            self.faults.append(f"<{tag}/> is not closed by its slash: write <{tag}></{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        at = next((i for i in range(len(self.open) - 1, -1, -1) if self.open[i].tag == tag), None)
        if at is None:
            if tag not in ("html", "head", "body"):
                self.faults.append(f"</{tag}> closes nothing open")
            return
        while len(self.open) > at + 1:
            inner = self.open.pop()
            if inner.tag not in OPTIONAL_END:
                self.faults.append(f"{inner.named()} is left open, closed by </{tag}>")
            self._close(inner)
        self._close(self.open.pop())

    def handle_data(self, data: str) -> None:
        if data.strip():
            for element in self.open:
                element.text += data

    def finish(self) -> list[str]:
        self.close()
        while self.open:
            element = self.open.pop()
            if element.tag not in OPTIONAL_END:
                self.faults.append(f"{element.named()} is never closed")
            self._close(element)
        return self.faults

    def _close_paragraph(self) -> None:
        for at in range(len(self.open) - 1, -1, -1):
            if self.open[at].tag in P_SCOPE:
                return
            if self.open[at].tag == "p":
                while len(self.open) > at:
                    self._close(self.open.pop())
                return

    def _close(self, element: _Open) -> None:
        """What an element holds, judged once it is closed; not inside a `<template>`, which script fills in."""
        found, named = element.descendants, element.named()
        if any(outer.tag == "template" for outer in self.open):
            return
        if element.tag in ITEMS and not ITEMS[element.tag] & set(element.children):
            self.faults.append(f"{named} is a list with no item")
        elif element.tag == "label" and "for" not in element.attributes and not LABELABLE & found:
            self.faults.append(f"{named} labels nothing: it has no `for` and no form control inside")
        elif element.tag in HEADINGS and not element.text.strip() and "img with alt" not in found:
            self.faults.append(f"{named} is a heading with no words")
        elif element.tag == "form" and not FILLABLE & found:
            self.faults.append(f"{named} is a form with nothing to fill in or press")
        elif element.tag == "select" and not {"option"} & found:
            self.faults.append(f"{named} offers no option")


def shape_faults(html: str) -> list[str]:
    """What in the page's element tree an `{% if %}` left broken, one line per fault (with how many times, when it
    recurs: a calendar's every day), naming the element."""
    parser = _Shape()
    parser.feed(html)
    counted = Counter(parser.finish())
    return [fault if n == 1 else f"{fault} ({n} times)" for fault, n in counted.items()]
