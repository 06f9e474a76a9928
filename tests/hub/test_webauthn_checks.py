"""WebAuthn's checks in our terms (hub/webauthn_checks.py), against a software key whose answers py_webauthn
verifies as it would a browser's."""

from __future__ import annotations

import json
import secrets

import pytest

from hub.webauthn_checks import (
    ClonedKey,
    KeyRefused,
    RelyingParty,
    StoredKey,
    authentication_options,
    credential_id_of,
    registration_options,
    relying_party,
    sign_count_regressed,
    verify_login,
    verify_new_key,
)
from tests.soft_authenticator import SoftKey, b64

RP = RelyingParty("desk.example.com", "https://desk.example.com")


def registered(key: SoftKey) -> StoredKey:
    challenge = secrets.token_bytes(32)
    options = json.loads(registration_options(RP, 7, "ann@example.com", challenge, []))
    new = verify_new_key(RP, challenge, key.create(options))
    return StoredKey(new.credential_id, new.public_key, new.sign_count, new.transports)


def login_answer(key: SoftKey, stored: StoredKey, **kw: str) -> tuple[bytes, dict[str, object]]:
    challenge = secrets.token_bytes(32)
    options = json.loads(authentication_options(RP, challenge, [stored]))
    return challenge, key.get(options, **kw)


def test_the_relying_party_is_the_public_urls_host_with_its_full_origin() -> None:
    assert relying_party("https://Desk.Example.com:8443/x", "http://10.0.0.5:8000/") == RelyingParty(
        "desk.example.com", "https://desk.example.com:8443"
    )


def test_without_a_public_url_the_relying_party_is_the_host_the_request_came_to() -> None:
    assert relying_party(None, "http://localhost:5000/") == RelyingParty("localhost", "http://localhost:5000")


def test_a_counter_that_did_not_move_on_is_a_regression_unless_the_key_keeps_none() -> None:
    assert sign_count_regressed(5, 5) and sign_count_regressed(5, 4) and sign_count_regressed(5, 0)
    assert not sign_count_regressed(5, 6) and not sign_count_regressed(0, 0) and not sign_count_regressed(0, 1)


def test_registration_options_exclude_the_keys_already_registered_and_name_no_address_in_the_handle() -> None:
    have = StoredKey(b"\x01\x02", b"pk", 0, ["usb", "warp-drive"])
    options = json.loads(registration_options(RP, 7, "ann@example.com", b"c" * 32, [have]))
    assert options["rp"] == {"name": "Switchboard", "id": "desk.example.com"}
    assert options["excludeCredentials"] == [{"id": b64(b"\x01\x02"), "type": "public-key", "transports": ["usb"]}]
    assert "ann" not in options["user"]["id"] and options["user"]["name"] == "ann@example.com"


def test_a_new_key_is_kept_with_its_public_key_counter_and_transports() -> None:
    key = SoftKey(RP.origin, RP.id, sign_count=3)
    stored = registered(key)
    assert (stored.credential_id, stored.sign_count, stored.transports) == (key.credential_id, 3, ["usb"])


def test_a_key_made_for_another_origin_is_refused_at_registration() -> None:
    key = SoftKey("https://desk.example.com.evil.test", RP.id)
    challenge = secrets.token_bytes(32)
    options = json.loads(registration_options(RP, 7, "ann@example.com", challenge, []))
    with pytest.raises(KeyRefused, match="origin"):
        verify_new_key(RP, challenge, key.create(options))


def test_a_login_signed_by_the_key_gives_its_new_counter() -> None:
    key = SoftKey(RP.origin, RP.id)
    stored = registered(key)
    challenge, answer = login_answer(key, stored)
    assert verify_login(RP, challenge, answer, stored) == 1


def test_a_login_answer_phished_through_another_origin_is_refused() -> None:
    key = SoftKey(RP.origin, RP.id)
    stored = registered(key)
    challenge, answer = login_answer(key, stored, origin="https://desk-example.com")
    with pytest.raises(KeyRefused, match="origin"):
        verify_login(RP, challenge, answer, stored)


def test_a_login_answer_to_another_challenge_is_refused() -> None:
    key = SoftKey(RP.origin, RP.id)
    stored = registered(key)
    _, answer = login_answer(key, stored)
    with pytest.raises(KeyRefused, match="challenge"):
        verify_login(RP, secrets.token_bytes(32), answer, stored)


def test_a_signature_by_another_key_is_refused() -> None:
    stored = registered(SoftKey(RP.origin, RP.id))
    impostor = SoftKey(RP.origin, RP.id, credential_id=stored.credential_id)
    challenge, answer = login_answer(impostor, stored)
    with pytest.raises(KeyRefused, match="signature"):
        verify_login(RP, challenge, answer, stored)


def test_a_verified_signature_whose_counter_went_back_is_a_cloned_key() -> None:
    key = SoftKey(RP.origin, RP.id)
    stored = registered(key)
    seen = StoredKey(stored.credential_id, stored.public_key, 10, None)  # the original had counted to 10
    challenge, answer = login_answer(key, seen)  # the copy counts 1
    with pytest.raises(ClonedKey, match="from 10 to 1"):
        verify_login(RP, challenge, answer, seen)


def test_an_answer_that_is_not_webauthn_is_refused_not_a_crash() -> None:
    stored = registered(SoftKey(RP.origin, RP.id))
    with pytest.raises(KeyRefused):
        verify_login(RP, b"c" * 32, {"id": "x", "rawId": "x", "response": "nope"}, stored)


def test_the_credential_id_is_read_from_raw_id_or_none() -> None:
    assert credential_id_of({"rawId": b64(b"\xff\x00")}) == b"\xff\x00"
    assert credential_id_of({"rawId": "!!"}) is None and credential_id_of({}) is None
