"""Tests of the per-source webhook normalisers, each fed the payloads in fixtures/<source>/ (the senders' shapes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(source: str, name: str) -> Any:
    """A fixture parsed as the endpoint would parse the request body."""
    return json.loads((FIXTURES / source / name).read_text(encoding="utf-8"))
