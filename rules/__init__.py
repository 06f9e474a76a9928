"""The rules engine: pure functions from (event, rule book) to a decision with its trace."""

from rules.engine import Engine, compile_rule, decide, priority_for

__all__ = ["Engine", "compile_rule", "decide", "priority_for"]
