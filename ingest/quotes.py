"""The newest reply in an email's text, without the quoted history and signature below it (pure).

`mail-parser-reply` knows the reply headers and signature openers of many languages and mail clients; it is kept
behind this one function so the library can be swapped without touching callers. Danish, Norwegian and Swedish
replies have their quoted thread cut first, by ingest/nordic_headers.py, since the library's lists for those
languages would cut words it takes for signatures. The full text is always kept
(as the incident's description or the timeline's "show full message"), so a wrong cut loses nothing.
"""

from __future__ import annotations

from mailparser_reply import EmailReplyParser

from ingest.nordic_headers import thread_start

#: Languages whose reply headers ("On ... wrote:", "Am ... schrieb:") and signature openers are recognised. Each
#: costs time on every message (its patterns run over the text); these cover the desks we expect, English is always
#: included. Not "da" nor "sv": their signature openers ("Tak") cut real words; ingest/nordic_headers.py reads
#: their headers.
LANGUAGES = ("en", "de", "fr", "es", "nl", "it")
#: Longer texts are shown whole: the library's patterns run over all of it, and a very long mail is rarely a
#: short reply on top of a thread.
MAX_CHARS = 64 * 1024
#: Lines are given to the library cut to this length, and put back whole in what it returns: its English reply
#: header pattern ("On ... wrote:") backtracks over the whole of a line that starts with "On", at a cost that grows
#: with the square of the line's length (one 64 KB line of "On x wrote: y x wrote: ..." took over a minute, on
#: every look at the incident). No reply header is this long.
LINE_CHARS = 400

_PARSER = EmailReplyParser(languages=list(LANGUAGES))


def latest_reply(text: str) -> str | None:
    """The newest part of `text`, or None when there is nothing to cut (or it cannot be cut safely)."""
    if not text.strip() or len(text) > MAX_CHARS:
        return None
    start = thread_start(text)
    shortened, whole = _shortened(text if start is None else text[:start])
    if shortened is None:
        return None
    try:
        replies = _PARSER.read(shortened).replies
    except (RecursionError, ValueError, IndexError, AttributeError, TypeError):
        return None
    latest = _restored(replies[0].body, whole).strip() if replies else ""
    if not latest or latest == text.strip():
        return None
    return latest


def _shortened(text: str) -> tuple[str | None, dict[str, str]]:
    """`text` with each line cut to LINE_CHARS, and the cut lines by their cut form (stripped, as the library
    strips every line); None when two long lines share a cut form, which could not be put back for certain."""
    whole: dict[str, str] = {}
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if len(line) > LINE_CHARS:
            lines[number] = line[:LINE_CHARS]
            cut = lines[number].strip()
            if whole.setdefault(cut, line.strip()) != line.strip():
                return None, {}
    return "\n".join(lines), whole


def _restored(body: str, whole: dict[str, str]) -> str:
    return "\n".join(whole.get(line.strip(), line) for line in body.split("\n")) if whole else body
