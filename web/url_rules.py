"""URL rules whose builders are compiled once per process, however many apps add them.

Werkzeug turns each URL rule into two small Python functions (its `url_for` builders) when an app adds the rule:
it assembles their syntax tree and compiles it, 0.2 ms a rule, which for our 160-odd rules was 30 of the 40 ms
`create_app` took, paid again by every fresh app (each test makes one). A builder's code depends only on the rule's
parsed text; the converters, the query string and the map's settings it reaches at call time through the rule it
is bound to. So the first app's functions serve every later app's rules of the same text, each bound to its own
rule: nothing about one app is shared with another.

Of the two, only the one that appends unknown arguments as a query string serves `url_for`; werkzeug builds with
the other only to redirect from a rule marked `alias`, which none of ours is. So that one is compiled when a rule
first builds with it, if ever, rather than by every worker as it starts (half the compiling, some 30 ms).

Werkzeug offers no public way to reuse them. Flask's documented `url_rule_class` chooses the rule class, and the
one method overridden here is werkzeug's private `_compile_builder`. Should a release rename it, the override goes
unused and every rule is compiled as before; tests/web/test_url_rules.py checks that the cache is still used and
that every rule builds the URLs werkzeug's own builders build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

#: (the rule's text, its parsed parts, whether the builder appends unknown arguments as a query string)
_Key = tuple[str, tuple[tuple[bool, str], ...], bool]


class SharedBuilderRule(Rule):
    """A werkzeug Rule that takes its compiled URL builders from a per-process cache."""

    _builders: dict[_Key, Callable[..., tuple[str, str]]] = {}

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        if not append_unknown:
            return _build_on_first_use
        return self.shared_builder(append_unknown)

    def shared_builder(self, append_unknown: bool) -> Callable[..., tuple[str, str]]:
        """The builder compiled for a rule of this text, compiling it if no app has yet (unbound: werkzeug binds it)."""
        if self.defaults:  # werkzeug writes defaults into the code, converted by this map's converters: not shared
            return super()._compile_builder(append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        if (builder := self._builders.get(key)) is None:
            # Two threads may both compile a new rule: the first stored wins (setdefault is atomic); either is right.
            builder = self._builders.setdefault(key, super()._compile_builder(append_unknown))
        return builder


def _build_on_first_use(rule: SharedBuilderRule, **values: Any) -> tuple[str, str]:
    """Stands in for a rule's builder without the query string until it is first used: compiles (or finds) it and
    puts it in its own place on the rule, so later builds call it directly."""
    builder = rule.shared_builder(False).__get__(rule, None)
    rule._build = builder
    return builder(**values)


class SwitchboardFlask(Flask):
    """Flask with the URL rules above; nothing else differs."""

    url_rule_class = SharedBuilderRule
