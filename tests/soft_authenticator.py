"""A security key in software, for tests: a P-256 key pair that answers WebAuthn ceremonies as a real key does
(CTAP2 authenticator data, "none" attestation, ES256 signatures), with a counter a test can set back to play a
cloned key. What it produces is checked by py_webauthn exactly as a browser's answer would be."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftKey:
    origin: str
    rp_id: str
    sign_count: int = 0
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    private: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def _cose(self) -> bytes:
        numbers = self.private.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _auth_data(self, *, attested: bool) -> bytes:
        flags = 0x01 | 0x04 | (0x40 if attested else 0)  # user present, verified, attested credential data
        data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        if attested:
            data += bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose()
        return data

    def _client_data(self, kind: str, options: dict[str, Any], origin: str | None) -> bytes:
        said = {"type": kind, "challenge": options["challenge"], "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(said).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The answer to navigator.credentials.create() with these options (as the server sent them)."""
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": self._auth_data(attested=True)})
        client_data = self._client_data("webauthn.create", options, origin)
        response = {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation), "transports": ["usb"]}
        return {"id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
                "response": response, "clientExtensionResults": {}}  # fmt: skip

    def get(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The answer to navigator.credentials.get(): the counter moves on by one, as a key's does."""
        self.sign_count += 1
        auth_data = self._auth_data(attested=False)
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.private.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                    "signature": b64(signature)}  # fmt: skip
        return {"id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
                "response": response, "clientExtensionResults": {}}  # fmt: skip
