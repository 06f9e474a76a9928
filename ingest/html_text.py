"""Plain text from an HTML email body: the words a person would read, no markup, no script or style."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template"})
_BREAKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"})
_PREFORMATTED = frozenset({"pre", "textarea", "plaintext"})
_LINE_BREAKS = re.compile(r"\r\n|[\r\n]")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BREAKS:
            self.parts.append("\n")
        if tag in _PREFORMATTED:
            self._preformatted += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKS:
            self.parts.append("\n")
        if tag in _PREFORMATTED:
            self._preformatted = max(0, self._preformatted - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # A line break in the markup is a space, as a browser shows it: Outlook wraps its HTML at ~76 characters
            # and writes `<br>` before a newline, which read as text broke sentences and doubled the lines.
            self.parts.append(data if self._preformatted else _LINE_BREAKS.sub(" ", data))


#: Markup read at most: its text is far more than anyone reads on an incident, and the parser is pure Python
#: (a 10 MB HTML-only email took 4 s of an SMTP worker).
MAX_MARKUP = 2_000_000


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup[:MAX_MARKUP])
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    if len(markup) > MAX_MARKUP:
        text += f"\n\n[The rest is not shown: the HTML is {len(markup) // 1000:,} KB long.]"
    return text
