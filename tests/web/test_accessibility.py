"""axe-core (Deque's accessibility engine) checks each main page and each public page against WCAG 2.1 A and AA.

One Chromium, one live app and one admin's login serve every page: the pages are read, never changed, so they can
share a site whose data (an incident with a timeline, a problem, a change, a CI, a group on call...) is made once.
A page fails on a violation axe rates serious or critical: a control with no name, text too faint to read, a
duplicate id, a missing language. Moderate and minor ones are reported by axe all the same but do not fail.
Each page is checked in the light and the dark colour scheme (app.css recolours it for a dark system theme), in the
same tab, its scheme switched by emulating the media feature: a context or a login per scheme would cost more. What
axe cannot judge, a focus ring that shows, is checked on the incident page in both schemes, and every page is measured
at a phone's and a small laptop's width for sideways scrolling (WCAG 1.4.10), its data including an address and an
alert title too long to wrap at a space.

axe.min.js comes from the axe-playwright-python package (test extras): no network at test time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.servers import missing
from tests.web.furnished_site import (
    ADMIN,
    DETAIL_PAGES,
    EMPTY_PUBLIC_PAGES,
    ERROR_PAGES,
    FORM_VISITS,
    PUBLIC_ERROR_PAGES,
    PUBLIC_PAGES,
    SECOND_STEP,
    TWO_FACTOR,
    FormVisit,
    address,
    empty_app,
    furnished_app,
)
from tests.web.test_browser import MAIN_PAGES, _log_in, chromium  # noqa: F401  (chromium: a fixture, used by name)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

#: The rules axe runs: WCAG 2.0 and 2.1, levels A and AA.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = {"serious", "critical"}
#: app.css recolours every page for a dark system theme, so each page is checked in both schemes.
Scheme = Literal["light", "dark"]
SCHEMES: tuple[Scheme, ...] = ("light", "dark")


@dataclass(frozen=True)
class Site:
    """The app on loopback, with data on every page, and the tokens of a requester's mailed links."""

    url: str
    links: dict[str, str]

    def address(self, path: str) -> str:
        return f"{self.url}/{address(path, self.links)}"


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on a free loopback port, by its base URL; stopped after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Site]:
    with furnished_app(tmp_path_factory.mktemp("a11y"), migrated_sqlite) as (app, links), served(app) as url:
        yield Site(url, links)


