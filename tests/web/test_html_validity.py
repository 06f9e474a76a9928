"""Every page the browser and accessibility tests visit is served as unambiguous HTML: no id used twice, every
label's `for` names a form control, every in-page link and every id an attribute refers to has its target; and as
whole markup: no tag left open or closed twice, no empty list, no label, heading or form with nothing in it
(tests/web/markup_shape.py).

A duplicate id is invalid HTML, and the browser then takes the first element with it: a label or an
`aria-describedby` lands on the wrong element, a `#fragment` link scrolls to the wrong place (on /account a
section named "name" once took the name field's label). axe misses these when the first element happens to be one
it is content with, so the HTML as served is read here with the standard library's parser, through the test client
(no browser needed), over the same pages and data as tests/web/test_accessibility.py, and more: the signed-in pages
as an agent and a viewer see them too (with forms left out, an `{% if %}` can leave markup broken), the pages only
a form's answer shows (FORM_VISITS: "check your mail", "done", a form's errors), and a site with nothing in it.
Every page template is rendered by some visit, or the last test here names it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient
from jinja2 import Template

import web
from tests.web.furnished_site import (
    ADMIN,
    AGENT,
    DETAIL_PAGES,
    EMPTY_PUBLIC_PAGES,
    ERROR_PAGES,
    FORM_VISITS,
    PUBLIC_ERROR_PAGES,
    PUBLIC_PAGES,
    SECOND_STEP,
    TWO_FACTOR,
    VIEWER,
    FormVisit,
    address,
    empty_app,
    furnished_app,
)
from tests.web.helpers import csrf_token, log_in
from tests.web.markup_shape import shape_faults
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
    """What makes the page's ids ambiguous or its references point nowhere, one line per fault, naming the ids; then
    what tests/web/markup_shape.py finds in its element tree."""
    parsed = _Ids()
    parsed.feed(html)
    parsed.close()
    ids = set(parsed.ids)
    faults = [f'id "{id_}" is used {n} times' for id_, n in Counter(parsed.ids).items() if n > 1]
    faults += [f'<label for="{to}"> names no form control' for to in parsed.label_for if to not in parsed.controls]
    # "#" alone is the top of the page; any other fragment needs an element with that id, or an <a name>
    faults += [f'<a href="#{f}"> has no target' for f in parsed.fragments if f and f not in ids | parsed.names]
    faults += [f'{name}="{ref}" names no element' for name, ref in parsed.references if ref not in ids]
    return faults + shape_faults(html)


#: Templates no visit renders, each with why none can; every other page template must be rendered by one.
NEVER_RENDERED: dict[str, str] = {}
TEMPLATE_ROOT = Path(web.__file__).parent / "templates"
#: The signed-in pages, as each role sees them.
SIGNED_IN_PAGES = MAIN_PAGES + DETAIL_PAGES


@dataclass(frozen=True)
class Seen:
    """A page as a visit was answered: its status and what html_faults found in it."""

    status: int
    faults: list[str]


@dataclass(frozen=True)
class Walk:
    """Every visit's page, by the visit's name ("admin /incidents", a FormVisit's name, "empty public /help"), and
    the name of each template the visits rendered."""

    seen: dict[str, Seen]
    templates: frozenset[str]

    def check(self, name: str, status: int = 200) -> None:
        """The visit was answered with `status`, and html_faults found nothing; else the message names the page and
        each fault with its ids."""
        assert name in self.seen, f"{name}: not visited"
        page = self.seen[name]
        assert page.status == status, f"{name}: {page.status}"
        assert not page.faults, f"{name}:\n  " + "\n  ".join(page.faults)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Walk]:
    """Every visit, in one go, as the page lists and FORM_VISITS order them, with the templates rendered meanwhile
    recorded (so the record is whole however pytest-xdist shares this module's tests out): the furnished site as
    each of its people sees it, then a site with nothing in it, then the forms, which change the furnished site."""
    home = tmp_path_factory.mktemp("html")
    rendered: set[str] = set()

    def record(_app: Flask, template: Template, **_: object) -> None:
        rendered.add(str(template.name))

    with (
        furnished_app(home / "furnished", migrated_sqlite) as (app, links),
        empty_app(home / "empty", migrated_sqlite) as empty,
        template_rendered.connected_to(record, app),
        template_rendered.connected_to(record, empty),
    ):
        seen: dict[str, Seen] = {}

        def visit(who: str, client: FlaskClient, path: str) -> None:
            response = client.get(f"/{address(path, links)}")
            seen[f"{who} /{path}"] = Seen(response.status_code, html_faults(response.get_data(as_text=True)))

        halfway = app.test_client()
        assert log_in(halfway, TWO_FACTOR).headers["Location"] == f"/{SECOND_STEP}"
        visit("halfway", halfway, SECOND_STEP)
        public = app.test_client()
        for path in (*PUBLIC_PAGES, *PUBLIC_ERROR_PAGES):
            visit("public", public, path)
        signed_in = {"admin": ADMIN, "agent": AGENT, "viewer": VIEWER}
        clients = {"public": public}
        for who, login in signed_in.items():
            clients[who] = app.test_client()
            assert log_in(clients[who], login).status_code == 302, who
            for path in (*SIGNED_IN_PAGES, *ERROR_PAGES):
                visit(who, clients[who], path)
        empty_public, empty_admin = empty.test_client(), empty.test_client()
        for path in EMPTY_PUBLIC_PAGES:
            visit("empty public", empty_public, path)
        assert log_in(empty_admin, ADMIN).status_code == 302
        for path in MAIN_PAGES:
            visit("empty admin", empty_admin, path)
        for form in FORM_VISITS:
            seen[form.name] = sent(clients[form.who], form, links)
    yield Walk(seen, frozenset(rendered))  # the apps closed: what they answered is all the tests read


def sent(client: FlaskClient, form: FormVisit, links: dict[str, str]) -> Seen:
    """The answer to the form on `form.page`, sent with its CSRF token and fields, after any redirect."""
    page = client.get(f"/{address(form.page, links)}").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page), **form.fields, **(form.from_page(page) if form.from_page else {})}
    answer = client.post(f"/{address(form.to or form.page, links)}", data=fields, follow_redirects=True)
    return Seen(answer.status_code, html_faults(answer.get_data(as_text=True)))


def page_templates() -> set[str]:
    """The templates under web/templates that are pages: not a partial (`_name.html`) nor base.html."""
    return {
        path.relative_to(TEMPLATE_ROOT).as_posix()
        for path in TEMPLATE_ROOT.rglob("*.html")
        if not path.name.startswith("_") and path.name != "base.html"
    }


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


def test_the_check_finds_tags_left_open_or_closed_twice_and_lists_labels_headings_forms_with_nothing_in_them() -> None:
    page = """<main><ul class="days"></ul><ol><li>one<li>two</ol><dl></dl><label>Alone</label>
        <label>Inside <input name="q"></label><h2 id="gone"> </h2><h2><img src="x.png" alt="Logo"></h2>
        <form id="bulk"><input type="hidden" name="csrf_token"></form><form><button>Go</button></form>
        <select name="s"></select><template><ul class="filled-by-script"></ul></template>
        <p>Words<div>block</div></p><section><div></section></span><br></br></main>"""
    assert html_faults(page) == [
        '<ul class="days"> is a list with no item',
        "<dl> is a list with no item",
        "<label> labels nothing: it has no `for` and no form control inside",
        '<h2 id="gone"> is a heading with no words',
        '<form id="bulk"> is a form with nothing to fill in or press',
        "<select> offers no option",
        "</p> closes nothing open",
        "<div> is left open, closed by </section>",
        "</span> closes nothing open",
    ]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(path: str, walk: Walk) -> None:
    walk.check(f"admin /{path}")


@pytest.mark.parametrize("who", ["agent", "viewer"])
@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_page_with_fewer_forms_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, who: str, walk: Walk
) -> None:
    """An agent and a viewer are shown some pages with forms left out, and refused others (403, error.html)."""
    name = f"{who} /{path}"
    walk.check(name, 403 if walk.seen[name].status == 403 else 200)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(path: str, walk: Walk) -> None:
    walk.check(f"public /{path}")


def test_login_second_step_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(walk: Walk) -> None:
    walk.check(f"halfway /{SECOND_STEP}")


@pytest.mark.parametrize(("path", "status"), ERROR_PAGES.items())
def test_signed_in_error_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, status: int, walk: Walk
) -> None:
    walk.check(f"admin /{path}", status)


@pytest.mark.parametrize(("path", "status"), PUBLIC_ERROR_PAGES.items())
def test_public_error_page_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, status: int, walk: Walk
) -> None:
    walk.check(f"public /{path}", status)


@pytest.mark.parametrize("form", FORM_VISITS, ids=lambda form: form.name)
def test_page_a_form_answers_with_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    form: FormVisit, walk: Walk
) -> None:
    walk.check(form.name, form.status)


@pytest.mark.parametrize(("path", "status"), EMPTY_PUBLIC_PAGES.items())
def test_public_page_of_an_empty_site_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, status: int, walk: Walk
) -> None:
    walk.check(f"empty public /{path}", status)


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_signed_in_page_of_an_empty_site_has_unique_ids_and_every_label_and_in_page_link_finds_its_target(
    path: str, walk: Walk
) -> None:
    walk.check(f"empty admin /{path}")


def test_every_page_template_is_rendered_by_a_visit_of_these_checks(walk: Walk) -> None:
    """A template only a POST or an empty site renders is checked only if a visit here makes it render: a new one
    joins the page lists, FORM_VISITS or EMPTY_PUBLIC_PAGES (tests/web/furnished_site.py), or NEVER_RENDERED."""
    templates = page_templates()
    never = sorted(templates - walk.templates - set(NEVER_RENDERED))
    assert never == [], (
        "page templates no visit of the page checks renders:\n  " + "\n  ".join(never) + "\nVisit each: a page "
        "shown by GET in the page lists, one a form's answer shows in FORM_VISITS, one an empty site shows in "
        "EMPTY_PUBLIC_PAGES (tests/web/furnished_site.py); or, if none can reach it, name it in NEVER_RENDERED "
        "with why."
    )
    assert sorted(set(NEVER_RENDERED) - templates) == [], "NEVER_RENDERED names a template there is not"
    assert sorted(set(NEVER_RENDERED) & walk.templates) == [], "NEVER_RENDERED names a template a visit renders"
