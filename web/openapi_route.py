"""`GET /api/v1/openapi.json`. The description itself (web/openapi.py) is built on the first request, not when a
worker starts: it imports constants from most of the app and writes out a large dict, which a worker that is never
asked for it would pay for at every start (bench/startup.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, Response

from web.responses import json_response

bp = Blueprint("openapi", __name__)


@cache
def _document() -> dict[str, Any]:
    from web.openapi import document

    return document()


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    return json_response(_document())
