"""Which silence, if any, holds an event's notifications. Pure: the clock is an argument."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.domain import InboundEvent, Matcher, SilenceSpec
from hub.regex import InvalidPattern, compile_pattern
from rules.errors import RuleError


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def compile_matcher(matcher: Matcher) -> Callable[[InboundEvent], bool]:
    """Equality is exact (as in Alertmanager); regexes must match the whole value, also as in Alertmanager."""
    field, value = matcher.field, matcher.value
    if matcher.op in ("=", "!="):
        equal = matcher.op == "="
        return lambda event: (_text(event.field_value(field)) == value) is equal
    try:
        pattern = compile_pattern(value)
    except InvalidPattern as exc:
        raise RuleError(f"{exc} (in silence matcher {matcher})") from None
    matching = matcher.op == "=~"
    return lambda event: (pattern.fullmatch(_text(event.field_value(field))) is not None) is matching


@dataclass(frozen=True)
class CompiledSilence:
    spec: SilenceSpec
    tests: tuple[Callable[[InboundEvent], bool], ...]

    def holds(self, event: InboundEvent, now: datetime) -> bool:
        return self.spec.holds_at(now) and all(test(event) for test in self.tests)


def compile_silence(spec: SilenceSpec) -> CompiledSilence:
    return CompiledSilence(spec, tuple(compile_matcher(m) for m in spec.matchers))


def silenced_by(event: InboundEvent, silences: Sequence[CompiledSilence], now: datetime) -> int | None:
    """The id of the first silence that holds `event` at `now`, or None."""
    return next((s.spec.id for s in silences if s.holds(event, now)), None)
