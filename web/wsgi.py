"""The WSGI entry point for gunicorn (`web.wsgi:app`): settings come from the environment, read once."""

from hub import telemetry
from hub.config import Settings
from web import create_app

telemetry.configure_logging("web")
app = create_app(Settings.from_env())
