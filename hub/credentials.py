"""Passwords (argon2) and machine credentials (random tokens stored as SHA-256 digests).

Integration secrets and API tokens are 256-bit random values, so a fast hash is safe for them and keeps the
ingest path quick; people's passwords are low-entropy and get argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_fingerprint(password_hash: str) -> str:
    """A short digest of a password hash: what links and sessions that a new password must end carry."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def new_token(prefix: str) -> str:
    """A credential shown once; the prefix tells a leaked one's kind at a glance (`sbi_`, `sbt_`)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(token), stored_digest)
