"""The provider's key set, fetched again for a token whose key id it lacks at most once per KEYS_REFETCH seconds.

Authlib fetches the key set anew whenever a token names a key id the set held lacks: how a provider's new key is
found after it rotates. The back-channel route takes tokens from anyone, so a flood of tokens naming made-up key
ids would have each web process ask the provider for its keys once per token, turning the hub into an amplifier
against it. A gate per process lets one refetch through per KEYS_REFETCH seconds; within that, the set held is
used, and such a token is refused for its unknown key. Per process rather than per client address (web/ratelimit.py):
what is protected is the provider, whose load is the same whether the flood comes from one address or many, and
the gate needs no Redis round trip. Valid tokens name a key the set holds and never need a refetch, so they keep
working during a flood; a provider's genuinely new key is fetched on its first token unless another refetch
happened within the interval. Imported with web/sso_flow.py, where a provider is set.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from authlib.integrations.flask_client import FlaskOAuth2App

#: The fewest seconds between two fetches of the key set for unknown key ids, per process.
KEYS_REFETCH = 60.0


class RefetchGate:
    """Lets one caller through per `interval` seconds of `clock` (thread-safe: a web worker may serve in threads)."""

    def __init__(self, interval: float = KEYS_REFETCH, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Whether a refetch may happen now; counts it when it may."""
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.interval:
                return False
            self._last = now
            return True


class ThrottledClient(FlaskOAuth2App):
    """Authlib's Flask client, with the key set's refetches for unknown key ids gated (see the module's docstring).
    Registered through `client_cls`, so every token it verifies (ID tokens at login too) goes through the gate."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refetches = RefetchGate()

    def fetch_jwk_set(self, force: bool = False) -> Any:
        """The key set held, fetched when there is none yet, and again when `force`d and the gate allows."""
        held = self.server_metadata.get("jwks")
        if force and held and not self.refetches.allow():
            return held
        return super().fetch_jwk_set(force=force)
