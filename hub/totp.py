"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as every authenticator app computes them.

Pure: the caller passes the time and the last step it accepted, and stores what is returned. SHA-1, 6 digits and
30-second steps are what Google Authenticator, Aegis, 1Password and the rest agree on; the RFCs' own test vectors
are in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
#: Steps either side of now that still count: a phone's clock a little off, or a code typed as it turned over.
DRIFT = 1
ISSUER = "Switchboard"


def new_secret() -> str:
    """160 random bits in base32, the length RFC 4226 recommends and the alphabet authenticator apps read."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def step_at(now: float) -> int:
    return int(now // STEP_SECONDS)


def code_at(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code an authenticator shows during one step (RFC 4226 section 5.3's dynamic truncation)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def normalise(typed: str) -> str:
    """What people type: spaces and dashes as apps group the digits ("123 456") are dropped."""
    return "".join(ch for ch in typed if ch not in " -\t")


def accepted_step(secret: str, typed: str, now: float, *, after: int | None = None) -> int | None:
    """The step whose code was typed, if it is within DRIFT of now and later than `after` (the last step this
    secret was accepted at), else None. Refusing a step already used stops a code overheard or phished from being
    replayed within its 90 seconds."""
    code = normalise(typed)
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_at(now)
    for step in range(current - DRIFT, current + DRIFT + 1):
        if (after is None or step > after) and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str = ISSUER) -> str:
    """The `otpauth://` URI a QR code carries (Google Authenticator's key-URI format, which every app reads)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP_SECONDS})  # fmt: skip
    return f"otpauth://totp/{label}?{query}"


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
