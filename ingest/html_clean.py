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


def sanitise(html: str) -> str:
    """Markup that can be placed into our page as it is: formatting and links only."""
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
