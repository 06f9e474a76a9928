"""The mail Switchboard writes, from Jinja2 templates: a subject, a plain-text body and an HTML body per kind.

Design: packaged defaults live in hub/templates/mail/<name>.{subject,txt,html}; an admin overrides any part by
putting a file of the same name under SWITCHBOARD_HOME/templates/mail/ (copy the default, edit it). Files rather
than database rows because templates are configuration: they go through the same review, version control and
deployment as the rest of it, they need no web form with its own permissions and audit trail, and a broken edit
is caught before it is live by `switchboard template check` (syntax errors with their line, unknown variables)
and seen by `switchboard template preview NAME` on a sample incident. An edited file takes effect at its next
use (its modification time is part of the cache key), without a restart; a file that does not compile falls back
to the packaged default, so one bad edit never stops mail, and `check` names it.

Templates are written by admins, so they render in Jinja's immutable sandbox with StrictUndefined (a misspelt
variable is an error, not an empty string). HTML bodies autoescape (an incident title like `<script>` arrives as
text); subjects and plain-text bodies do not. Rendering is pure: facts in, text out.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

log = logging.getLogger("switchboard.mail")

PACKAGED = Path(__file__).parent / "templates" / "mail"
#: The three parts of a mail, by file suffix.
PARTS = ("subject", "txt", "html")

#: Every template sees these.
COMMON = ("reference", "incident_id", "title", "url", "desk_address", "base_url", "recipient")

#: name -> the variables its templates may use (besides COMMON) and a sample of each, for previews and checks.
SAMPLES: dict[str, dict[str, Any]] = {
    # `known_outage`: trouble the public status page shows with the incident's service, or none.
    "acknowledgement": {
        "workaround": "Restart the print spooler.",
        "requester": "ann@example.com",
        "greeting_name": "Ann",  # the From's display name when plain (hub/people.py); absent: "Hello,"
        "kind": "request",  # one of hub.domain.INCIDENT_KINDS: an incident or a service request
        # `track_url`: the requester's "Follow your request" page (hub/request_links.py), added by the worker as it
        # sends, like `acknowledge_url`.
        "track_url": "https://switchboard.example/requests/TOKEN",
        "known_outage": {
            "service": "mail",
            "state": "partial_outage",
            "label": "Partial outage",
            "note": "Outgoing mail is delayed; we expect it back by 14:00.",
            "url": "https://switchboard.example/status",
        },
        # `suggested`: published knowledge articles matching what they wrote (hub/knowledge.py), up to three.
        "suggested": [{"title": "When the printer jams", "url": "https://switchboard.example/help/7"}],
        # `follows`: the finished request whose mail they answered, when that reply opened this one; else none.
        "follows": "INC-6",
        # `awaiting_approval`: true when its request type's approver is asked before the desk goes ahead.
        "awaiting_approval": True,
    },
    # `acknowledge_url`: the signed link acknowledging without a login (hub/ack_links.py), added by the worker as it
    # sends; absent from previews and from a worker without a secret key.
    "assigned": {
        "priority": 2,
        "assignee": "bob@example.com",
        "group": None,
        "acknowledge_url": "https://switchboard.example/ack/TOKEN",
    },
    "escalated": {"priority": 1, "step": 2, "acknowledge_url": "https://switchboard.example/ack/TOKEN"},
    # About no incident: `reference` is empty, `title` says "On call for dba", `url` is the on-call page.
    "on_call": {
        "reference": "",
        "incident_id": None,
        "title": "On call for dba",
        "url": "https://switchboard.example/oncall",
        "group": "dba",
        "starts": "Mon 2026-11-30 09:00 Europe/Berlin",
        "ends": "Mon 2026-12-07 09:00 Europe/Berlin",
        "then": "bob@example.com",
        "covering": False,
    },
    "resolved": {
        "source": "bob@example.com",
        "assignee": "bob@example.com",
        "resolution": "Replaced the toner; it prints again.",
    },
    "requester_resolved": {
        "greeting_name": "Ann",  # their contact's name when plain (hub/contacts.py, hub/people.py); absent: "Hello,"
        "source": "bob@example.com",
        "requester": "ann@example.com",
        "resolution": "Replaced the toner; it prints again.",
        # "How did we do?" (hub/satisfaction.py); empty without a secret key, absent from mail owed before it.
        "survey": [
            {"rating": "good", "label": "Good", "url": "https://switchboard.example/satisfaction/TOKEN?rating=good"},
            {"rating": "bad", "label": "Bad", "url": "https://switchboard.example/satisfaction/TOKEN?rating=bad"},
        ],
        "track_url": "https://switchboard.example/requests/TOKEN",
        # The reference of the incident it was merged into, whose resolution this is (hub/merged_requesters.py);
        # None in the mail to the incident's own requester.
        "into": None,
    },
    # To a requester several of whose requests a problem's resolution resolved in one go (hub/problem_mail.py): one
    # mail, about their oldest (`reference`, `title`, its survey and link; a reply lands there), listing them all.
    "requester_problem_resolved": {
        "greeting_name": "Ann",  # their contact's name when plain (hub/contacts.py, hub/people.py); absent: "Hello,"
        "source": "bob@example.com",
        "requester": "ann@example.com",
        "resolution": "The underlying problem, PRB-4 (VPN drops every night), is resolved.",
        "problem": "PRB-4",
        "problem_title": "VPN drops every night",
        # Each request: `into` is the reference it was merged into and followed under, or None.
        "requests": [
            {"reference": "INC-42", "title": "Printer on fire", "into": None},
            {"reference": "INC-57", "title": "VPN drops in the train", "into": None},
            {"reference": "INC-61", "title": "Teams calls cut off", "into": "INC-58"},
        ],
        "survey": [
            {"rating": "good", "label": "Good", "url": "https://switchboard.example/satisfaction/TOKEN?rating=good"},
            {"rating": "bad", "label": "Bad", "url": "https://switchboard.example/satisfaction/TOKEN?rating=bad"},
        ],
        "track_url": "https://switchboard.example/requests/TOKEN",
    },
    # To the requester of an email incident an agent merged into another (`into`, its reference): about their own.
    "requester_merged": {
        "greeting_name": "Ann",  # their contact's name when plain (hub/contacts.py, hub/people.py); absent: "Hello,"
        "requester": "ann@example.com",
        "into": "INC-1",
        "track_url": "https://switchboard.example/requests/TOKEN",
    },
    # `text`: what the requester wrote when their reply reopened it (quoted as in requester_replied), else none;
    # `unverified` as there. Mail owed before they existed lacks both.
    "reopened": {
        "source": "a reply from ann@example.com",
        "assignee": "bob@example.com",
        "text": "It jams again, now on page two as well.",
        "unverified": False,
    },
    "requester_replied": {
        "requester": "ann@example.com",
        "text": "It still jams, now on page two as well.",
        "unverified": False,
    },
    "stable": {"status": "resolved", "assignee": "bob@example.com"},
    "reply": {
        "text": "Please restart the printer and tell us if it helps.",
        "agent": "bob@example.com",
        "requester": "ann@example.com",
        "subject": "Re: Printer on fire",
        "track_url": "https://switchboard.example/requests/TOKEN",
    },
    "sla_warning": {
        "clock": "resolution",
        "what": "resolution",
        "due": "2026-05-04 17:00 UTC",
        "assignee": "bob@example.com",
    },
    "sla_breach": {
        "clock": "first_response",
        "what": "first response",
        "due": "2026-05-04 09:30 UTC",
        "assignee": "bob@example.com",
    },
    # To someone who asked for the status page's updates (hub/status_subscriptions.py): about no incident.
    "status_confirmation": {
        "reference": "",
        "incident_id": None,
        "title": "Confirm status updates",
        "url": "https://switchboard.example/status",
        "confirm_url": "https://switchboard.example/status/confirm/TOKEN",
    },
    # To someone whose address was typed into the help centre's "Ask the desk" form (hub/pending_requests.py):
    # about no incident yet. None of what was typed is in it, so a stranger cannot send their words through us.
    "ask_confirmation": {
        "reference": "",
        "incident_id": None,
        "title": "Confirm your request",
        "url": "https://switchboard.example/help/ask",
        "confirm_url": "https://switchboard.example/help/ask/confirm/TOKEN",
        "valid_for": "24 hours",
    },
    # To someone whose address was typed into the help centre's "My requests" form (hub/my_requests.py): the link to
    # the list of their requests. Nothing typed is in it, and it names none of the requests.
    "my_requests": {
        "reference": "",
        "incident_id": None,
        "title": "Your requests",
        "url": "https://switchboard.example/help/my-requests",
        "list_url": "https://switchboard.example/help/my-requests/TOKEN",
        "valid_for": "24 hours",
    },
    # What changed on the status page (hub/status_updates.py), one entry per service, and the link that stops them.
    "status_update": {
        "reference": "",
        "incident_id": None,
        "title": "Service status",
        "url": "https://switchboard.example/status",
        "updates": [
            {
                "service": "mail",
                "state": "partial_outage",
                "label": "Partial outage",
                "was": "Operational",
                "note": "Outgoing mail is delayed; we expect it back by 14:00.",
                "planned": [],
                "headline": "mail: Partial outage",
            },
            {
                "service": "vpn",
                "state": "operational",
                "label": "Operational",
                "was": "Operational",
                "note": None,
                "planned": ["Tue 2026-12-01 22:00 to 23:30 UTC"],
                "headline": "vpn: planned maintenance",
            },
        ],
        "leave_url": "https://switchboard.example/status/unsubscribe/TOKEN",
    },
    # An internal note that mentions the recipient by @name (hub/mentions.py); `by` wrote it.
    "mentioned": {
        "by": "bob@example.com",
        "by_label": "Bob Stone (bob@example.com)",  # by display name where they have one (hub/people.py)
        "note": "@ann the switch in room 4 blinks amber; can you look?",
        "priority": 2,
    },
    # A request's checklist came to a step another group does (hub/step_turns.py), to each of its active members.
    "step": {"priority": 3, "step": 2, "text": "Image it", "group": "desktop"},
    # An incident declared a major incident (hub/major_incidents.py), to its coordinator, assignee and the
    # major-incident group; its stand-down to the same people.
    "major_declared": {
        "priority": 1,
        "reason": "Nobody can run payroll",
        "coordinator": "ann@example.com",
        "coordinator_label": "Ann Lee (ann@example.com)",  # by display name where they have one (hub/people.py)
        "declared_by": "bob@example.com",
        "declared_by_label": "Bob Stone (bob@example.com)",
    },
    "major_stood_down": {
        "by": "ann@example.com",
        "by_label": "Ann Lee (ann@example.com)",
        "note": "Only the test system was affected.",
    },
    # A major incident's post-incident review was published (hub/reviews.py): its summary and the link to it.
    "review_published": {
        "by": "ann@example.com",
        "by_label": "Ann Lee (ann@example.com)",
        "summary": "The payroll database ran out of disk during the month-end run.",
        "review_url": "https://switchboard.example/incidents/INC-42/review",
    },
    # An agent asks a person to approve an incident (hub/approvals.py). `approve_url`: the signed link deciding
    # without a login (hub/approval_links.py), added by the worker as it sends, like `acknowledge_url`.
    "approval_asked": {
        "approval_id": 7,
        "requester": "carol@example.com",
        "description": "A laptop for the new starter, please <b>by Monday</b>.",
        "note": "Within the team's budget?",
        "by": "bob@example.com",
        "approve_url": "https://switchboard.example/approve/TOKEN",
    },
    # A pending approval's approver reminded after SWITCHBOARD_APPROVAL_REMIND_HOURS (hub/approval_reminders.py),
    # with a fresh `approve_url`; `by` is whoever asked ("" when no user did), `waited` how long it has waited.
    "approval_reminder": {
        "approval_id": 7,
        "by": "bob@example.com",
        "note": "Within the team's budget?",
        "waited": "3 days",
        "approve_url": "https://switchboard.example/approve/TOKEN",
    },
    # The approver's decision, to whoever asked (or the assignee); `state` is approved or rejected.
    "approval_decided": {"approver": "ann@example.com", "state": "approved", "comment": "Go ahead."},
    # A pending approval withdrawn (hub/approvals.py), to the approver; `by`: who withdrew it.
    "approval_withdrawn": {"by": "bob@example.com"},
    # To the requester of a request whose type's approver approved it (hub/approval_outcome.py): it goes ahead.
    # Names no approver and quotes no comment: those are the desk's (a rejection's comment is its resolution).
    "requester_approved": {
        "greeting_name": "Ann",  # their contact's name when plain (hub/contacts.py, hub/people.py); absent: "Hello,"
        "requester": "ann@example.com",
        "track_url": "https://switchboard.example/requests/TOKEN",
    },
    "channel": {
        "kind": "opened",
        "priority": 1,
        "severity": "critical",
        "status": "open",
        "assignee": "oncall@example.com",
        "category": "outage",
        "summary": "INC-42 (P1) opened: Disk full",
    },
}
NAMES = tuple(SAMPLES)


class TemplateProblem(ValueError):
    """A template that cannot be used: the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Rendered:
    """One mail's text: a one-line subject, the plain-text body, and the HTML body (None: plain text only)."""

    subject: str
    text: str
    html: str | None


