"""Channels: the places rules send notifications to (an email address, a generic webhook, a chat room's incoming
webhook), stored as records, and the notices a rule's channel names turn into.

Webhook bodies are Jinja2 templates written by admins, so they render in Jinja's immutable sandbox (no attribute
tricks, no mutation of the facts) with strict undefined names, and a template is rendered against sample facts when
the channel is created: a typo or, for a JSON content type, a body that is not JSON is refused then, not on the
first 3 a.m. delivery. Rendering lives here, not in `outbound`, so the web UI can validate with the same code.

A webhook's signing secret signs every delivery, so it is kept sealed (hub/sealed.py), never hashed;
`ChannelSpec.from_row` is the one place it is opened.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from hub import notices, sealed
from hub.addresses import is_address
from hub.domain import CHANNEL_KINDS, format_ref
from hub.errors import BadInput
from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import Channel
from hub.sealed import Keyring
from hub.webhook_targets import Reach, refused_host

HTTP_KINDS = frozenset({"webhook", "slack", "teams", "mattermost"})
METHODS = ("POST", "PUT", "PATCH")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,100}$")
#: Headers Switchboard sets itself on every webhook delivery; a channel may not override them.
RESERVED_HEADERS = frozenset(
    {"x-switchboard-delivery", "x-switchboard-timestamp", "x-switchboard-signature", "content-length", "host"}
)

SECRET = sealed.Column(
    "channels.signing_secret",
    "the webhook channel's signing secret",
    "remove the channel and create it again (`switchboard channel`), and give its receivers the new secret",
)

_templates = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)

#: What a template sees when it is checked at creation: every fact a real notice carries.
SAMPLE_FACTS: Mapping[str, Any] = MappingProxyType(
    {
        "kind": "opened",
        "reference": "INC-42",
        "incident_id": 42,
        "title": 'Disk full on "db1"',
        "priority": 1,
        "severity": "critical",
        "status": "open",
        "assignee": "oncall@example.com",
        "category": "outage",
        "url": "https://switchboard.example/incidents/INC-42",
        "summary": "INC-42 (P1) opened: Disk full on db1",
        "delivery_id": "00000000-0000-0000-0000-000000000000",
    }
)


@dataclass(frozen=True)
class ChannelSpec:
    """A stored channel, as senders and lists see it."""

    name: str
    kind: str
    url: str | None = None
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    body_template: str | None = None
    to_address: str | None = None
    signing_secret: str | None = field(default=None, repr=False)
    enabled: bool = True
    # Why it cannot send now (its signing secret does not open here, hub/sealed.py), in words that say what to do.
    problem: str | None = None

    @property
    def content_type(self) -> str:
        found = next((v for k, v in self.headers.items() if k.lower() == "content-type"), None)
        return found or "application/json"

    @classmethod
    def from_row(cls, row: Channel, keys: Keyring) -> ChannelSpec:
        """The channel as stored, its signing secret opened; one that does not open leaves the spec with a problem
        rather than failing the listing or the batch it is part of."""
        secret, problem = None, None
        if row.signing_secret is not None:
            try:
                secret = sealed.unseal(keys, row.signing_secret, SECRET.at(row.id))
            except sealed.CannotOpen as exc:
                problem = str(exc)
        return cls(
            name=row.name,
            kind=row.kind,
            url=row.url,
            method=row.method,
            headers=MappingProxyType({str(k): str(v) for k, v in (row.headers or {}).items()}),
            body_template=row.body_template,
            to_address=row.to_address,
            signing_secret=secret,
            enabled=row.enabled,
            problem=problem,
        )


# -- templates (pure) ---------------------------------------------------------------------------------------


def render_body(template: str, facts: Mapping[str, Any]) -> str:
    """A webhook body from its template and a notice's facts; BadInput says what is wrong with the template."""
    try:
        return _templates.from_string(template).render(dict(facts))
    except TemplateError as exc:
        raise BadInput(f"the body template does not render: {exc}") from None
    except Exception as exc:  # filters can fail in their own ways (tojson on an undefined name: TypeError)
        raise BadInput(f"the body template does not render: {type(exc).__name__}: {exc}") from None


def check_body(template: str, content_type: str) -> None:
    """Render `template` against sample facts; with a JSON content type the result must parse as JSON."""
    rendered = render_body(template, SAMPLE_FACTS)
    if "json" in content_type.lower():
        try:
            json.loads(rendered)
        except ValueError as exc:
            raise BadInput(
                f"the body template does not give JSON ({exc}); quote text with the tojson filter, e.g. "
                '{"title": {{ title|tojson }}}, or set another Content-Type header'
            ) from None


# -- records ------------------------------------------------------------------------------------------------


