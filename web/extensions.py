"""Flask extensions, created unbound here and attached to each app with `init_app` (as in Flask's tutorial)."""

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
