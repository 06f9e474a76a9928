"""Recovery codes as a property of having any second factor (hub/recovery_codes.py): made with the first, of either
kind, kept while one remains, dropped with the last, and good at the second step whichever factors a person has;
on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete, select

from hub import accounts, recovery_codes, security_keys, totp, two_factor
from hub.db import Database
from hub.models import RecoveryCode, SecurityKey
from hub.webauthn_checks import RelyingParty
from tests.conftest import KEYS
from tests.soft_authenticator import SoftKey, b64

RP = RelyingParty("desk.example.com", "https://desk.example.com")


@pytest.fixture
def ann(database: Database) -> int:
    with database.transaction() as session:
        return accounts.create_user(session, email="ann@example.com", password="correct horse", role="agent").id


def add_key(database: Database, user_id: int, name: str = "YubiKey 5") -> security_keys.Added:
    now = time.time()
    with database.transaction() as session:
        made = security_keys.new_challenge(session, user_id, "register", now)
        answer = SoftKey(RP.origin, RP.id).create({"challenge": b64(made.value)})
        return security_keys.add(session, user_id, name, RP, made.ref, answer, now)


def key_id(database: Database, name: str) -> int:
    with database.read() as session:
        return session.scalars(select(SecurityKey.id).where(SecurityKey.name == name)).one()


def turn_on_app(database: Database, user_id: int) -> list[str]:
    secret, now = totp.new_secret(), time.time() - 60  # a code from a minute ago: the login's are left unused
    with database.transaction() as session:
        return two_factor.turn_on(session, user_id, secret, totp.code_at(secret, totp.step_at(now)), now, keys=KEYS)


def passes(database: Database, user_id: int, typed: str) -> bool:
    with database.transaction() as session:
        return two_factor.check(session, user_id, typed, time.time(), keys=KEYS) == "recovery"


def codes_kept(database: Database, user_id: int) -> int:
    with database.read() as session:
        return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user_id)).all())


def test_a_first_key_comes_with_ten_recovery_codes(database: Database, ann: int) -> None:
    codes = add_key(database, ann).recovery_codes
    assert len(codes) == len(set(codes)) == recovery_codes.COUNT
    with database.read() as session:
        assert two_factor.standing(session, ann).recovery_left == recovery_codes.COUNT


def test_a_recovery_code_passes_the_second_step_of_someone_with_keys_only(database: Database, ann: int) -> None:
    codes = add_key(database, ann).recovery_codes
    assert passes(database, ann, codes[0].upper())
    assert not passes(database, ann, codes[0])  # once


def test_a_second_key_leaves_the_codes_as_they_are(database: Database, ann: int) -> None:
    first = add_key(database, ann).recovery_codes
    assert add_key(database, ann, "Laptop").recovery_codes == []
    assert passes(database, ann, first[0])


def test_the_app_turned_on_beside_a_key_gives_no_new_codes_and_keeps_the_keys(database: Database, ann: int) -> None:
    first = add_key(database, ann).recovery_codes
    assert turn_on_app(database, ann) == []
    assert passes(database, ann, first[0])


def test_a_key_added_beside_the_app_keeps_the_apps_codes(database: Database, ann: int) -> None:
    first = turn_on_app(database, ann)
    assert add_key(database, ann).recovery_codes == []
    assert passes(database, ann, first[0])


def test_codes_all_used_are_not_replaced_by_a_new_factor(database: Database, ann: int) -> None:
    """Used codes are still the person's set: a new set is theirs to ask for (`renew`), not a side effect."""
    for code in add_key(database, ann).recovery_codes:
        assert passes(database, ann, code)
    assert turn_on_app(database, ann) == []


def test_someone_with_a_key_from_before_codes_came_with_keys_gets_them_with_their_next(
    database: Database, ann: int
) -> None:
    add_key(database, ann)
    with database.transaction() as session:
        session.execute(delete(RecoveryCode))  # as a key added before this release left them: none
    assert len(add_key(database, ann, "Laptop").recovery_codes) == recovery_codes.COUNT


def test_turning_the_app_off_keeps_the_codes_while_a_key_remains(database: Database, ann: int) -> None:
    first = turn_on_app(database, ann)
    add_key(database, ann)
    with database.transaction() as session:
        two_factor.turn_off(session, ann)
    assert passes(database, ann, first[0])


def test_removing_a_key_keeps_the_codes_while_the_app_remains(database: Database, ann: int) -> None:
    first = turn_on_app(database, ann)
    add_key(database, ann)
    with database.transaction() as session:
        security_keys.remove(session, ann, key_id(database, "YubiKey 5"))
    assert passes(database, ann, first[0])


def test_removing_one_of_two_keys_keeps_the_codes(database: Database, ann: int) -> None:
    first = add_key(database, ann).recovery_codes
    add_key(database, ann, "Laptop")
    with database.transaction() as session:
        security_keys.remove(session, ann, key_id(database, "Laptop"))
    assert passes(database, ann, first[0])


def test_removing_the_last_key_drops_the_codes(database: Database, ann: int) -> None:
    add_key(database, ann)
    with database.transaction() as session:
        security_keys.remove(session, ann, key_id(database, "YubiKey 5"))
    assert codes_kept(database, ann) == 0


def test_turning_the_app_off_with_no_key_left_drops_the_codes(database: Database, ann: int) -> None:
    turn_on_app(database, ann)
    with database.transaction() as session:
        two_factor.turn_off(session, ann)
    assert codes_kept(database, ann) == 0


def test_an_admins_reset_drops_the_codes_with_the_app_and_the_keys(database: Database, ann: int) -> None:
    turn_on_app(database, ann)
    add_key(database, ann)
    with database.transaction() as session:
        two_factor.reset(session, ann)
    assert codes_kept(database, ann) == 0


def test_new_codes_replace_the_old_for_someone_with_keys_only(database: Database, ann: int) -> None:
    old = add_key(database, ann).recovery_codes
    with database.transaction() as session:
        new = recovery_codes.renew(session, ann)
    assert not passes(database, ann, old[0]) and passes(database, ann, new[0])
