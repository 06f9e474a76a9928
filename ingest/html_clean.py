"""An email's HTML made safe to show inside our page (pure), with nh3 (the Ammonia sanitiser).

An allow-list, not a deny-list: text-formatting tags and tables only; no script, style, form, iframe or object
(their content is dropped with them); no event handler, style or class attribute; links only to http(s) and
mailto, opened with rel="noopener noreferrer". The page's Content-Security-Policy already refuses inline script;
this is the layer that does not depend on it.

Images: every `src` is dropped and the alt text kept, so `<img alt="logo">` reads as its alt text. Remote images
are how senders learn that, when and where a message was opened (tracking pixels), so an agent's browser must
never fetch one; `cid:` images are the message's own inline parts, which the timeline lists as files instead.
"""

from __future__ import annotations

import re

import nh3

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "div",
        "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
        "pre", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"alt", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "abbr": {"title"},
}
#: Removed together with everything inside them (nh3 only unwraps tags it does not allow).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "head", "template", "iframe", "object", "noscript"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})

#: Deeper than this, or longer, and the formatted version is not shown: no mail client nests markup anywhere near
#: that deep, and the HTML parser's time grows with the square of the depth (100,000 nested <div>s, 1 MB, took
#: 28 s on every view of the incident) and with the length (8 MB of 150-deep <div>s: 1.4 s).
MAX_NESTING = 200
MAX_LENGTH = 1_000_000
NOT_SHOWN = "<p><em>The formatted version {why}, so it is not shown. The text is above.</em></p>"
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>")
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


def nests_deeper(html: str, limit: int) -> bool:
    """Whether elements nest more than `limit` deep (one pass over the tags; a body with fewer tags cannot)."""
    if html.count("<") <= limit:
        return False
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if closing:
            depth = max(depth - 1, 0)
        elif not self_closing and name.lower() not in _VOID:
            depth += 1
            if depth > limit:
                return True
    return False


def sanitise(html: str) -> str:
    """Markup that can be placed into our page as it is: formatting and links only."""
    if len(html) > MAX_LENGTH:
        return NOT_SHOWN.format(why=f"is {len(html) // 1000:,} KB long, more than a page can show")
    if nests_deeper(html, MAX_NESTING):
        return NOT_SHOWN.format(
            why=f"nests its markup more than {MAX_NESTING} levels deep, which no mail client writes"
        )
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
