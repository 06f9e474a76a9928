"""Every page the browser and accessibility tests visit is served as unambiguous HTML: no id used twice, every
label's `for` names a form control, every in-page link and every id an attribute refers to has its target.

A duplicate id is invalid HTML, and the browser then takes the first element with it: a label or an
`aria-describedby` lands on the wrong element, a `#fragment` link scrolls to the wrong place (on /account a
section named "name" once took the name field's label). axe misses these when the first element happens to be one
it is content with, so the HTML as served is read here with the standard library's parser, through the test client
(no browser needed), over the same pages and data as tests/web/test_accessibility.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient

from tests.web.furnished_site import (
    ADMIN,
    DETAIL_PAGES,
    ERROR_PAGES,
    PUBLIC_ERROR_PAGES,
    PUBLIC_PAGES,
    SECOND_STEP,
    TWO_FACTOR,
    address,
    furnished_app,
)
from tests.web.helpers import log_in
from tests.web.test_browser import MAIN_PAGES

#: The elements a label may be for (HTML's "labelable elements"); a hidden input is not one.
LABELABLE = {"button", "input", "meter", "output", "progress", "select", "textarea"}
#: Attributes whose value is one id, or several separated by spaces, of an element on the same page.
REFERS = ("aria-labelledby", "aria-describedby", "aria-controls", "list", "form")


class _Ids(HTMLParser):
    """What a page's markup says about ids: each id in order, the labelable elements' ids, the names `<a name>`
    gives, and each label's `for`, in-page link and id reference."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.controls: set[str] = set()
        self.names: set[str] = set()
        self.label_for: list[str] = []
        self.fragments: list[str] = []
        self.references: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.append(attributes["id"])
            if tag in LABELABLE and not (tag == "input" and attributes.get("type", "").lower() == "hidden"):
                self.controls.add(attributes["id"])
        if tag == "a" and attributes.get("name"):
            self.names.add(attributes["name"])
        if tag == "label" and "for" in attributes:
            self.label_for.append(attributes["for"])
        if tag in ("a", "area") and attributes.get("href", "").startswith("#"):
            self.fragments.append(unquote(attributes["href"][1:]))
        self.references.extend((name, ref) for name in REFERS for ref in attributes.get(name, "").split())


def html_faults(html: str) -> list[str]:
    """What makes the page's ids ambiguous or its references point nowhere, one line per fault, naming the ids."""
    parsed = _Ids()
    parsed.feed(html)
    parsed.close()
    ids = set(parsed.ids)
    faults = [f'id "{id_}" is used {n} times' for id_, n in Counter(parsed.ids).items() if n > 1]
    faults += [f'<label for="{to}"> names no form control' for to in parsed.label_for if to not in parsed.controls]
    # "#" alone is the top of the page; any other fragment needs an element with that id, or an <a name>
    faults += [f'<a href="#{f}"> has no target' for f in parsed.fragments if f and f not in ids | parsed.names]
    faults += [f'{name}="{ref}" names no element' for name, ref in parsed.references if ref not in ids]
    return faults


@dataclass(frozen=True)
class Visitors:
    """The site's data behind three clients: an admin's, logged in, a member of the public's, and one halfway
    through logging in, its password given and its second step's code asked for."""

    admin: FlaskClient
    public: FlaskClient
    halfway: FlaskClient
    links: dict[str, str]


@pytest.fixture(scope="module")
def visitors(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Visitors]:
    with furnished_app(tmp_path_factory.mktemp("html"), migrated_sqlite) as (app, links):
        admin = app.test_client()
        assert log_in(admin, ADMIN).status_code == 302
        halfway = app.test_client()
        assert log_in(halfway, TWO_FACTOR).headers["Location"] == f"/{SECOND_STEP}"
        yield Visitors(admin, app.test_client(), halfway, links)


def assert_unambiguous(client: FlaskClient, path: str, links: dict[str, str], status: int = 200) -> None:
    """The page at path is served with `status`, and html_faults finds nothing in it; else the message names the
    page and each fault with its ids."""
    response = client.get(f"/{address(path, links)}")
    assert response.status_code == status, f"/{path}: {response.status_code}"
    faults = html_faults(response.get_data(as_text=True))
    assert not faults, f"/{path}:\n  " + "\n  ".join(faults)


def test_the_check_finds_a_repeated_id_a_stray_label_and_links_to_nothing() -> None:
    page = """<main><section id="name"><label for="name">Name</label><input id="name"></section>
        <label for="token">Token</label><input type="hidden" id="token"><a href="#missing">go</a>
        <a href="#name">ok</a><a href="#">top</a><a name="old"></a><a href="#old">old</a>
        <input id="q" aria-describedby="q-help gone"><p id="q-help">help</p></main>"""
    assert html_faults(page) == [
        'id "name" is used 2 times',
        '<label for="token"> names no form control',
        '<a href="#missing"> has no target',
        'aria-describedby="gone" names no element',
    ]


@pytest.mark.parametrize("path", MAIN_PAGES + DETAIL_PAGES)
def test_signed_in_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, visitors: Visitors
) -> None:
    assert_unambiguous(visitors.admin, path, visitors.links)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, visitors: Visitors
) -> None:
    assert_unambiguous(visitors.public, path, visitors.links)


def test_login_second_step_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(visitors: Visitors) -> None:
    assert_unambiguous(visitors.halfway, SECOND_STEP, visitors.links)


@pytest.mark.parametrize(("path", "status"), ERROR_PAGES.items())
def test_signed_in_error_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, status: int, visitors: Visitors
) -> None:
    assert_unambiguous(visitors.admin, path, visitors.links, status)


@pytest.mark.parametrize(("path", "status"), PUBLIC_ERROR_PAGES.items())
def test_public_error_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, status: int, visitors: Visitors
) -> None:
    assert_unambiguous(visitors.public, path, visitors.links, status)