@pytest.fixture(scope="module")
def admin_page(chromium: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    """One logged-in admin's tab for every signed-in page."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, site.url, ADMIN)
    yield page
    context.close()


@pytest.fixture(scope="module")
def visitor_page(chromium: Browser) -> Iterator[Page]:  # noqa: F811
    """A tab with no login, as a requester or a member of the public has."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def halfway_page(chromium: Browser, site: Site) -> Iterator[Page]:  # noqa: F811
    """A tab that gave the password of someone with two-factor authentication, and was asked for the code."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, site.url, TWO_FACTOR, lands=f"/{SECOND_STEP}")
    yield page
    context.close()


@pytest.fixture(scope="module")
def axe() -> str:
    """axe.min.js, as the axe-playwright-python package ships it."""
    try:
        from axe_playwright_python.base import AXE_SCRIPT  # an optional test dependency
    except ImportError:
        missing("The axe-playwright-python package", "the test extras: pip install -e '.[test]'")
    return AXE_SCRIPT


def axe_violations(page: Page, axe: str) -> list[dict[str, Any]]:
    """What axe finds against WCAG 2.1 A and AA on the page as it stands (injected afresh: a page load forgets it)."""
    page.evaluate(axe)
    found: list[dict[str, Any]] = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}, resultTypes: ['violations']})"
        ".then(results => results.violations)",
        WCAG_21_AA,
    )
    return found


def described(violations: list[dict[str, Any]]) -> str:
    """Each violation as axe's rule id, impact and help page, then each element it found, with what to fix."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}\n  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"  at {' '.join(node['target'])}: {node['html'][:200]}")
            lines.extend(f"    {line.strip()}" for line in node.get("failureSummary", "").splitlines())
    return "\n".join(lines)


#: The fields the browser finds no label for. axe looks a field's label up by the field's id, so it passes one whose
#: label an earlier element with the same id took (the browser gives the label to the first, as /account's name
#: field lost its label to a section named "name"); `labels` is the browser's own answer.
UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
    .filter(field => !field.labels.length && !field.ariaLabel && !field.hasAttribute("aria-labelledby"))
    .map(field => field.outerHTML)"""


def assert_accessible(page: Page, url: str, axe: str, scheme: Scheme, status: int = 200) -> None:
    """The page at url, served with `status`, in the given colour scheme, has no violation axe rates serious or
    critical, nor a field with no label."""
    page.emulate_media(color_scheme=scheme)  # kept by the tab until changed, so each test sets its own
    response = page.goto(url)
    assert response is not None and response.status == status, url
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark"), url
    found = axe_violations(page, axe)
    failing = [violation for violation in found if violation["impact"] in FAILING]
    lesser = [violation for violation in found if violation["impact"] not in FAILING]
    assert failing == [], f"{url} ({scheme})\n{described(failing)}\nand, less serious:\n{described(lesser)}"
    assert page.evaluate(UNLABELLED) == [], f"{url}: fields the browser finds no label for"


def test_axe_finds_an_unlabelled_field_and_a_nameless_button(visitor_page: Page, axe: str) -> None:
    """The check itself works: a page with faults it must see is not passed."""
    visitor_page.set_content('<html lang="en"><title>t</title><main><input><button></button></main></html>')
    found = {violation["id"]: violation["impact"] for violation in axe_violations(visitor_page, axe)}
    assert found == {"label": "critical", "button-name": "critical"}


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", MAIN_PAGES)
def test_main_page_has_no_serious_accessibility_violations(
    path: str, scheme: Scheme, site: Site, admin_page: Page, axe: str
) -> None:
    assert_accessible(admin_page, site.address(path), axe, scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", DETAIL_PAGES)
def test_detail_page_has_no_serious_accessibility_violations(
    path: str, scheme: Scheme, site: Site, admin_page: Page, axe: str
) -> None:
    assert_accessible(admin_page, site.address(path), axe, scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_serious_accessibility_violations(
    path: str, scheme: Scheme, site: Site, visitor_page: Page, axe: str
) -> None:
    assert_accessible(visitor_page, site.address(path), axe, scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("path", "status"), ERROR_PAGES.items())
def test_signed_in_error_page_has_no_serious_accessibility_violations(
    path: str, status: int, scheme: Scheme, site: Site, admin_page: Page, axe: str
) -> None:
    assert_accessible(admin_page, site.address(path), axe, scheme, status)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("path", "status"), PUBLIC_ERROR_PAGES.items())
def test_public_error_page_has_no_serious_accessibility_violations(
    path: str, status: int, scheme: Scheme, site: Site, visitor_page: Page, axe: str
) -> None:
    assert_accessible(visitor_page, site.address(path), axe, scheme, status)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_login_second_step_has_no_serious_accessibility_violations(
    scheme: Scheme, site: Site, halfway_page: Page, axe: str
) -> None:
    assert_accessible(halfway_page, site.address(SECOND_STEP), axe, scheme)


#: Sends a form as its page's would: a form of the given fields and the page's CSRF token, posted to `to`. Built here,
#: not typed into the page's own form, so one line of FORM_VISITS serves this test and the HTML-validity one alike.
SEND = """([to, fields]) => {
    const form = document.createElement("form");
    form.method = "post";
    form.action = to;
    const token = document.querySelector("input[name=csrf_token]");
    for (const [name, value] of [["csrf_token", token ? token.value : ""], ...Object.entries(fields)]) {
        const input = document.createElement("input");
        Object.assign(input, {type: "hidden", name, value});
        form.append(input);
    }
    document.body.append(form);
    form.submit();
}"""


def send(page: Page, site: Site, form: FormVisit) -> None:
    """Open the form's page in the tab and send it, leaving the answer (after any redirect) in the tab."""
    page.goto(site.address(form.page))
    fields = {**form.fields, **(form.from_page(page.content()) if form.from_page else {})}
    with page.expect_navigation() as answered:
        page.evaluate(SEND, [f"/{address(form.to or form.page, site.links)}", fields])
    assert answered.value is not None and answered.value.status == form.status, form.name


def test_pages_only_a_form_or_an_empty_site_shows_have_no_serious_accessibility_violations(
    chromium: Browser,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
    migrated_sqlite: Path,
    axe: str,
) -> None:
    """Each form's answer (FORM_VISITS: "check your mail", "done", a form's errors) and each public page of a site
    with nothing in it, in the light scheme: in a site of their own, as the forms change it. One test, in order."""
    home = tmp_path_factory.mktemp("a11y-forms")
    contexts = {"admin": chromium.new_context(), "public": chromium.new_context()}
    tabs = {who: context.new_page() for who, context in contexts.items()}
    failures: list[str] = []

    def check(page: Page, name: str) -> None:
        found = [violation for violation in axe_violations(page, axe) if violation["impact"] in FAILING]
        if found:
            failures.append(f"{name}\n{described(found)}")

    try:
        with furnished_app(home / "furnished", migrated_sqlite) as (app, links), served(app) as url:
            _log_in(tabs["admin"], url, ADMIN)
            for form in FORM_VISITS:
                send(tabs[form.who], Site(url, links), form)
                check(tabs[form.who], form.name)
        with empty_app(home / "empty", migrated_sqlite) as empty, served(empty) as url:
            for path, status in EMPTY_PUBLIC_PAGES.items():
                response = tabs["public"].goto(f"{url}/{path}")
                assert response is not None and response.status == status, path
                check(tabs["public"], f"empty site /{path}")
    finally:
        for context in contexts.values():
            context.close()
    assert failures == [], "\n".join(failures)


#: A control of each look on the incident page (the first shown), whose focus ring must stand out from its background.
FOCUSABLE = {
    "a link among words": "main p a",
    "a button": "main .button:not(.secondary):visible",
    "a secondary button": "main .button.secondary:visible",
    "the menu's log-out button": "header .button-link",
}

#: The focused element's ring (outline, else box-shadow) and the colour behind it, the first ancestor's background
#: that is not transparent: the ring is drawn around the element, over its parent.
FOCUS_RING = """element => {
    const style = getComputedStyle(element);
    let behind = element.parentElement;
    while (behind && getComputedStyle(behind).backgroundColor === "rgba(0, 0, 0, 0)") behind = behind.parentElement;
    return {visible: element.matches(":focus-visible"), outline: style.outlineStyle, width: style.outlineWidth,
            colour: style.outlineColor, shadow: style.boxShadow,
            behind: behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)"};
}"""


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two opaque colours written as CSS's computed `rgb(r, g, b)`."""

    def luminance(colour: str) -> float:
        channels = [int(part) / 255 for part in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_focused_links_and_buttons_show_a_ring_that_stands_out_from_their_background(
    scheme: Scheme, site: Site, admin_page: Page
) -> None:
    """WCAG 2.4.7 and 1.4.11, which axe cannot judge: a keyboard user sees where they are, in either scheme."""
    admin_page.emulate_media(color_scheme=scheme)
    admin_page.goto(site.address("incidents/INC-1"))
    admin_page.keyboard.press("Tab")  # a key, not a click: the focus moved by script below is then shown as well
    for name, selector in FOCUSABLE.items():
        control = admin_page.locator(selector).first
        control.focus()
        ring = control.evaluate(FOCUS_RING)
        assert ring["visible"], f"{name} ({selector}) is not :focus-visible"
        if ring["outline"] == "none" or ring["width"] == "0px":
            assert ring["shadow"] != "none", f"{name} has no outline nor box-shadow when focused in {scheme}: {ring}"
        else:  # computed colours with any transparency are written rgba(...)
            assert ring["colour"].startswith("rgb("), f"{name}'s focus ring is see-through in {scheme}: {ring}"
            assert contrast(ring["colour"], ring["behind"]) >= 3, f"{name}'s focus ring is faint in {scheme}: {ring}"


def test_status_page_refreshes_every_minute_until_the_reader_turns_that_off(
    chromium: Browser,  # noqa: F811
    site: Site,
) -> None:
    """WCAG 2.2.1: the page may change under a reader only while they let it, and the browser keeps their choice."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(site.address("status"))
        refreshing = page.get_by_label("Refresh this page every minute")
        assert refreshing.is_checked()
        with page.expect_event("load"):
            page.clock.run_for("01:00")
        refreshing.uncheck()
        loads: list[object] = []
        page.on("load", lambda loaded: loads.append(loaded))
        page.clock.run_for("05:00")
        assert loads == []
        page.reload()
        assert not refreshing.is_checked()
    finally:
        context.close()


#: The table cells whose box stops short of their row's (a rowspan's cell spans several): a cell that is made a flex
#: box is no table cell any more, and its border then ends at its content, as the outbox's Discard cell's did.
SHORT_CELLS = """() => [...document.querySelectorAll("tr")].flatMap(row => [...row.cells]
    .filter(cell => cell.rowSpan === 1
        && Math.abs(cell.getBoundingClientRect().height - row.getBoundingClientRect().height) > 1)
    .map(cell => cell.outerHTML.slice(0, 160)))"""


def test_every_table_cell_reaches_its_row_s_full_height(site: Site, admin_page: Page) -> None:
    """On a wide screen each cell's border lines up with its row's: every signed-in page with a table, in one tab."""
    short = []
    for path in MAIN_PAGES + DETAIL_PAGES:
        admin_page.goto(site.address(path))
        short += [f"/{path}: {cell}" for cell in admin_page.evaluate(SHORT_CELLS)]
    assert short == [], "cells shorter than their rows:\n" + "\n".join(short)


#: WCAG 1.4.10 (Reflow): a phone's screen and a small laptop's, on neither of which a page may scroll sideways.
PHONE = {"width": 375, "height": 812}
SMALL_LAPTOP = {"width": 1024, "height": 700}

#: What makes the page wider than the window: the outermost elements reaching past its right edge, widest first, named
#: by tag, id and classes. An element inside a box that scrolls or clips sideways (a card holding a table, the phone's
#: menu row) is that box's affair, not the page's, unless it is positioned out of the box: a visually hidden label
#: at the end of a clipped line widened the groups page so.
OVERFLOWING = """() => {
    const edge = window.innerWidth + 0.5;
    const clipped = element => {  // a box that scrolls or clips sideways holds it, unless it is positioned outside
        let free = getComputedStyle(element).position === "absolute";
        for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
            const style = getComputedStyle(box);
            if ((!free || style.position !== "static") && style.overflowX !== "visible") return true;
            if (style.position !== "static") free = style.position === "absolute";
        }
        return false;
    };
    const reach = element => {  // its box's right edge, or its own words' when they run out of the box
        let right = element.getBoundingClientRect().right;
        if (getComputedStyle(element).overflowX !== "visible") return right;  // its words are clipped to it
        for (const node of element.childNodes) {
            if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
            const words = document.createRange();
            words.selectNodeContents(node);
            right = Math.max(right, words.getBoundingClientRect().right);
        }
        return right;
    };
    const name = element => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
        + [...element.classList].map(c => "." + c).join("");
    const over = [...document.body.querySelectorAll("*")]
        .map(element => ({element, right: reach(element)}))
        .filter(({element, right}) => right > edge && !clipped(element));
    const inside = element => over.some(other => other.element !== element && other.element.contains(element));
    return over.filter(({element}) => !inside(element))
        .map(({element, right}) => ({name: name(element), right: Math.round(right),
                                     html: element.outerHTML.slice(0, 160)}))
        .sort((one, other) => other.right - one.right);
}"""


def sideways(page: Page) -> str | None:
    """Why the page as it stands scrolls sideways, naming the widest offender first; None when it fits."""
    width, window = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    if width <= window:
        return None
    offenders = page.evaluate(OVERFLOWING)
    named = "\n".join(f"    {o['name']} reaches {o['right']}px: {o['html']}" for o in offenders[:3])
    return f"{width}px wide in a {window}px window; widest first:\n{named or '    (no element found)'}"


def test_the_sideways_check_names_what_sticks_out_and_passes_over_what_scrolls_in_its_box(visitor_page: Page) -> None:
    visitor_page.set_viewport_size(PHONE)
    visitor_page.goto("about:blank")  # out of the site, whose Content-Security-Policy would refuse the inline style
    try:
        long, scrolled = "x" * 200, "y" * 200
        visitor_page.set_content(f'<body><p id="long">{long}</p><div style="overflow-x: auto"><p>{scrolled}</p></div>')
        why = sideways(visitor_page)
        assert why is not None and "p#long reaches" in why and "yyy" not in why
    finally:
        visitor_page.set_viewport_size({"width": 1280, "height": 720})  # Playwright's default, as the tab had


def test_no_page_scrolls_sideways_on_a_phone_or_a_small_laptop(chromium: Browser, site: Site) -> None:  # noqa: F811
    """WCAG 1.4.10: each page is read at 375 px wide, then at 1024, without scrolling sideways; a table may scroll
    inside its own box. One tab visits every page in turn, the login's second step and the public ones before it
    logs in, each page loaded once and measured at both widths (a resize lays it out again without a reload)."""
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    failures = []

    def measure(path: str, status: int = 200) -> None:
        response = page.goto(site.address(path))
        assert response is not None and response.status == status, path
        for size in (PHONE, SMALL_LAPTOP):
            page.set_viewport_size(size)
            if (why := sideways(page)) is not None:
                failures.append(f"/{path} at {size['width']}px: {why}")
        page.set_viewport_size(PHONE)

    try:
        _log_in(page, site.url, TWO_FACTOR, lands=f"/{SECOND_STEP}")
        measure(SECOND_STEP)
        context.clear_cookies()  # halfway no more: the public pages as anyone sees them
        for path in PUBLIC_PAGES:
            measure(path)
        for path, status in PUBLIC_ERROR_PAGES.items():
            measure(path, status)
        _log_in(page, site.url, ADMIN)
        for path in MAIN_PAGES + DETAIL_PAGES:
            measure(path)
        for path, status in ERROR_PAGES.items():
            measure(path, status)
    finally:
        context.close()
    assert failures == [], "pages that scroll sideways:\n" + "\n".join(failures)
