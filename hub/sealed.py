"""Secrets Switchboard must read back, sealed at rest, so a stolen database file or dump does not give them away.

Some secrets cannot be hashed because Switchboard uses them itself: a person's authenticator secret (to check their
codes), a webhook channel's signing key (to sign each delivery), a mailbox password typed in (to log in). Each is
stored sealed: AES-256-GCM under a key derived with HKDF-SHA256 from SECRET_KEY for this purpose alone, with a fresh
random 96-bit nonce per value. The associated data names the value's place (`users.totp_secret:7`), so a sealed
value copied into another row or column does not open there.

Stored text: `sealed:v1:<key id>:<base64url of nonce, ciphertext and tag>`. The version lets the scheme change. The
key id (four bytes derived from SECRET_KEY under another label, so it tells nothing of the key) says which key
sealed a value: a value sealed under a SECRET_KEY this process lacks is told apart from one that was altered, and
each gets its own advice. Rotation: the former keys in SWITCHBOARD_OLD_SECRET_KEYS still open what they sealed,
and `switchboard db reseal` (hub/reseal.py) seals everything again under the current key.

A value stored before sealing existed is plain; it is read as it is until it is written again or resealed.

Pure: no I/O. Keys are derived once per SECRET_KEY and kept for the life of the process.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.errors import ConfigError

if TYPE_CHECKING:
    from hub.config import Settings

PREFIX = "sealed:"
VERSION = "v1"
#: What the derived keys are for: the same SECRET_KEY signs sessions and links, each use under its own label.
PURPOSE = b"switchboard: secrets sealed at rest, v1"
_KEY_ID_PURPOSE = b"switchboard: which key sealed a secret, v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16
#: Advice for a value sealed under a key this process does not have.
ROTATE = (
    "SECRET_KEY changed since. Put the key it had before in SWITCHBOARD_OLD_SECRET_KEYS (comma-separated, with any "
    "older ones) on every process, restart them, then run `switchboard db reseal`"
)


class CannotOpen(ConfigError):
    """A sealed secret does not open here; the message says why (another key, an altered value) and what to do."""


@dataclass(frozen=True)
class Column:
    """A column that holds sealed secrets, with the words its errors use."""

    name: str  # "<table>.<column>", part of every value's associated data
    what: str  # "the two-factor authenticator secret"
    anew: str  # how to set one anew when the key that sealed it is lost

    def at(self, row: int) -> Place:
        return Place(self, row)


@dataclass(frozen=True)
class Place:
    """Where one sealed value lives: its column and its row's id, both bound into the seal."""

    column: Column
    row: int

    def __str__(self) -> str:
        return f"{self.column.name}:{self.row}"

    @property
    def named(self) -> str:
        table = self.column.name.partition(".")[0]
        return f"{self.column.what} of {table} row {self.row}"


@dataclass(frozen=True)
class _Key:
    id: str  # 8 hex digits, written into each value it seals
    aead: AESGCM = field(repr=False, compare=False)


@dataclass(frozen=True)
class Keyring:
    """The key that seals (from SECRET_KEY) and the former ones that still open (SWITCHBOARD_OLD_SECRET_KEYS)."""

    current: _Key
    older: tuple[_Key, ...] = ()

    @classmethod
    def derive(cls, secret_key: str, old_secret_keys: Sequence[str] = ()) -> Keyring:
        current = _derive(secret_key)
        older = tuple(dict.fromkeys(_derive(k) for k in old_secret_keys if k and k != secret_key))
        return cls(current, older)

    @classmethod
    def of(cls, settings: Settings) -> Keyring:
        return cls.derive(settings.secret_key, settings.old_secret_keys)

    def by_id(self, key_id: str) -> _Key | None:
        return next((k for k in (self.current, *self.older) if k.id == key_id), None)


@lru_cache(maxsize=16)
def _derive(secret_key: str) -> _Key:
    """Cheap, but a web worker asks on every request of a person with two-factor on: derived once per key."""
    ikm = secret_key.encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(ikm)
    key_id = HKDF(algorithm=hashes.SHA256(), length=4, salt=None, info=_KEY_ID_PURPOSE).derive(ikm)
    return _Key(key_id.hex(), AESGCM(key))


def is_sealed(stored: str) -> bool:
    """Whether a stored value is sealed (of any version); a plain value from before sealing is not."""
    return stored.startswith(PREFIX)


def seal(keys: Keyring, plain: str, place: Place) -> str:
    """`plain` sealed under the current key for `place`: different text each time, the same secret inside."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = keys.current.aead.encrypt(nonce, plain.encode(), _associated(place, keys.current.id))
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{PREFIX}{VERSION}:{keys.current.id}:{body}"


def unseal(keys: Keyring, stored: str, place: Place) -> str:
    """The secret in a stored value: a sealed one opened, a plain one from before sealing as it is.

    Raises CannotOpen, saying what to do, for a value sealed under a key this process lacks, one altered or moved
    from another place, and one sealed by a newer scheme.
    """
    if not is_sealed(stored):
        return stored
    key, nonce, sealed = _parts(keys, stored, place)
    try:
        return key.aead.decrypt(nonce, sealed, _associated(place, key.id)).decode()
    except (InvalidTag, UnicodeDecodeError):
        raise _altered(place) from None


def resealed(keys: Keyring, stored: str, place: Place) -> str | None:
    """The value to store instead, sealed under the current key; None when it is sealed under it already (and
    opens: a value that does not is never passed over)."""
    plain = unseal(keys, stored, place)
    if is_sealed(stored) and _split(stored)[1] == keys.current.id:
        return None
    return seal(keys, plain, place)


def _associated(place: Place, key_id: str) -> bytes:
    return f"{PREFIX}{VERSION}:{key_id}:{place}".encode()


def _split(stored: str) -> tuple[str, str, str]:
    """(version, key id, body) of a sealed value; missing parts are empty."""
    version, _, rest = stored.removeprefix(PREFIX).partition(":")
    key_id, _, body = rest.partition(":")
    return version, key_id, body


def _parts(keys: Keyring, stored: str, place: Place) -> tuple[_Key, bytes, bytes]:
    version, key_id, body = _split(stored)
    if version != VERSION:
        raise CannotOpen(
            f"{place.named} was sealed by a newer version of Switchboard (scheme {version!r}; this one knows "
            f"{VERSION!r}): run that version, or set it anew: {place.column.anew}"
        )
    key = keys.by_id(key_id)
    if key is None and len(key_id) == 8:
        raise CannotOpen(f"{place.named} was sealed under another SECRET_KEY than this process has: {ROTATE}. "
                         f"If that key is lost, set it anew: {place.column.anew}")  # fmt: skip
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise _altered(place) from None
    if key is None or len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise _altered(place)
    return key, raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]


def _altered(place: Place) -> CannotOpen:
    return CannotOpen(
        f"{place.named} does not open under this SECRET_KEY: it was changed in the database, or copied there from "
        f"another row or column. Set it anew: {place.column.anew}"
    )
