"""Where the tool behind an integration posts, and how it sends its secret: one table for the setup snippets an admin
copies (ingest/webhooks/setup.py) and what `switchboard integration create` says. It lives in the hub, which every
layer may import. Most kinds post to /api/v1/events/<name> with `Authorization: Bearer <secret>`; PagerDuty and
Opsgenie senders keep their own API's shape, so those tools need only a base URL and a key."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Door:
    path: str  # relative to the hub's base URL
    scheme: str = "Bearer"  # the Authorization header's scheme; empty when the secret travels in the body
    body_key: str = ""  # the JSON field that carries the secret instead of a header

    def said(self) -> str:
        """How a person is told: `posts to /v2/alerts with 'Authorization: GenieKey <secret>'`."""
        how = f"the secret as its {self.body_key}" if self.body_key else f"'Authorization: {self.scheme} <secret>'"
        return f"posts to {self.path} with {how}"


OWN_API_DOORS = {
    "pagerduty": Door("/v2/enqueue", scheme="", body_key="routing_key"),
    "opsgenie": Door("/v2/alerts", scheme="GenieKey"),
}


#: What an integration's name does, for `switchboard integration create --name`'s help and the new-integration form's
#: hint: most kinds' URL; the kinds that keep their own API's shape are told apart by the secret.
NAME_USE = (
    "Most kinds post to /api/v1/events/<name>, but "
    + " and ".join(f"{kind} to {spot.path}" for kind, spot in OWN_API_DOORS.items())
    + ", whatever the name (the secret says which integration it is)."
)


def door(kind: str, name: str) -> Door:
    """The door of integration `name` of `kind`."""
    return OWN_API_DOORS.get(kind) or Door(f"/api/v1/events/{name}")
