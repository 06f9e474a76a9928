"""The retry policy on its own (pure): doubling with jitter, capped, Retry-After, and giving up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.config import Settings
from outbound.retry import RetryPolicy, after_failure

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(first=10, cap=60, give_up=24 * 3600)


def test_first_retry_comes_within_the_first_delay() -> None:
    assert [POLICY.delay(1, rng=lambda: 0.0), POLICY.delay(1, rng=lambda: 1.0)] == [5.0, 10.0]


def test_delay_doubles_with_each_attempt() -> None:
    assert [POLICY.delay(n, rng=lambda: 1.0) for n in (1, 2, 3)] == [10.0, 20.0, 40.0]


def test_delay_is_capped() -> None:
    assert POLICY.delay(12, rng=lambda: 1.0) == 60.0


def test_receivers_retry_after_replaces_the_schedule_within_its_cap() -> None:
    assert POLICY.delay(1, retry_after=120, rng=lambda: 1.0) == 120.0
    assert POLICY.delay(1, retry_after=10**6) == POLICY.retry_after_cap


def test_failure_schedules_next_attempt_and_sets_give_up_time() -> None:
    verdict = after_failure(POLICY, attempts=1, now=NOW, give_up_at=None, rng=lambda: 1.0)
    assert verdict.status == "pending" and verdict.next_attempt_at == NOW + timedelta(seconds=10)
    assert verdict.give_up_at == NOW + timedelta(hours=24)


def test_failure_whose_next_attempt_would_fall_after_give_up_time_is_dead() -> None:
    verdict = after_failure(POLICY, attempts=40, now=NOW, give_up_at=NOW + timedelta(seconds=30), rng=lambda: 1.0)
    assert (verdict.status, verdict.next_attempt_at) == ("dead", None)


def test_policy_comes_from_settings_read_from_environment(tmp_path: object) -> None:
    env = {"SECRET_KEY": "k", "SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_RETRY_FIRST": "2",
           "SWITCHBOARD_RETRY_CAP": "30s", "SWITCHBOARD_RETRY_GIVE_UP": "2h"}  # fmt: skip
    assert RetryPolicy.from_settings(Settings.from_env(env)) == RetryPolicy(first=2, cap=30, give_up=7200)
