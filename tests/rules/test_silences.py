"""Silence matching: Alertmanager-style matchers, all of which must hold, only inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from hub.domain import InboundEvent, Matcher, RuleBook, SilenceSpec
from rules import Engine
from rules.errors import RuleError
from rules.silences import compile_matcher, compile_silence, silenced_by

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EVENT = InboundEvent(source="alertmanager", title="Disk full on db1", severity="critical", integration="prom",
                     labels=MappingProxyType({"team": "db", "env": "prod"}))  # fmt: skip


def silence(*matchers: Matcher, start: datetime = NOW - timedelta(hours=1), hours: float = 2) -> SilenceSpec:
    return SilenceSpec(1, tuple(matchers), start, start + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("matcher", "holds"),
    [
        (Matcher("labels.team", "=", "db"), True),
        (Matcher("labels.team", "=", "DB"), False),
        (Matcher("labels.team", "!=", "web"), True),
        (Matcher("title", "=~", "Disk full.*"), True),
        (Matcher("title", "=~", "full"), False),  # regexes match the whole value
        (Matcher("severity", "!~", "info|warning"), True),
        (Matcher("labels.missing", "=", ""), True),  # an absent label equals the empty string, as in Alertmanager
        (Matcher("integration", "=", "prom"), True),
    ],
)
def test_matcher(matcher: Matcher, holds: bool) -> None:
    assert compile_matcher(matcher)(EVENT) is holds


def test_every_matcher_must_hold() -> None:
    compiled = compile_silence(silence(Matcher("labels.team", "=", "db"), Matcher("labels.env", "=", "staging")))
    assert silenced_by(EVENT, [compiled], NOW) is None


def test_silence_holds_only_inside_its_window() -> None:
    compiled = compile_silence(silence(Matcher("labels.team", "=", "db"), start=NOW + timedelta(minutes=5)))
    assert silenced_by(EVENT, [compiled], NOW) is None
    assert silenced_by(EVENT, [compiled], NOW + timedelta(minutes=10)) == 1
    assert silenced_by(EVENT, [compiled], NOW + timedelta(hours=3)) is None


def test_bad_regex_is_a_rule_error() -> None:
    with pytest.raises(RuleError, match="invalid regular expression"):
        compile_matcher(Matcher("title", "=~", "("))


def test_engine_marks_the_decision_silenced_and_still_routes_it() -> None:
    book = RuleBook(1, (), (silence(Matcher("labels.team", "=", "db")),))
    decision = Engine()(EVENT, book, NOW)
    assert decision.silenced_by == 1 and decision.priority == 1
