"""An integration's settings as people type them (hub/integration_settings.py): the CLI's and the page's reading."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hub import integration_settings
from hub.errors import BadField, BadFields


@pytest.mark.parametrize(
    ("setting", "text", "value"),
    [("rate_limit", "600", 600), ("reopen_window", "15m", 900), ("threshold", "3/5m", (3, 300)),
     ("flapping", " 4/1h ", (4, 3600)), ("auto_resolve_after", "none", None), ("threshold", "", None)],
)  # fmt: skip
def test_read_takes_what_the_cli_takes(setting: str, text: str, value: object) -> None:
    assert integration_settings.read(setting, text) == value


@pytest.mark.parametrize(("setting", "text"), [("rate_limit", "lots"), ("threshold", "3"), ("flapping", "x/5m"),
                                               ("reopen_window", "15")])  # fmt: skip
def test_a_mistake_names_its_setting(setting: str, text: str) -> None:
    with pytest.raises(BadField) as refused:
        integration_settings.read(setting, text)
    assert refused.value.field == setting


def test_every_mistake_is_named_at_once() -> None:
    with pytest.raises(BadFields) as refused:
        integration_settings.read_all({"rate_limit": "lots", "reopen_window": "15m", "threshold": "3"})
    assert [one.field for one in refused.value.each] == ["rate_limit", "threshold"]
    assert "rate limit" in str(refused.value) and "threshold" in str(refused.value)


def test_one_mistake_is_its_own_field_error() -> None:
    with pytest.raises(BadField) as refused:
        integration_settings.read_all({"rate_limit": "600", "flapping": "x/5m"})
    assert refused.value.field == "flapping" and not isinstance(refused.value, BadFields)


def test_typed_reads_back_as_stored() -> None:
    row = SimpleNamespace(rate_limit=600, reopen_window=900, auto_resolve_after=None, threshold=3,
                          threshold_window=300, flap_changes=None, flap_window=None)  # fmt: skip
    typed = integration_settings.typed(row)  # type: ignore[arg-type]
    assert typed == {"rate_limit": "600", "reopen_window": "15m", "auto_resolve_after": "", "threshold": "3/5m",
                     "flapping": ""}  # fmt: skip
    assert {key: integration_settings.read(key, text) for key, text in typed.items()}["threshold"] == (3, 300)
