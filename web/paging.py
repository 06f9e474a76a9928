"""How every JSON list of the API pages, read and answered in one place: a `page` (from 1) of `limit` rows (a limit
over 500 is served as 500, not refused; hub.incident_search.paging), and `X-Total-Count`, how many match in all.

A list that may be large (incidents, events) also takes `total=capped`: the count then stops at 10,000 or the
page's end, whichever is further (hub/counting.py), and `X-Total-Count-Exact` says whether it counted them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response

from hub.incident_search import API_PAGE_SIZE, COUNT_CAP, exact_total, paging
from web.responses import json_response


@dataclass(frozen=True)
class Asked:
    """The page a client asked of a list."""

    page: int
    limit: int
    exact: bool = True  # count every match (`total=exact`, the default) or stop past COUNT_CAP

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @property
    def count_to(self) -> int | None:
        """How far the total is counted: all when exact, else COUNT_CAP or the page's end, so the page asked for
        still lies within what the header says there is."""
        return None if self.exact else max(COUNT_CAP, self.page * self.limit)


def asked(args: Mapping[str, str], default_limit: int = API_PAGE_SIZE, *, cappable: bool = False) -> Asked:
    """The page `args` ask for; `total` too for a list whose count may be `cappable`. A bad value raises
    hub.incident_search.FilterError naming it (the view's 400)."""
    page, limit = paging(args, default_limit)
    return Asked(page, limit, exact_total(args) if cappable else True)


def listed(rows: list[Any], total: int, *, exact: bool | None = None) -> Response:
    """A page of a list as JSON, with `X-Total-Count`, and `X-Total-Count-Exact` for a list that may cap its
    count (`exact` given)."""
    headers = {"X-Total-Count": str(total)}
    if exact is not None:
        headers["X-Total-Count-Exact"] = "true" if exact else "false"
    return json_response(rows, headers=headers)
