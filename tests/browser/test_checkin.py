"""Check-in on a phone, in Arabic: sign in, find a person, tap once, see a duplicate.

The module runs its own live server (``live_server`` is overridden here, so the shared
``open_page`` fixture uses it) with CSRF on and a check-in account in its database.
"""

import pytest

from conference.accounts import services as accounts
from conference.checkin import services as checkin
from conference.extensions import db
from conference.registration.models import Registration

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

PHONE = 390
STAFF_EMAIL = "door@forsyria.example"
STAFF_PASSWORD = "a long check-in password"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The app behind this module's server, with people registered and a check-in account."""
    app = live_app_with(
        tmp_path_factory.mktemp("checkin"),
        [
            ("layla@example.org", "ليلى حداد", "ar", ["arts", "social"]),
            ("omar@example.org", "عمر الشامي", "ar", ["cultural"]),
            ("rami@example.org", "رامي يوسف", "ar", ["social"]),
        ],
        source="import",
    )
    with app.app_context():
        accounts.create_user(STAFF_EMAIL, role="checkin", name="سامر", password=STAFF_PASSWORD)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


def code_of(app, email):
    with app.app_context():
        return db.session.get(Registration, app.people[email]).checkin_code


def sign_in(open_page):
    """Sign in through the real form on a phone in Arabic; land on the check-in page."""
    page = open_page("/manage/checkin", language="ar", width=PHONE)
    assert "/manage/login" in page.url
    page.fill("#email", STAFF_EMAIL)
    page.fill("#password", STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/manage/checkin")
    return page


def search(page, text):
    page.fill("#q", text)
    page.press("#q", "Enter")
    page.wait_for_selector(".checkin-people, .checkin__results-title")


def test_check_in_on_a_phone_in_arabic(open_page, live_server, live_app):
    page = sign_in(open_page)

    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert page.locator("#q").bounding_box()["height"] >= 44
    assert serious_violations(page) == []

    search(page, "ليلى")
    # The search is sent in the body: nothing typed shows in the address (nor in any log).
    assert page.url == live_server + "/manage/checkin"
    # A second phone at another door has the same person on screen.
    other = page.context.new_page()
    other.goto(page.url)
    search(other, "ليلى")
    button = page.locator(".checkin-person__action button")
    assert button.count() == 1
    box = button.bounding_box()
    assert box["height"] >= 56
    assert box["width"] >= 200
    assert "l•••@example.org" in page.inner_text(".checkin-person__email")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert serious_violations(page) == []

    button.click()
    page.wait_for_selector('[data-checkin-result="first"]')
    result = page.locator(".checkin-result")
    assert "ليلى حداد" in result.inner_text()
    assert page.evaluate("document.activeElement.dataset.checkinResult") == "first"
    assert page.inner_text('[data-count="checked_in"]') == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert serious_violations(page) == []

    other.locator(".checkin-person__action button").click()
    other.wait_for_selector('[data-checkin-result="duplicate"]')
    duplicate = other.locator(".checkin-result").inner_text()
    assert "سامر" in duplicate  # who checked them in
    assert other.locator(".checkin-result__undo").count() == 0
    assert serious_violations(other) == []

    # The QR code of someone already in: a duplicate at once, nothing to tap.
    page.goto(live_server + "/manage/checkin/c/" + code_of(live_app, "layla@example.org"))
    assert page.locator('[data-checkin-result="duplicate"]').is_visible()
    assert page.locator(".checkin-person__action").count() == 0

    assert [url for url in page.requested if not url.startswith(live_server)] == []


def test_the_qr_code_page_checks_in_with_one_tap(open_page, live_server, live_app):
    page = sign_in(open_page)

    page.goto(live_server + "/manage/checkin/c/" + code_of(live_app, "omar@example.org"))
    assert "عمر الشامي" in page.inner_text("h2")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert serious_violations(page) == []

    page.locator(".checkin-person__action button").click()
    page.wait_for_selector('[data-checkin-result="first"]')
    assert serious_violations(page) == []

    page.locator(".checkin-result__undo button").click()
    page.wait_for_selector('[data-checkin-result="undone"]')
    assert page.locator(".checkin-person__action").count() == 0
    page.reload()
    assert page.locator(".checkin-person__action button").is_visible()


def test_counts_refresh_by_themselves(open_page, live_server, live_app):
    page = sign_in(open_page)
    before = page.inner_text('[data-count="checked_in"]')

    with live_app.app_context():
        registration = db.session.get(Registration, live_app.people["rami@example.org"])
        staff = accounts.find_user(STAFF_EMAIL)
        checkin.check_in(registration, by=staff)
    # The refresher runs every 15 seconds and whenever the page becomes visible again.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_function(
        "before => document.querySelector('[data-count=\"checked_in\"]').textContent !== before",
        arg=before,
    )

    assert int(page.inner_text('[data-count="checked_in"]')) == int(before) + 1
