"""What a heartbeat's fields take, in the words `switchboard heartbeat add`'s help and the integration page's form
both give (as hub/integration_settings.py's HELP does for the settings). Pure, and free of sqlalchemy, so the
command's `--help` stays quick."""

from __future__ import annotations

from datetime import timedelta

from hub.durations import typed_duration

#: The shortest and longest promise a heartbeat may make: hub.heartbeats refuses others.
MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=31)

#: Each field's hint, by the command's option name.
HELP = {
    "name": "What to call it: watchdog, nightly-backup",
    "every": f"How often a ping is promised: 5m, 1h, 1d ({typed_duration(MIN_INTERVAL)} to "
    f"{typed_duration(MAX_INTERVAL)})",
}
