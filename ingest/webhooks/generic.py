"""The generic JSON webhook: the documented shape any tool or script can post.

{"title": "...", "description": "...", "severity": "critical|high|warning|info",
 "dedup_key": "...", "status": "trigger|resolve", "labels": {"team": "db"}}
"""

from __future__ import annotations

import json
import math
import re
from types import MappingProxyType
from typing import Any, NoReturn

from hub.domain import SEVERITIES, Action, InboundEvent
from ingest.errors import InvalidPayload

_STATUS = {"trigger": Action.TRIGGER, "firing": Action.TRIGGER, "resolve": Action.RESOLVE, "resolved": Action.RESOLVE}
MAX_TITLE = 500
MAX_LABELS = 64


#: How deeply a body's objects and arrays may nest. Real payloads nest a handful of levels; Python's parser and
#: everything after it recurse, so a body of a few hundred nested brackets would otherwise end in a 500.
MAX_DEPTH = 64
#: The most digits a whole number may have (Python refuses to read more than 4,300 with a ValueError).
MAX_DIGITS = 100


class _NotJSONNumber(Exception):
    """A number Python would read but JSON does not have, or no system could use."""


def _constant(text: str) -> NoReturn:
    raise _NotJSONNumber(f"{text} is JavaScript's, not a JSON number")


def _whole(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise _NotJSONNumber(f"a number has more than {MAX_DIGITS} digits")
    return int(text)


def _real(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotJSONNumber(f"{text[:40]} is too large for a number")
    return number


#: Made once: json.loads with hooks would build a decoder (and its scanner) for every request.
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_int=_whole, parse_float=_real)


def parse_json(body: bytes, *, what: str = "body") -> Any:
    """Decode a request body (or another JSON text: `what` names it), naming where it is broken when it is not
    JSON, and refusing what Python would read but JSON does not have (NaN, Infinity, numbers past a float's
    range) or what would break later (a thousand-digit number, nesting past MAX_DEPTH)."""
    too_deep = f"{what} nests objects and arrays more than {MAX_DEPTH} levels deep"
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")
        value = _DECODER.decode(text)
    except UnicodeDecodeError:
        raise InvalidPayload(f"{what} is not UTF-8 encoded JSON") from None
    except _NotJSONNumber as exc:
        raise InvalidPayload(f"{what} is not valid JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidPayload(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InvalidPayload(too_deep) from None
    # Counting brackets is cheap and bounds the depth, so only a body with many of them is walked.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and nested_deeper(value, MAX_DEPTH):
        raise InvalidPayload(too_deep)
    if _SURROGATE.search(text):
        value = _mended(value)
    return value


#: A UTF-16 surrogate, written out (`\ud83d`) or as is: JSON allows one alone, as what is left of an emoji cut in
#: half, but it is no character, and neither database driver can store it.
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}|[\ud800-\udfff]")
_LONE = re.compile(r"[\ud800-\udfff]")  # what is left alone once JSON has joined the pairs


def _mended(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD, as a decoder does for bytes
    it cannot read: the alert is kept, with a mark where the broken character was."""
    if isinstance(value, str):
        return _LONE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_mended(key): _mended(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mended(item) for item in value]
    return value


def nested_deeper(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` levels in a parsed JSON value (without recursing)."""
    todo = [(value, 1)] if isinstance(value, dict | list) else []
    while todo:
        item, depth = todo.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        todo.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _optional_str(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InvalidPayload(f"'{key}' must be a string")
    return str(value)


def normalise(payload: Any, *, integration: str) -> InboundEvent:
    """Validate a generic payload and make the event; every error names the field and what it should be."""
    if not isinstance(payload, dict):
        raise InvalidPayload('body must be a JSON object, like {"title": "Disk full on db1"}')
    title = _optional_str(payload, "title")
    status = (_optional_str(payload, "status") or "trigger").lower()
    if status not in _STATUS:
        raise InvalidPayload(f"'status' must be 'trigger' or 'resolve', not {status!r}")
    action = _STATUS[status]
    dedup_key = _optional_str(payload, "dedup_key")
    if action is Action.RESOLVE and not dedup_key:
        raise InvalidPayload("'dedup_key' is required to resolve: it names the incident to resolve")
    if not title or not title.strip():
        if action is Action.TRIGGER:
            raise InvalidPayload("'title' is required: a short summary such as \"Disk full on db1\"")
        title = f"Resolve {dedup_key}"
    severity = (_optional_str(payload, "severity") or "unknown").lower()
    if severity not in SEVERITIES:
        raise InvalidPayload(f"'severity' must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    labels = payload.get("labels") or {}
    if not isinstance(labels, dict) or len(labels) > MAX_LABELS:
        raise InvalidPayload(f"'labels' must be an object of at most {MAX_LABELS} name/value pairs")
    return InboundEvent(
        source="generic",
        integration=integration,
        title=title.strip()[:MAX_TITLE],
        description=_optional_str(payload, "description") or "",
        severity=severity,
        action=action,
        dedup_key=dedup_key[:500] if dedup_key else None,
        labels=MappingProxyType({str(k): str(v) for k, v in labels.items()}),
    )
