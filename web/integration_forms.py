"""The integration page's forms for its settings and heartbeats (web/integration_settings.py saves them)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from hub.heartbeat_words import HELP as HEARTBEAT_HELP
from hub.integration_settings import HELP, Configured, typed
from hub.names import NAME_WIDTH

_TYPED = Length(max=40)  # `3/5m` and its like are short; a longer one is a paste gone wrong


class SettingsForm(FlaskForm):
    """An integration's settings as `switchboard integration set` takes them, each field named for its keyword in
    hub.accounts.configure_integration (so a BadField lands beside its field); empty means none."""

    rate_limit = StringField("Rate limit (requests per minute)", validators=[_TYPED], description=HELP["rate_limit"])
    reopen_window = StringField("Reopen window", validators=[_TYPED], description=HELP["reopen_window"])
    auto_resolve_after = StringField("Auto-resolve after", validators=[_TYPED], description=HELP["auto_resolve_after"])
    threshold = StringField("Threshold", validators=[_TYPED], description=HELP["threshold"])
    flapping = StringField("Flapping", validators=[_TYPED], description=HELP["flapping"])

    def fill(self, row: Configured) -> SettingsForm:
        """Start from the integration's current values (what a GET shows)."""
        for key, text in typed(row).items():
            self[key].data = text
        return self


class HeartbeatForm(FlaskForm):
    """`switchboard heartbeat add`'s fields."""

    heartbeat = StringField("Name", validators=[Length(max=NAME_WIDTH)], description=HEARTBEAT_HELP["name"])
    every = StringField("Every", validators=[Length(max=40)], description=HEARTBEAT_HELP["every"])
