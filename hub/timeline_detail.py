"""What an incident's timeline shows under an entry's line (pure): a resolution's text, a satisfaction answer's
comment, a public note's text, a retitle's old and new title, an email's sender warning, text, HTML and files, and
the rules an event went through. One reading of an entry's data for its page and its review's
(`incidents/_timeline.html`, `incidents/_mail.html`) and `switchboard incident show` (`in_text`), so a terminal
tells the story the page tells; the line above it is hub/timeline_words.py's.

Files are the one thing an entry's data does not hold: the caller reads them (`hub.attachments.of_incident`) and
hands each entry its own. The newest part of an email's text is cut by a function handed in too (ingest's quote
cutter, which hub cannot import); without one, the text is shown whole.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2.filters import do_filesizeformat

from hub.timeline_words import Entry

if TYPE_CHECKING:
    from hub.attachments import IncidentFile

#: How the page heads a mail no one typed, which stays folded there.
AUTOMATIC = "Automatic reply (an out-of-office or a bounce): it reopens nothing"
#: The sender checks the page warns of: a `fail` acts for no one, a `softfail` as the sender's (a milder warning).
WARNED = ("fail", "softfail")
#: Where `in_text` wraps a long line (a URL or a word longer than this is left whole).
WIDTH = 100


def _whole(text: str) -> str | None:
    return None


@dataclass(frozen=True)
class SenderWarning:
    """The receiving server could not verify an email's sender: said as the page says it."""

    failed: bool  # a `fail` (forged-looking), not a `softfail`
    words: str


@dataclass(frozen=True)
class Message:
    """The text of an email, a note or a reply; for an email, its newest part when history or a signature was cut."""

    body: str
    latest: str | None
    automatic: bool  # an out-of-office or a bounce: no one typed it

    @property
    def heading(self) -> str:
        return AUTOMATIC if self.automatic else "Message"

    @property
    def shown(self) -> str:
        """What is shown first: the newest part, else all of it."""
        return self.latest or self.body


@dataclass(frozen=True)
class RuleStep:
    """One rule the event met: whether it matched, what it set (by name, as the page sorts them), and why."""

    rule: str
    matched: bool
    sets: tuple[tuple[str, str], ...]
    conditions: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Detail:
    """Everything shown under one entry's line, in the page's order; empty fields show nothing."""

    resolution: str | None = None
    text: str | None = None  # a satisfaction answer's comment, or a public note's text
    retitled: tuple[str, str] | None = None  # the old title, the new
    sender: SenderWarning | None = None
    message: Message | None = None
    html: str | None = None  # an email's HTML as received: whoever shows it cleans it first
    files: tuple[IncidentFile, ...] = ()
    rules: tuple[RuleStep, ...] = ()


def detail(
    entry: Entry, files: Iterable[IncidentFile] = (), newest_part: Callable[[str], str | None] = _whole
) -> Detail:
    """What `entry` shows under its line; `files` are its own (an email's, a note's, a reply's) and `newest_part`
    cuts an email's quoted history (None when there is nothing to cut)."""
    data: Mapping[str, Any] = entry.data if isinstance(entry.data, dict) else {}
    kind = entry.kind
    text = data.get("comment") if kind == "satisfaction" else data.get("text") if kind == "public_note" else None
    return Detail(
        resolution=_said(data.get("resolution")),
        text=_said(text),
        retitled=(_str(data, "from"), _str(data, "to")) if kind == "retitled" and data else None,
        sender=_sender(data.get("sender_check"), opened=kind == "opened"),
        message=_message(data, newest_part if kind == "email" else _whole),
        html=_said(data.get("html")),
        files=tuple(files),
        rules=tuple(map(_step, data.get("rules") or ())),
    )


def file_facts(found: IncidentFile) -> str:
    """A file's type, size and whether it is inline, and why its bytes were not kept when they were not."""
    inline = ", inline" if found.inline else ""
    kept = "" if found.stored else f"; {found.note or 'not stored'}"
    return f"{found.content_type}, {do_filesizeformat(found.size)}{inline}{kept}"


def in_text(shown: Detail, most: int | None = None, whole: str = "") -> list[str]:
    """`shown` as plain lines for a terminal, long lines wrapped at WIDTH and each text cut after `most` lines
    (None: whole), a line saying how many more there were and, after a colon, `whole`: how to see them."""

    def block(text: str) -> list[str]:
        lines = [part for line in text.strip().splitlines() for part in _wrapped(line)]
        if most is None or len(lines) <= most:
            return lines
        return [*lines[:most], f"… {len(lines) - most:,} more lines" + (f": {whole}" if whole else "")]

    lines: list[str] = []
    for text in (shown.resolution, shown.text):
        lines += block(text) if text else []
    if shown.retitled:
        lines.append(f"{shown.retitled[0]} → {shown.retitled[1]}")
    if shown.sender:
        lines.append(f"! {shown.sender.words}")
    if shown.message:
        lines += [shown.message.heading + ":"] if shown.message.automatic else []
        lines += block(shown.message.body)  # no quote cutter here: the newest part is its top anyway
    if shown.html:
        lines.append("(also formatted, as HTML: the incident page shows it)")
    lines += [f"file: {found.filename} ({file_facts(found)})" for found in shown.files]
    if shown.rules:
        lines += ["rules applied:", *(line for step in shown.rules for line in _step_lines(step))]
    return lines


def _said(value: Any) -> str | None:
    """A value the page shows when it has one, as text."""
    return str(value) if value else None


def _str(data: Mapping[str, Any], key: str) -> str:
    """A value as the page writes it: nothing when absent."""
    return str(data[key]) if key in data else ""


def _sender(check: Any, *, opened: bool) -> SenderWarning | None:
    """The warning an unverified sender's email carries; an incident's first email says no acknowledgement went."""
    if not isinstance(check, dict) or check.get("verdict") not in WARNED:
        return None
    none_mailed = ". No acknowledgement was mailed to that address" if opened else ""
    words = (f"Sender not verified: {_str(check, 'why')} for {_str(check, 'domain')} — the mail may not be from "
             f"{_str(check, 'address')}{none_mailed}.")  # fmt: skip
    return SenderWarning(check["verdict"] == "fail", words)


def _message(data: Mapping[str, Any], newest_part: Callable[[str], str | None]) -> Message | None:
    body = data.get("body")
    if not body:
        return None
    return Message(str(body), newest_part(str(body)), bool(data.get("automatic")))


def _step(step: Mapping[str, Any]) -> RuleStep:
    sets: Mapping[str, Any] = step.get("sets") or {}
    ordered = sorted(sets.items(), key=lambda item: str(item[0]).lower())  # as the page's `dictsort`
    return RuleStep(_str(step, "rule"), bool(step.get("matched")), tuple((str(k), str(v)) for k, v in ordered),
                    _texts(step.get("conditions")), _texts(step.get("notes")))  # fmt: skip


def _texts(values: Sequence[Any] | None) -> tuple[str, ...]:
    return tuple(map(str, values or ()))


def _step_lines(step: RuleStep) -> list[str]:
    sets = "".join(f"; {key} = {value}" for key, value in step.sets)
    return [f"  {step.rule}: {'matched' if step.matched else 'no match'}{sets}",
            *(f"    because {c}" for c in step.conditions), *(f"    note: {n}" for n in step.notes)]  # fmt: skip


def _wrapped(line: str) -> list[str]:
    """A long line as several, at spaces; a line that fits stays as it is, its indent and all."""
    if len(line) <= WIDTH:
        return [line]
    return textwrap.wrap(line, WIDTH, break_long_words=False, break_on_hyphens=False) or [line]
