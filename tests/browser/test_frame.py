"""The back office's frame in a real browser: the dashboard, the users page and the bulk
email list at a phone's and a laptop's width in both languages; no sideways scrolling, no
serious axe finding, a compact header on a phone and one row of sections on a laptop."""

import pytest

from conference.accounts import services as accounts
from conference.content import services as content
from conference.extensions import db

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@forsyria.example"
ADMIN_PASSWORD = "a long administrator password"
PAGES = ["/manage/dashboard", "/manage/users", "/manage/email"]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """Registrations that fill the arts track, an admin (with a long Arabic name) and others."""
    app = live_app_with(
        tmp_path_factory.mktemp("frame"),
        [
            ("layla@example.org", "ليلى حداد", "ar", ["arts", "social"]),
            ("omar@example.org", "عمر الحلبي", "ar", ["arts"]),
            ("sam.a.very.long.address.indeed@example.org", "Sam Haddad", "en", ["arts"]),
        ],
    )
    with app.app_context():
        conference = content.current_conference()
        arts = next(track for track in conference.tracks if track.key == "arts")
        arts.capacity = 3  # every seat taken
        db.session.commit()
        accounts.create_user(
            ADMIN_EMAIL, role="admin", name="هالة عبد الرحمن الشامي", password=ADMIN_PASSWORD
        )
        accounts.create_user("desk.volunteer.with.long.name@forsyria.example", role="checkin")
        accounts.create_user("coordinator@forsyria.example", role="coordinator")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


def sign_in(open_page, path, language, width):
    page = open_page(path, language=language, width=width)
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{path}")
    return page


def overflow(page, width):
    return page.evaluate("document.documentElement.scrollWidth") > width


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_frame_fits_and_passes_axe(open_page, language, width):
    page = sign_in(open_page, PAGES[0], language, width)
    base = page.url.split("/manage/")[0]

    for path in PAGES:
        page.goto(base + path)
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert not overflow(page, width), f"{path} scrolls sideways at {width} px"
        assert serious_violations(page) == [], path
        header = page.locator("header.staff-header").bounding_box()
        if width == 390:
            assert header["height"] <= 120, f"{path}: header {header['height']} px on a phone"
            assert page.locator("nav.staff-sections").is_hidden()
            assert page.locator("details.staff-menu > summary").is_visible()
        else:
            sections = page.locator("nav.staff-sections")
            row = sections.locator("a:visible, summary:visible")  # "More" folds the rest
            assert sections.is_visible()
            assert page.locator("details.staff-menu").is_hidden()
            boxes = [row.nth(n).bounding_box() for n in range(row.count())]
            assert len({round(box["y"]) for box in boxes}) == 1, f"{path}: the row wraps"
            assert all(0 <= box["x"] and box["x"] + box["width"] <= width for box in boxes)
            assert header["height"] <= 130


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_phone_menu_opens_without_script_and_marks_the_page(open_page, language):
    page = sign_in(open_page, "/manage/users", language, 390)

    page.locator("details.staff-menu > summary").click()
    panel = page.locator("nav.staff-menu__panel")

    assert panel.is_visible()
    current = panel.locator('a[aria-current="page"]')
    assert current.count() == 1
    assert current.get_attribute("href") == "/manage/users"
    assert panel.locator('a[href="/manage/tracks"]').is_visible()
    assert panel.locator('a[href="/manage/export"]').is_visible()
    assert not overflow(page, 390)
    assert serious_violations(page) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_dashboard_full_badge_and_users_cards(open_page, width):
    page = sign_in(open_page, "/manage/dashboard", "en", width)

    full = page.locator(".capacity--full")
    assert full.count() == 1
    assert "Full" in full.inner_text()
    # The attendees' five figures lead; the volunteers' four follow in a section of theirs.
    assert page.locator(".tiles").first.locator(".tile").count() == 5
    assert page.locator(".tiles").nth(1).locator(".tile").count() == 4

    page.goto(page.url.split("/manage/")[0] + "/manage/users")
    header_cells = page.locator(".users-table thead")
    if width == 390:
        assert header_cells.is_hidden()  # one card per person
        assert page.locator(".users-table td[data-label]").first.is_visible()
    else:
        assert header_cells.is_visible()


def test_disable_asks_then_flashes_and_enables_again(open_page):
    page = sign_in(open_page, "/manage/users", "en", 1280)

    row = page.locator("tr", has_text="coordinator@forsyria.example")
    row.get_by_role("link", name="Disable").click()
    page.get_by_role("button", name="Disable the account").click()
    flash = page.locator(".flash--success")

    assert flash.is_visible()
    assert "is disabled" in flash.inner_text()
    assert flash.get_attribute("role") == "status"
    menu_bottom = page.locator("header.staff-header").bounding_box()
    flash_box = flash.bounding_box()
    assert flash_box["y"] >= menu_bottom["y"] + menu_bottom["height"] + 8  # not touching
    assert serious_violations(page) == []

    page.locator("tr", has_text="coordinator@forsyria.example").get_by_role(
        "button", name="Enable again"
    ).click()
    assert "can sign in again" in page.locator(".flash--success").inner_text()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_more_opens_the_rest_of_the_sections_on_a_laptop(open_page, language):
    page = sign_in(open_page, "/manage/users", language, 1280)
    more = page.locator("nav.staff-sections details")

    hidden_before = page.locator('nav.staff-sections a[href="/manage/audit"]').is_hidden()
    more.locator("summary").click()
    audit = page.locator('nav.staff-sections a[href="/manage/audit"]')
    box = audit.bounding_box()

    assert hidden_before
    assert "staff-more__button--current" in more.locator("summary").get_attribute("class")
    assert more.locator('a[aria-current="page"]').get_attribute("href") == "/manage/users"
    assert 0 <= box["x"]
    assert box["x"] + box["width"] <= 1280
    assert not overflow(page, 1280)
    assert serious_violations(page) == []
