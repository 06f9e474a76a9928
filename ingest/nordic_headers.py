"""Where the quoted thread starts in a Danish, Norwegian or Swedish reply (pure), for ingest/quotes.py.

The quote library knows these languages' reply headers, but only together with their signature openers, and
those cut real words: Danish "Tak" ended "Hej,\n\nTak for hjælpen. Men det fejler stadig." at "Hej,". Its header
patterns for them also backtrack without bound on a long line with many "skrev" and colons (seconds, minutes at
64 KB). So the headers are recognised here, line by line, in time linear in the text:

- Outlook's header block: a "Fra:" (Danish, Norwegian) or "Från:" (Swedish) line straight followed by another of
  its fields ("Sendt:", "Til:", "Emne:"...; "Skickat:", "Till:", "Ämne:"...), bold or `>`-quoted or not;
- older Outlook's "-----Oprindelig meddelelse-----" line (Norwegian "Opprinnelig melding", Swedish "Ursprungligt
  meddelande");
- the "Den 3. nov. 2025 kl. 10.00 skrev Anne <anne@example.dk>:" line of Gmail, Apple Mail and Thunderbird (also
  opening with a weekday or a date's digit), as the library's own pattern has it.
"""

from __future__ import annotations

#: An Outlook header block's first field, and those that may follow it.
FROM_FIELDS = frozenset({"fra", "från"})
OTHER_FIELDS = frozenset(
    {"sendt", "til", "emne", "dato", "cc", "kopi", "skickat", "till", "ämne", "datum", "kopia", "vedhæftet", "bcc"}
)
#: Older Outlook's line above the block, Danish, Norwegian and Swedish, without its dashes.
ORIGINAL_MESSAGE = frozenset({"oprindelig meddelelse", "opprinnelig melding", "ursprungligt meddelande"})
#: What a "... skrev ...:" line may open with besides a date's digit: "Den", or a weekday (da/no, then sv).
WROTE_OPENERS = frozenset({"den", "man", "tir", "ons", "tor", "fre", "lør", "søn", "mån", "tis", "lör", "sön"})


def thread_start(text: str) -> int | None:
    """The offset in `text` of the first line that starts a quoted thread in these languages, or None."""
    lines = text.splitlines(keepends=True)
    offset = 0
    for index, line in enumerate(lines):
        bare = _unquoted(line)
        following = _unquoted(lines[index + 1]) if index + 1 < len(lines) else ""
        if (_field(bare) in FROM_FIELDS and _field(following) in OTHER_FIELDS) or _original(bare) or _wrote(bare):
            return offset
        offset += len(line)
    return None


def _unquoted(line: str) -> str:
    """The line without its `>` quote marks and surrounding spaces."""
    return line.strip().lstrip("> ").strip()


def _field(line: str) -> str | None:
    """The header field a line starts with ("fra" for "Fra: ..." or "*Fra:* ..."), or None."""
    name, colon, _ = line.lstrip("*").partition(":")
    return name.rstrip("* ").casefold() if colon and len(name) <= 12 else None


def _original(line: str) -> bool:
    """Whether the line is older Outlook's "-----Oprindelig meddelelse-----"."""
    return line.startswith("-----") and line.strip("- ").casefold() in ORIGINAL_MESSAGE


def _wrote(line: str) -> bool:
    """Whether the line is a "Den ... skrev ...:" reply line."""
    if not line.endswith(":") or " skrev " not in line:
        return False
    first = line.split(maxsplit=1)[0].rstrip(".,").casefold()
    return first in WROTE_OPENERS or first[:1].isdigit()
