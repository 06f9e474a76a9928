"""Sealing secrets at rest (pure): what a stolen database holds of them, and every way a sealed value is refused."""

from __future__ import annotations

import base64

import pytest

from hub import sealed
from hub.config import Settings
from hub.sealed import CannotOpen, Keyring

KEYS = Keyring.derive("the key of today")
COLUMN = sealed.Column("users.totp_secret", "the two-factor authenticator secret", "reset it")
HERE = COLUMN.at(7)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def flipped(stored: str, at: int) -> str:
    """The sealed value with one bit of its sealed bytes changed, as an attacker or a bad disk would leave it."""
    head, _, body = stored.rpartition(":")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[at] ^= 1
    return f"{head}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"


def test_a_sealed_secret_opens_to_what_was_sealed() -> None:
    assert sealed.unseal(KEYS, sealed.seal(KEYS, SECRET, HERE), HERE) == SECRET


def test_sealed_text_is_recognisable_versioned_and_holds_no_trace_of_the_secret() -> None:
    stored = sealed.seal(KEYS, SECRET, HERE)
    assert stored.startswith("sealed:v1:") and sealed.is_sealed(stored)
    assert SECRET not in stored and SECRET.lower() not in stored.lower()


def test_each_sealing_has_its_own_nonce_so_equal_secrets_do_not_look_equal() -> None:
    assert sealed.seal(KEYS, SECRET, HERE) != sealed.seal(KEYS, SECRET, HERE)


@pytest.mark.parametrize("at", [0, 11, 12, -1], ids=["nonce", "nonce end", "ciphertext", "tag"])
def test_a_changed_sealed_value_is_refused_as_altered(at: int) -> None:
    with pytest.raises(CannotOpen, match="changed in the database, or copied there") as refused:
        sealed.unseal(KEYS, flipped(sealed.seal(KEYS, SECRET, HERE), at), HERE)
    assert "Set it anew: reset it" in str(refused.value)


@pytest.mark.parametrize("stored", ["sealed:v1:", "sealed:v1:%s", "sealed:v1:%s:AAAA", "sealed:v1:%s:!!not base64"])
def test_a_cut_or_garbled_sealed_value_is_refused_as_altered(stored: str) -> None:
    with pytest.raises(CannotOpen, match="changed in the database"):
        sealed.unseal(KEYS, stored.replace("%s", KEYS.current.id), HERE)


def test_a_value_moved_to_another_row_does_not_open_there() -> None:
    stored = sealed.seal(KEYS, SECRET, HERE)
    with pytest.raises(CannotOpen, match="of users row 8 does not open"):
        sealed.unseal(KEYS, stored, COLUMN.at(8))


def test_a_value_moved_to_another_column_does_not_open_there() -> None:
    stored = sealed.seal(KEYS, SECRET, HERE)
    elsewhere = sealed.Column("channels.signing_secret", "the webhook channel's signing secret", "recreate it")
    with pytest.raises(CannotOpen, match="copied there from another row or column"):
        sealed.unseal(KEYS, stored, elsewhere.at(HERE.row))


def test_a_value_sealed_under_another_secret_key_says_it_changed_and_what_to_do() -> None:
    stored = sealed.seal(Keyring.derive("the key of yesterday"), SECRET, HERE)
    with pytest.raises(CannotOpen) as refused:
        sealed.unseal(KEYS, stored, HERE)
    message = str(refused.value)
    assert message.startswith("the two-factor authenticator secret of users row 7 was sealed under another SECRET_KEY")
    for advice in ("SECRET_KEY changed", "SWITCHBOARD_OLD_SECRET_KEYS", "switchboard db reseal", "reset it"):
        assert advice in message


def test_a_former_key_still_opens_what_it_sealed() -> None:
    stored = sealed.seal(Keyring.derive("the key of yesterday"), SECRET, HERE)
    rotated = Keyring.derive("the key of today", ["the key of last year", "the key of yesterday"])
    assert sealed.unseal(rotated, stored, HERE) == SECRET


def test_a_former_key_does_not_open_a_value_moved_to_another_row() -> None:
    stored = sealed.seal(Keyring.derive("the key of yesterday"), SECRET, HERE)
    with pytest.raises(CannotOpen, match="copied there"):
        sealed.unseal(Keyring.derive("the key of today", ["the key of yesterday"]), stored, COLUMN.at(8))


def test_new_values_are_sealed_under_the_current_key_only() -> None:
    stored = sealed.seal(Keyring.derive("the key of today", ["the key of yesterday"]), SECRET, HERE)
    assert sealed.unseal(KEYS, stored, HERE) == SECRET
    with pytest.raises(CannotOpen, match="another SECRET_KEY"):
        sealed.unseal(Keyring.derive("the key of yesterday"), stored, HERE)


def test_resealing_moves_a_value_from_a_former_key_to_the_current_one() -> None:
    rotated = Keyring.derive("the key of today", ["the key of yesterday"])
    again = sealed.resealed(rotated, sealed.seal(Keyring.derive("the key of yesterday"), SECRET, HERE), HERE)
    assert again is not None and sealed.unseal(KEYS, again, HERE) == SECRET


def test_resealing_leaves_a_value_under_the_current_key_as_it_is() -> None:
    assert sealed.resealed(KEYS, sealed.seal(KEYS, SECRET, HERE), HERE) is None


def test_resealing_refuses_an_altered_value_rather_than_passing_it_over() -> None:
    with pytest.raises(CannotOpen, match="changed in the database"):
        sealed.resealed(KEYS, flipped(sealed.seal(KEYS, SECRET, HERE), -1), HERE)


def test_a_plain_value_from_before_sealing_is_read_as_it_is_and_resealing_seals_it() -> None:
    assert not sealed.is_sealed(SECRET) and sealed.unseal(KEYS, SECRET, HERE) == SECRET
    again = sealed.resealed(KEYS, SECRET, HERE)
    assert again is not None and sealed.is_sealed(again) and sealed.unseal(KEYS, again, HERE) == SECRET


def test_a_value_sealed_by_a_newer_scheme_asks_for_that_version() -> None:
    with pytest.raises(CannotOpen, match=r"newer version of Switchboard \(scheme 'v2'"):
        sealed.unseal(KEYS, "sealed:v2:whatever", HERE)


def test_the_sealing_key_is_derived_for_this_purpose_not_the_secret_key_itself() -> None:
    """Sessions and mail links are signed with SECRET_KEY itself: a sealing key equal to it, or a key id that is a
    plain digest of it, would tie the uses together."""
    import hashlib

    stored = sealed.seal(KEYS, SECRET, HERE)
    key_id = stored.split(":")[2]
    assert len(key_id) == 8 and key_id not in hashlib.sha256(b"the key of today").hexdigest()


def test_old_secret_keys_come_from_the_environment_comma_separated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"SWITCHBOARD_HOME": str(tmp_path), "SECRET_KEY": "now", "SWITCHBOARD_OLD_SECRET_KEYS": " before, , older "}
    settings = Settings.from_env(env)
    assert settings.old_secret_keys == ("before", "older") and "before" not in repr(settings)
    stored = sealed.seal(Keyring.derive("older"), SECRET, HERE)
    assert sealed.unseal(Keyring.of(settings), stored, HERE) == SECRET
