"""The time zone a page shows and reads times in, and the template filters that show them.

A logged-in person's pages use their own zone (chosen on /account), else the installation's
`SWITCHBOARD_TIMEZONE`. Pages anyone may open without a login (help centre, status page, a requester's or an
acknowledgement's link) use the installation's, the same for every reader: some of them are kept by shared caches.
The arithmetic is hub/zones.py's; this module only decides whose zone applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, g, has_request_context, request
from flask_login import current_user
from markupsafe import Markup

from hub import zones
from web.services import services

_PUBLIC = "switchboard.public_blueprints"


def init_app(app: Flask, public: Iterable[Blueprint]) -> None:
    """Register the filters; the blueprints in `public` serve pages without a login (the installation's zone)."""
    app.extensions[_PUBLIC] = frozenset(bp.name for bp in public)
    app.add_template_filter(when)
    app.add_template_filter(iso)
    app.add_template_global(time_zone)


def viewer_zone() -> ZoneInfo:
    """The zone this request's page shows and reads times in (worked out once per request)."""
    if "viewer_zone" not in g:
        default = services().settings.timezone
        personal = (
            has_request_context()
            and request.blueprint not in current_app.extensions.get(_PUBLIC, ())
            and current_user.is_authenticated
        )
        g.viewer_zone = zones.zone_for(current_user.timezone if personal else None, default)
    found: ZoneInfo = g.viewer_zone
    return found


def time_zone() -> str:
    """The name of the viewer's zone, for labels: `times in Europe/Berlin`, `Planned start (Europe/Berlin)`."""
    return viewer_zone().key


def when(value: datetime | None) -> str:
    """A timestamp people read at a glance, in the viewer's zone: `2026-11-27 10:14 CET`. Outside UTC it carries
    the UTC time as its title, so everyone on a call can still agree on one clock (HTML: not for attributes;
    `|striptags` gives the text alone)."""
    if value is None:
        return "—"
    shown, utc = zones.wall_clock(value, viewer_zone()), zones.wall_clock(value, zones.zone_of(zones.DEFAULT))
    return shown if shown == utc else Markup('<span title="{}">{}</span>').format(utc, shown)


def iso(value: datetime | None) -> str:
    """The exact instant, for a `<time datetime>` attribute and machines."""
    return value.astimezone(UTC).isoformat() if value is not None else ""
