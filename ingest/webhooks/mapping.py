"""Per-integration mappings for the generic endpoint: any tool's JSON turned into the generic shape with JMESPath.

A mapping is a JSON object whose values are JMESPath expressions evaluated against the posted body:

    {"title": "alert.name", "description": "alert.text", "severity": "alert.level",
     "dedup_key": "join(':', [host, check])", "labels": "{host: host, team: tags.team}",
     "resolve_when": "state == 'OK'", "severity_map": {"P1": "critical", "P2": "high"}}

Every expression is optional; what is not mapped is read from the body's own generic fields. `resolve_when` makes
the event a resolve when it is true; `severity_map` translates the tool's words before validation. Pure: the
result is the generic payload that `ingest.webhooks.generic.normalise` validates as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import IncompleteExpressionError, JMESPathError, LexerError, ParseError

from hub.domain import SEVERITIES, InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks import generic

FIELDS = ("title", "description", "severity", "dedup_key", "status", "labels")
_KNOWN = (*FIELDS, "resolve_when", "severity_map")


def check(spec: Any) -> dict[str, Any]:
    """Validate a mapping before it is saved: every problem named at once."""
    if not isinstance(spec, dict):
        raise InvalidPayload("a mapping must be a JSON object of field: JMESPath expression")
    problems = [f"unknown key {key!r}; use {', '.join(_KNOWN)}" for key in spec if key not in _KNOWN]
    for key in (*FIELDS, "resolve_when"):
        if key in spec:
            try:
                jmespath.compile(str(spec[key]))
            except JMESPathError as exc:
                problems.append(f"{key}: {_syntax_problem(str(spec[key]), exc)}")
            except RecursionError:  # the parser recurses once per bracket: thousands of them exhaust the stack
                problems.append(f"{key}: brackets nested too deep to read; write the expression with fewer")
    if "severity_map" in spec and not isinstance(spec["severity_map"], dict):
        problems.append("severity_map must be an object of the tool's word: our severity")
    elif "severity_map" in spec:
        problems += [
            f"severity_map: {word!r} maps to {ours!r}; use one of {', '.join(SEVERITIES)}"
            for word, ours in spec["severity_map"].items()
            if str(ours).lower() not in SEVERITIES  # the generic shape reads severities in any case
        ]
    if problems:
        raise InvalidPayload("; ".join(problems))
    return spec


def _syntax_problem(expression: str, exc: JMESPathError) -> str:
    """jmespath's message in one line with where it went wrong: its own first line ("Incomplete expression:")
    names neither the place nor the expression, and the rest is a caret drawing that a one-line error loses."""
    if isinstance(exc, IncompleteExpressionError):
        what = "it ends too soon"
    elif isinstance(exc, LexerError):
        what = exc.message
    elif isinstance(exc, ParseError):
        what = exc.msg
    else:
        what = str(exc).splitlines()[0]
    where = getattr(exc, "lex_position", None)
    at = f", at character {where + 1}" if isinstance(where, int) else ""
    return f"{expression!r} is not a valid JMESPath expression ({what}{at}); see https://jmespath.org for the syntax"


def apply(spec: dict[str, Any], payload: Any) -> dict[str, Any]:
    """The generic payload this mapping makes of `payload` (fields it does not map are taken as sent)."""
    generic: dict[str, Any] = dict(payload) if isinstance(payload, dict) else {}
    for key in FIELDS:
        if key in spec:
            generic[key] = _search(spec[key], payload, key)
    if "resolve_when" in spec:
        generic["status"] = "resolve" if _search(spec["resolve_when"], payload, "resolve_when") else "trigger"
    severity = generic.get("severity")
    translate = spec.get("severity_map") or {}
    if isinstance(severity, str | int) and str(severity) in translate:
        generic["severity"] = translate[str(severity)]
    elif translate and isinstance(severity, str | int) and str(severity).lower() not in SEVERITIES:
        # The tool cannot fix this; the admin can, and the generic shape's refusal would not say how.
        raise InvalidPayload(
            f"'severity' is {str(severity)!r}, a word the mapping's severity_map does not translate: add it there "
            f"(for example {{{str(severity)!r}: 'warning'}}) onto one of {', '.join(SEVERITIES)}"
        )
    for key in ("title", "description", "dedup_key", "severity", "status"):
        if isinstance(generic.get(key), int | float) and not isinstance(generic.get(key), bool):
            generic[key] = str(generic[key])
    return generic


#: What evaluating an expression on a body can raise besides JMESPathError: jmespath checks its functions' types
#: but not all of its comparisons and merges (`sort_by` of mixed keys, `merge` of a list, `contains` of a list in a
#: string: TypeError, ValueError), and hands numbers to `math` as they come (`ceil` of 1e999: OverflowError).
_EVALUATION_ERRORS = (JMESPathError, TypeError, ValueError, ArithmeticError, RecursionError)


def _search(expression: str, payload: Any, key: str) -> Any:
    """The expression's value on the body; InvalidPayload, naming the field, when it fails on this body: the
    sender's body and the admin's expression together are the bad input, never a server error."""
    try:
        return jmespath.search(str(expression), payload)
    except _EVALUATION_ERRORS as exc:
        raise InvalidPayload(f"the mapping's {key} expression failed on this body: {exc}") from None


@dataclass(frozen=True)
class Trial:
    """What a mapping made of one stored payload: the event, or why it was refused."""

    event: InboundEvent | None
    problem: str | None

    def describe(self) -> str:
        if self.event is None:
            return f"refused: {self.problem}"
        e = self.event
        return f"{e.action.value} {e.severity} key={e.dedup_key!r} title={e.title!r}"


def trial(spec: dict[str, Any], bodies: list[bytes], *, integration: str) -> list[Trial]:
    """Try a mapping on stored payloads (newest first) without saving anything: the live preview."""
    results = []
    for body in bodies:
        try:
            event = generic.normalise(apply(spec, generic.parse_json(body)), integration=integration)
        except (InvalidPayload, ValueError) as exc:
            results.append(Trial(None, str(exc)))
        else:
            results.append(Trial(event, None))
    return results