def create_channel(
    session: Session,
    *,
    kind: str,
    name: str,
    url: str | None = None,
    to: str | None = None,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    body_template: str | None = None,
    keys: Keyring,
    reach: Reach = "network",
) -> tuple[ChannelSpec, str | None]:
    """Store a channel; returns it with its signing secret (webhooks only; shown once by callers), which is kept
    sealed under `keys`. A URL naming an address `reach` does not allow is refused."""
    if kind not in CHANNEL_KINDS:
        raise BadInput(f"unknown channel kind {kind!r}; use one of: {', '.join(CHANNEL_KINDS)}")
    if not _NAME.match(name):
        raise BadInput(f"channel name {name!r} must be 1-100 lowercase letters, digits, '.', '-' or '_'")
    if session.scalar(select(Channel.id).where(Channel.name == name)) is not None:
        raise BadInput(f"a channel named {name!r} already exists; remove it first or pick another name")
    clean_headers = _check_headers(headers or {})
    method = method.upper()
    secret: str | None = None
    if kind == "email":
        if not to or not is_address(to.strip()):
            raise BadInput("an email channel needs --to with the address to write to")
        if url or body_template:
            raise BadInput("an email channel takes --to only (no --url or body template)")
        to = to.strip().lower()
    else:
        _check_url(url, kind, reach)
        if to:
            raise BadInput(f"--to is for email channels; a {kind} channel posts to its --url")
        if method not in METHODS:
            raise BadInput(f"method {method!r} is not one of: {', '.join(METHODS)}")
        if body_template is not None:
            if kind != "webhook":
                raise BadInput(f"a {kind} channel sends {kind}'s own message format; body templates are for webhooks")
            content_type = next((v for k, v in clean_headers.items() if k.lower() == "content-type"), "")
            check_body(body_template, content_type or "application/json")
        if kind == "webhook":
            secret = "sbw_" + secrets.token_urlsafe(32)
    row = Channel(
        name=name,
        kind=kind,
        url=url,
        method=method,
        headers=clean_headers,
        body_template=body_template,
        to_address=to,
    )
    session.add(row)
    session.flush()  # the id: the sealed secret is bound to its row
    if secret is not None:
        row.signing_secret = sealed.seal(keys, secret, SECRET.at(row.id))
        session.flush()
    return ChannelSpec.from_row(row, keys), secret


def list_channels(session: Session, keys: Keyring) -> list[ChannelSpec]:
    return [ChannelSpec.from_row(row, keys) for row in session.scalars(select(Channel).order_by(Channel.name))]


def remove_channel(session: Session, name: str) -> None:
    """Remove a channel; notifications still owed to it are dead-lettered by the worker ("no such channel")."""
    row = session.scalar(select(Channel).where(Channel.name == name))
    if row is None:
        raise BadInput(f"no channel named {name!r}; `switchboard channel list` shows them")
    session.delete(row)


def channels_by_name(session: Session, names: Sequence[str], keys: Keyring) -> dict[str, ChannelSpec]:
    """The enabled channels among `names` (one query), for a worker delivering a batch."""
    if not names:
        return {}
    rows = session.scalars(select(Channel).where(Channel.name.in_(sorted(set(names))), Channel.enabled.is_(True)))
    return {row.name: ChannelSpec.from_row(row, keys) for row in rows}


def _check_url(url: str | None, kind: str, reach: Reach) -> None:
    if not url:
        raise BadInput(f"a {kind} channel needs --url (its incoming webhook address)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url!r} is not an http:// or https:// URL")
    if (refused := refused_host(parts.hostname, reach)) is not None:
        raise BadInput(refused)  # a host name is checked as it resolves, at each delivery (outbound/channels/http.py)


def _check_headers(headers: Mapping[str, str]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise BadInput(f"{name!r} is not a header name (letters, digits and '-')")
        if name.lower() in RESERVED_HEADERS:
            raise BadInput(f"{name} is set by Switchboard on every delivery; it cannot be configured")
        if "\r" in value or "\n" in value:
            raise BadInput(f"the value of header {name} must be one line")
        clean[name] = value
    return clean


# -- notices for the channels a rule named ------------------------------------------------------------------


def incident_facts(
    *,
    kind: str,
    incident_id: int,
    title: str,
    priority: int,
    severity: str,
    status: str,
    assignee: str | None,
    category: str | None,
    base_url: str,
) -> dict[str, Any]:
    """The facts a webhook or chat message is made of (pure; stored with the notice, so retries send the same)."""
    ref = format_ref(incident_id)
    return {
        "kind": kind,
        "reference": ref,
        "incident_id": incident_id,
        "title": title,
        "priority": priority,
        "severity": severity,
        "status": status,
        "assignee": assignee,
        "category": category,
        "url": f"{base_url}/incidents/{ref}",
        "summary": f"{ref} (P{priority}) {kind}: {title}",
    }


def channel_notices(
    conn: Connection,
    names: Sequence[str],
    facts: Mapping[str, Any],
    *,
    desk_address: str,
    templates: MailTemplates = DEFAULTS,
) -> tuple[list[notices.Notice], list[str]]:
    """The notices owed to the named channels, and a line for each name that names no enabled channel.

    This is the hub's one hook for rules that route to channels: the caller passes the names the decision carries.
    """
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return [], []
    found = {
        row.name: row
        for row in conn.execute(
            select(Channel.name, Channel.kind, Channel.to_address).where(
                Channel.name.in_(wanted), Channel.enabled.is_(True)
            )
        )
    }
    owed: list[notices.Notice] = []
    missing: list[str] = []
    for name in wanted:
        row = found.get(name)
        if row is None:
            missing.append(f"channel {name!r} does not exist or is disabled; nothing sent to it")
        elif row.kind == "email":
            owed.append(notices.channel_mail(dict(facts), recipient=row.to_address, desk_address=desk_address,
                                             templates=templates))  # fmt: skip
        else:
            owed.append(_http_notice(facts, kind=row.kind, channel=name))
    return owed, missing


def _http_notice(facts: Mapping[str, Any], *, kind: str, channel: str) -> notices.Notice:
    delivery_id = str(uuid.uuid4())
    body = f"{facts['summary']}\n{facts['url']}\n"
    return notices.Notice(
        kind=str(facts["kind"]),
        channel=kind,
        recipient=channel,
        subject=str(facts["summary"])[:998],
        text=body,
        headers={"X-Switchboard-Delivery": delivery_id},
        delivery_id=delivery_id,
        data={**facts, "delivery_id": delivery_id},
    )
