"""The WSGI entry point for gunicorn (`web.wsgi:app`): settings come from the environment, read once.

Importing and building the app makes some 200,000 objects that live as long as the worker, and next to no garbage.
With the cyclic garbage collector on, it walked them over and over meanwhile (130 ms of CPU, of a 1 s start) and
again in every full collection while serving (110 ms each on a two-core machine). So the collector
waits until the app is built, then what exists is frozen (the recipe in Python's `gc.freeze` documentation):
later collections look only at what requests make."""

import gc

gc.disable()
try:
    from hub import telemetry
    from hub.config import Settings
    from web import create_app

    telemetry.configure_logging("web")
    app = create_app(Settings.from_env())
    gc.freeze()
finally:
    gc.enable()