def sample_facts(name: str, base_url: str = "https://switchboard.example", desk: str = "help@example.com") -> dict:
    """Facts of a sample incident (INC-42) for template `name`: what a preview renders and a check runs."""
    ref = "INC-42"
    return {"reference": ref, "incident_id": 42, "title": "Printer on fire <b>&amp; smoking</b>",
            "url": f"{base_url}/incidents/{ref}", "desk_address": desk, "base_url": base_url,
            "recipient": "ann@example.com", **SAMPLES[name]}  # fmt: skip


def _environment(*, html: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=html, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True
    )


_TEXT = _environment(html=False)
_HTML = _environment(html=True)
_compiled: dict[tuple[str, int], Template] = {}
_lock = threading.Lock()


def compile_part(source: str, *, name: str, part: str, origin: str = "<string>") -> Template:
    """Compile one part, or TemplateProblem naming the line of a syntax error or a variable the kind lacks."""
    env = _HTML if part == "html" else _TEXT
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"{origin}, line {exc.lineno}: {exc.message}") from None
    allowed = {*COMMON, *SAMPLES[name]}
    unknown = sorted(meta.find_undeclared_variables(tree) - allowed)
    if unknown:
        raise TemplateProblem(
            f"{origin}: unknown variable(s) {', '.join(unknown)}; {name} templates may use {', '.join(sorted(allowed))}"
        )
    return env.from_string(source)


