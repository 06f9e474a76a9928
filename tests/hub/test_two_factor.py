"""Two-factor authentication as stored: turning it on, codes used once, recovery codes, turning it off; on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update

from hub import accounts, recovery_codes, totp, two_factor
from hub.db import Database
from hub.errors import BadInput
from hub.models import RecoveryCode, User
from hub.sealed import CannotOpen, Keyring
from tests.conftest import KEYS, TEST_SECRET_KEY


@pytest.fixture
def ann(database: Database) -> int:
    with database.transaction() as session:
        return accounts.create_user(session, email="ann@example.com", password="correct horse", role="admin").id


def now_code(secret: str, now: float) -> str:
    return totp.code_at(secret, totp.step_at(now))


def turn_on(database: Database, user_id: int, secret: str, now: float) -> list[str]:
    with database.transaction() as session:
        return two_factor.turn_on(session, user_id, secret, now_code(secret, now), now, keys=KEYS)


def check(database: Database, user_id: int, typed: str, now: float) -> two_factor.Method | None:
    with database.transaction() as session:
        return two_factor.check(session, user_id, typed, now, keys=KEYS)


def test_turning_on_wants_a_code_from_the_new_secret(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    with pytest.raises(BadInput, match="does not match"), database.transaction() as session:
        wrong = "000000" if now_code(secret, now) != "000000" else "111111"
        two_factor.turn_on(session, ann, secret, wrong, now, keys=KEYS)
    with database.read() as session:
        assert not two_factor.standing(session, ann).on


def test_turning_on_keeps_the_secret_and_gives_ten_recovery_codes(database: Database, ann: int) -> None:
    codes = turn_on(database, ann, totp.new_secret(), time.time())
    assert len(codes) == len(set(codes)) == recovery_codes.COUNT
    with database.read() as session:
        standing = two_factor.standing(session, ann)
        stored = list(session.scalars(select(RecoveryCode.code_hash)))
    assert standing.on and standing.since is not None and standing.recovery_left == 10
    assert not set(codes) & set(stored)  # only digests are kept


def test_the_code_that_turned_it_on_cannot_log_in(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    turn_on(database, ann, secret, now)
    assert check(database, ann, now_code(secret, now), now) is None


def test_a_current_code_logs_in_once(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    turn_on(database, ann, secret, now - 60)
    assert check(database, ann, now_code(secret, now), now) == "code"
    assert check(database, ann, now_code(secret, now), now) is None  # replayed


def test_a_wrong_code_is_refused(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    turn_on(database, ann, secret, now - 60)
    wrong = f"{(int(now_code(secret, now)) + 1) % 1_000_000:06d}"
    assert check(database, ann, wrong, now) is None


def test_two_logins_racing_with_one_code_let_only_one_in(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    turn_on(database, ann, secret, now - 60)
    results: list[two_factor.Method | None] = []
    start = threading.Barrier(4)

    def attempt() -> None:
        start.wait()
        results.append(check(database, ann, now_code(secret, now), now))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and results.count("code") == 1 and results.count(None) == 3


def test_a_recovery_code_logs_in_once_however_it_is_typed(database: Database, ann: int) -> None:
    codes = turn_on(database, ann, totp.new_secret(), time.time())
    assert check(database, ann, f"  {codes[3].upper()} ", time.time()) == "recovery"
    assert check(database, ann, codes[3], time.time()) is None
    with database.read() as session:
        assert two_factor.standing(session, ann).recovery_left == 9


def test_new_recovery_codes_end_the_old_ones(database: Database, ann: int) -> None:
    old = turn_on(database, ann, totp.new_secret(), time.time())
    with database.transaction() as session:
        new = recovery_codes.renew(session, ann)
    assert check(database, ann, old[0], time.time()) is None
    assert check(database, ann, new[0], time.time()) == "recovery"


def test_turning_off_forgets_secret_and_codes(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    codes = turn_on(database, ann, secret, now - 60)
    with database.transaction() as session:
        two_factor.turn_off(session, ann)
    assert check(database, ann, codes[0], now) is None
    with database.read() as session:
        user = session.get(User, ann)
        assert user is not None and (user.totp_secret, user.totp_step, user.two_factor_since) == (None, None, None)
        assert session.scalar(select(RecoveryCode.id)) is None


def test_nothing_passes_the_check_while_it_is_off(database: Database, ann: int) -> None:
    assert check(database, ann, "123456", time.time()) is None


def test_required_names_the_roles_the_operator_listed() -> None:
    assert two_factor.required("admin", frozenset({"admin"}))
    assert not two_factor.required("agent", frozenset({"admin"}))
    assert not two_factor.required("admin", frozenset())


# -- the secret at rest (hub/sealed.py) ----------------------------------------------------------------------


def stored_secret(database: Database, user_id: int) -> str | None:
    with database.read() as session:
        return session.scalar(select(User.totp_secret).where(User.id == user_id))


def test_the_secret_is_kept_sealed_and_codes_from_it_still_log_in(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    turn_on(database, ann, secret, now - 60)
    stored = stored_secret(database, ann)
    assert stored is not None and stored.startswith("sealed:v1:") and secret not in stored
    assert check(database, ann, now_code(secret, now), now) == "code"


def test_a_sealed_secret_copied_to_another_user_is_refused(database: Database, ann: int) -> None:
    """Someone who may write one row (not the key) must not give a victim an authenticator they hold."""
    with database.transaction() as session:
        bob = accounts.create_user(session, email="bob@example.com", password="correct horse", role="agent").id
    secret, now = totp.new_secret(), time.time()
    turn_on(database, ann, secret, now - 60)
    with database.transaction() as session:
        session.execute(update(User).where(User.id == bob).values(totp_secret=stored_secret(database, ann)))
    with pytest.raises(CannotOpen, match=f"authenticator secret of users row {bob} does not open"):
        check(database, bob, now_code(secret, now), now)


def test_a_plain_secret_stored_before_sealing_still_logs_in(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    with database.transaction() as session:
        session.execute(update(User).where(User.id == ann).values(totp_secret=secret, totp_step=0))
    assert check(database, ann, now_code(secret, now), now) == "code"


def test_a_secret_sealed_under_a_former_key_opens_with_it_listed(database: Database, ann: int) -> None:
    secret, now = totp.new_secret(), time.time()
    turn_on(database, ann, secret, now - 60)  # under KEYS, TEST_SECRET_KEY's
    with database.transaction() as session, pytest.raises(CannotOpen, match="SECRET_KEY changed"):
        two_factor.check(session, ann, now_code(secret, now), now, keys=Keyring.derive("a new key"))
    with database.transaction() as session:
        rotated = Keyring.derive("a new key", [TEST_SECRET_KEY])
        assert two_factor.check(session, ann, now_code(secret, now), now, keys=rotated) == "code"


# -- a setup under way -------------------------------------------------------------------------------------


def start(database: Database, user_id: int, now: float, keys: Keyring = KEYS) -> two_factor.Setup:
    with database.transaction() as session:
        return two_factor.start_setup(session, user_id, now, keys=keys)


def confirm(database: Database, user_id: int, setup: two_factor.Setup, now: float) -> list[str]:
    with database.transaction() as session:
        typed = now_code(setup.secret, now)
        return two_factor.confirm_setup(session, user_id, setup.ref, typed, now, keys=KEYS)


def test_a_setup_waits_sealed_on_the_user_until_its_code_turns_it_on(database: Database, ann: int) -> None:
    now = time.time()
    setup = start(database, ann, now)
    with database.read() as session:
        pending = session.scalar(select(User.totp_pending).where(User.id == ann))
        assert pending is not None and pending.startswith("sealed:v1:") and setup.secret not in pending
        assert not two_factor.standing(session, ann).on
    assert len(confirm(database, ann, setup, now + 60)) == recovery_codes.COUNT
    with database.read() as session:
        user = session.get(User, ann)
        assert user is not None and two_factor.secret_of(user, KEYS) == setup.secret
        assert (user.totp_pending, user.totp_pending_ref, user.totp_pending_at) == (None, None, None)


def test_the_reference_a_browser_keeps_is_not_the_secret(database: Database, ann: int) -> None:
    setup = start(database, ann, time.time())
    assert setup.ref != setup.secret and setup.secret not in setup.ref


def test_starting_again_replaces_the_setup_under_way(database: Database, ann: int) -> None:
    now = time.time()
    first, second = start(database, ann, now), start(database, ann, now)
    assert first.secret != second.secret
    with pytest.raises(two_factor.SetupGone, match="started again in another browser"):
        confirm(database, ann, first, now)
    confirm(database, ann, second, now)


def test_a_setup_expires_after_fifteen_minutes(database: Database, ann: int) -> None:
    now = time.time()
    setup = start(database, ann, now)
    with database.read() as session:
        assert two_factor.pending_setup(session, ann, setup.ref, now + 14 * 60, keys=KEYS) == setup
    with pytest.raises(two_factor.SetupGone, match="expired: a setup waits 15 minutes"):
        confirm(database, ann, setup, now + 15 * 60)


def pending_of(database: Database, user_id: int) -> tuple[object, ...]:
    with database.read() as session:
        query = select(User.totp_pending, User.totp_pending_ref, User.totp_pending_at).where(User.id == user_id)
        return tuple(session.execute(query).one())


def test_setups_left_unconfirmed_past_fifteen_minutes_are_cleared_and_the_rest_kept(
    database: Database, ann: int
) -> None:
    with database.transaction() as session:
        bob = accounts.create_user(session, email="bob@example.com", password="correct horse", role="agent").id
    now = time.time()
    start(database, ann, now - 15 * 60)  # expired, as pending_setup judges it
    waiting = start(database, bob, now - 14 * 60)
    assert two_factor.forget_expired_setups(database) == 1
    assert pending_of(database, ann) == (None, None, None)
    confirm(database, bob, waiting, now)
    assert two_factor.forget_expired_setups(database) == 0


def test_a_wrong_code_leaves_the_setup_waiting(database: Database, ann: int) -> None:
    now = time.time()
    setup = start(database, ann, now)
    wrong = "000000" if now_code(setup.secret, now) != "000000" else "111111"
    with pytest.raises(BadInput, match="does not match"), database.transaction() as session:
        two_factor.confirm_setup(session, ann, setup.ref, wrong, now, keys=KEYS)
    confirm(database, ann, setup, now)


def test_a_browser_with_no_setup_is_told_none_is_waiting(database: Database, ann: int) -> None:
    start(database, ann, time.time())
    with pytest.raises(two_factor.SetupGone, match="no setup is waiting"), database.read() as session:
        two_factor.pending_setup(session, ann, None, time.time(), keys=KEYS)


def test_a_setup_sealed_under_a_lost_key_is_started_again_not_a_fault(database: Database, ann: int) -> None:
    now = time.time()
    setup = start(database, ann, now, keys=Keyring.derive("a key no one has now"))
    with pytest.raises(two_factor.SetupGone, match="can no longer be read"), database.read() as session:
        two_factor.pending_setup(session, ann, setup.ref, now, keys=KEYS)


def test_a_setup_cannot_start_while_it_is_on(database: Database, ann: int) -> None:
    turn_on(database, ann, totp.new_secret(), time.time())
    with pytest.raises(BadInput, match="already on"):
        start(database, ann, time.time())


def test_turning_it_off_forgets_a_setup_under_way(database: Database, ann: int) -> None:
    now = time.time()
    setup = start(database, ann, now)
    with database.transaction() as session:
        two_factor.turn_off(session, ann)
    with pytest.raises(two_factor.SetupGone), database.read() as session:
        two_factor.pending_setup(session, ann, setup.ref, now, keys=KEYS)
