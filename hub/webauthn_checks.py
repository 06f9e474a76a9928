"""WebAuthn's ceremonies in Switchboard's terms: which site a key is made for, the options a browser is handed,
and the checks of what it sends back, through py_webauthn (never crypto or CBOR code of our own).

Pure: the caller passes the challenge it kept (hub/security_keys.py keeps it, once) and what it stored of the key.
The one rule of ours on top of the library's is the signature counter (`sign_count_regressed`), applied only once
the signature is verified, so a forged response cannot get a genuine key called a clone.

py_webauthn (with pyOpenSSL and the ASN.1 parsers it brings, 150 ms) is imported by the functions that call it,
so a web worker starts without it and only the requests of people using keys load it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hub.errors import BadInput

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

RP_NAME = "Switchboard"
#: What the browser is told to wait for a touch of the key; the challenge lives a little longer on the server.
TIMEOUT_MS = 120_000
#: WebAuthn's AuthenticatorTransport values; others a browser invents are dropped, not stored.
TRANSPORTS = frozenset({"usb", "nfc", "ble", "internal", "cable", "hybrid", "smart-card"})
#: Errors py_webauthn raises on an answer it cannot read, besides its own WebAuthnException.
_UNREADABLE = (ValueError, KeyError, TypeError)


class KeyRefused(BadInput):
    """What the browser sent is not a valid answer from a key to the challenge we gave: not this site's, not this
    challenge, a bad signature, or not WebAuthn at all."""


class ClonedKey(BadInput):
    """The key signed with a counter no higher than the one it gave last time: a copy of it is in use elsewhere."""


@dataclass(frozen=True)
class RelyingParty:
    """The site keys are made for: `id` is the host they are bound to, `origin` where the browser must show them."""

    id: str
    origin: str


@dataclass(frozen=True)
class NewKey:
    """What registration keeps of a key: no attestation, since an ITSM hub vets people, not hardware vendors."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str] | None


@dataclass(frozen=True)
class StoredKey:
    """What a login checks an answer against."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: list[str] | None = None


def relying_party(public_url: str | None, request_root: str) -> RelyingParty:
    """SWITCHBOARD_PUBLIC_URL's host when set, since that is where people reach the hub and a key is bound to one
    host for good; else the host this request came to (an installation tried out on localhost). Either way the
    origin is checked in full: scheme, host and port."""
    parts = urlsplit(public_url or request_root)
    host = (parts.hostname or "").lower()
    return RelyingParty(host, f"{parts.scheme}://{parts.netloc}".lower())


def user_handle(user_id: int) -> bytes:
    """The account's handle in the key: stable, so a passkey made again for the same account replaces the old one
    on the authenticator instead of sitting beside it; and only a number, never the person's address."""
    return user_id.to_bytes(8, "big")


def registration_options(rp: RelyingParty, user_id: int, email: str, challenge: bytes, have: list[StoredKey]) -> str:
    """The JSON for navigator.credentials.create(): the keys already registered are excluded, so the browser says
    at once that this one is registered instead of making a second credential on it."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp.id, rp_name=RP_NAME, user_id=user_handle(user_id), user_name=email, challenge=challenge,
        timeout=TIMEOUT_MS, exclude_credentials=[_descriptor(key) for key in have],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )  # fmt: skip
    return options_to_json(options)


def authentication_options(rp: RelyingParty, challenge: bytes, keys: list[StoredKey]) -> str:
    """The JSON for navigator.credentials.get(): only this person's keys are allowed, since the password named
    them already (a second factor, not a username-less login)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=rp.id, challenge=challenge, timeout=TIMEOUT_MS, allow_credentials=[_descriptor(key) for key in keys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )  # fmt: skip
    return options_to_json(options)


def _descriptor(key: StoredKey) -> PublicKeyCredentialDescriptor:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    transports = [AuthenticatorTransport(t) for t in key.transports or () if t in TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=key.credential_id, transports=transports or None)


def verify_new_key(rp: RelyingParty, challenge: bytes, credential: dict[str, Any]) -> NewKey:
    """The key a browser made for our registration challenge, on this site. Raises KeyRefused otherwise."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin
        )
    except (WebAuthnException, *_UNREADABLE) as exc:
        raise KeyRefused(f"the key's answer was not accepted ({exc})") from None
    response = credential.get("response")
    said = response.get("transports") if isinstance(response, dict) else None
    transports = sorted({t for t in said if t in TRANSPORTS}) if isinstance(said, list) else None
    return NewKey(verified.credential_id, verified.credential_public_key, verified.sign_count, transports or None)


def credential_id_of(credential: dict[str, Any]) -> bytes | None:
    """Which key an answer says it comes from (its rawId), or None when it names none readably."""
    raw = credential.get("rawId")
    if not isinstance(raw, str) or not raw or len(raw) > 1400:
        return None
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=True) or None
    except (ValueError, binascii.Error):
        return None


def sign_count_regressed(stored: int, received: int) -> bool:
    """Whether a key's signature counter failed to move on (WebAuthn section 6.1.1). Keys that keep no counter
    (many passkeys) send 0 every time, which is no sign of a copy; once a key has counted, every answer must count
    higher, or two keys share the secret."""
    return (stored > 0 or received > 0) and received <= stored


def verify_login(rp: RelyingParty, challenge: bytes, credential: dict[str, Any], key: StoredKey) -> int:
    """The key's new signature count, when `credential` is its signature over our login challenge, on this site.
    Raises KeyRefused, or ClonedKey when a verified signature came with a counter that did not move on."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        # The library's own counter check is switched off (0): it would refuse before the signature is verified,
        # in words that do not tell a copied key from a forged answer.
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin,
            credential_public_key=key.public_key, credential_current_sign_count=0,
        )  # fmt: skip
    except (WebAuthnException, *_UNREADABLE) as exc:
        raise KeyRefused(f"the key's answer was not accepted ({exc})") from None
    if sign_count_regressed(key.sign_count, verified.new_sign_count):
        raise ClonedKey(
            f"this key's signature counter went back (from {key.sign_count} to {verified.new_sign_count}), which "
            "happens when a copy of the key is in use somewhere else"
        )
    return verified.new_sign_count