def check(source: str, *, name: str, part: str, origin: str = "<string>") -> None:
    """Compile and render on the sample incident, so errors only rendering shows (a bad filter) surface now."""
    if name not in SAMPLES:
        raise TemplateProblem(f"{origin}: no mail template is called {name!r}; the names are {', '.join(NAMES)}")
    if part not in PARTS:
        raise TemplateProblem(f"{origin}: a template file ends in .subject, .txt or .html, not .{part}")
    template = compile_part(source, name=name, part=part, origin=origin)
    try:
        template.render(sample_facts(name))
    except TemplateError as exc:
        line = _line_of(exc)
        raise TemplateProblem(f"{origin}{f', line {line}' if line else ''}: {exc}") from None


def _line_of(exc: BaseException) -> int | None:
    """The template line a render error happened on (Jinja marks template frames with '<template>')."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


@dataclass(frozen=True)
class MailTemplates:
    """Where templates come from: the packaged defaults, overridden file by file from `override_dir`."""

    override_dir: Path | None = None

    @classmethod
    def at(cls, home: Path) -> MailTemplates:
        """The templates of an installation: overrides under SWITCHBOARD_HOME/templates/mail/."""
        return cls(home / "templates" / "mail")

    def path(self, name: str, part: str) -> Path:
        """The file part `part` of template `name` comes from: the override if there is one, else the default."""
        override = self._override(name, part)
        return Path(override[0]) if override is not None else PACKAGED / f"{name}.{part}"

    def _override(self, name: str, part: str) -> tuple[str, int] | None:
        """The override file of part `part` of template `name` and its modification time, when there is one.

        Looked for at every use, so an added, edited or removed file takes effect at once; one stat, on a string
        path: the intake renders a subject for every mail it owes, and pathlib's joins and second stat showed there.
        """
        if self.override_dir is None:
            return None
        file = f"{self.override_dir}{os.sep}{name}.{part}"
        try:
            found = os.stat(file)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return (file, found.st_mtime_ns) if stat.S_ISREG(found.st_mode) else None

    def render(self, name: str, facts: Mapping[str, Any]) -> Rendered:
        """The mail template `name` makes of `facts` (a missing .html part means plain text only)."""
        text, html = self.render_body(name, facts)
        return Rendered(subject=self.render_subject(name, facts), text=text, html=html)

    def render_subject(self, name: str, facts: Mapping[str, Any]) -> str:
        """The one-line subject (composed with the notice, so the outbox row says what it is about)."""
        return " ".join(self._render(name, "subject", facts).split())

    def render_body(self, name: str, facts: Mapping[str, Any]) -> tuple[str, str | None]:
        """(plain text, HTML or None): rendered when the mail is sent, from the facts stored with it."""
        text = self._render(name, "txt", facts)
        has_html = _packaged_exists(name, "html") or self._override(name, "html") is not None
        return text, self._render(name, "html", facts) if has_html else None

    def _render(self, name: str, part: str, facts: Mapping[str, Any]) -> str:
        override = self._override(name, part)
        if override is None:
            return _packaged(name, part).render(facts)
        file, modified = override
        try:
            return _overriding(file, modified, name, part).render(facts)
        except (TemplateProblem, TemplateError, OSError) as exc:
            # An admin's broken override must not stop mail: say so loudly and use the packaged default.
            log.error("mail template %s failed (%s); using the packaged default", file, exc)
            return _packaged(name, part).render(facts)

    def problems(self) -> list[str]:
        """Every override that cannot be used (and any stray file in the override folder), one line each."""
        if self.override_dir is None or not self.override_dir.is_dir():
            return []
        found: list[str] = []
        for path in sorted(self.override_dir.iterdir()):
            name, _, part = path.name.partition(".")
            try:
                check(path.read_text(encoding="utf-8"), name=name, part=part, origin=str(path))
            except (TemplateProblem, OSError, UnicodeDecodeError) as exc:
                found.append(str(exc))
        return found


@functools.cache
def _packaged(name: str, part: str) -> Template:
    """A packaged default, compiled once: they change only with a new release."""
    path = PACKAGED / f"{name}.{part}"
    return compile_part(path.read_text(encoding="utf-8"), name=name, part=part, origin=str(path))


def _overriding(file: str, modified: int, name: str, part: str) -> Template:
    """An override, compiled once per modification time (an edit takes effect at its next use)."""
    key = (file, modified)
    with _lock:
        found = _compiled.get(key)
    if found is None:
        found = compile_part(Path(file).read_text(encoding="utf-8"), name=name, part=part, origin=file)
        with _lock:
            _compiled[key] = found
    return found


@functools.cache
def _packaged_exists(name: str, part: str) -> bool:
    return (PACKAGED / f"{name}.{part}").is_file()


#: The packaged defaults alone (tests, and callers not given an installation's templates).
DEFAULTS = MailTemplates()
