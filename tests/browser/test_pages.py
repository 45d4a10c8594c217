"""The public pages in a real browser: both languages, phone and desktop, axe-core."""

import pytest

from .conftest import serious_violations

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 390, 1280


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_conference_page_in_each_language_and_width(
    open_page, live_server, language, direction, width
):
    page = open_page("/", language=language, width=width)

    assert page.status == 200
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == direction
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_violations(page) == []
    assert [url for url in page.requested if not url.startswith(live_server)] == []


@pytest.mark.parametrize(
    "path", ["/register", "/register/link", "/privacy", "/volunteer", "/no-such-page"]
)
@pytest.mark.parametrize("language", ["ar", "en"])
def test_other_pages_are_accessible_on_a_phone(open_page, live_server, path, language):
    page = open_page(path, language=language, width=PHONE)

    assert page.get_attribute("html", "lang") == language
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert serious_violations(page) == []
    assert [url for url in page.requested if not url.startswith(live_server)] == []


def test_conference_page_is_under_100_kb_on_a_phone(open_page):
    page = open_page("/", language="ar", width=PHONE)
    page.wait_for_load_state("networkidle")

    transferred = page.evaluate(
        """() => performance.getEntriesByType("navigation")
              .concat(performance.getEntriesByType("resource"))
              .map(entry => ({name: entry.name, bytes: entry.transferSize}))"""
    )

    assert len(transferred) >= 3  # the page, its stylesheet, its icon
    assert sum(entry["bytes"] for entry in transferred) < 100 * 1024, transferred


def test_language_switch_is_remembered_across_pages(open_page, live_server):
    page = open_page("/register", language="en")

    page.get_by_role("link", name="العربية").click()
    page.wait_for_load_state()
    after_switch = (page.url, page.get_attribute("html", "lang"))
    page.goto(live_server + "/")

    assert after_switch == (live_server + "/register", "ar")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_by_role("link", name="English").is_visible()


def test_keyboard_users_can_skip_to_the_content(open_page):
    page = open_page("/", language="ar")

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    page.keyboard.press("Enter")

    assert focused == "skip-link"
    assert page.evaluate("location.hash") == "#main"


def test_printing_hides_navigation(open_page):
    page = open_page("/", language="en", width=DESKTOP)

    page.emulate_media(media="print")

    assert not page.locator(".site-header").is_visible()
    assert page.locator("#programme").is_visible()
