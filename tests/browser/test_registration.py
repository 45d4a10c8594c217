"""Registering in Arabic on a phone with the keyboard only: the form, the email that a
real SMTP server receives, and the private link it carries (change tracks, cancel)."""

import re
import time
from dataclasses import dataclass

import pytest

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.mailer import outbox

from ..conftest import TEST_CONFIG
from .conftest import serious_violations, serving

pytestmark = pytest.mark.browser

PHONE = 390
MANAGE_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/registration/[A-Za-z0-9_-]+)")


@dataclass
class Site:
    url: str
    app: object


@pytest.fixture(scope="module")
def smtp(live_smtp):
    return live_smtp


@pytest.fixture(scope="module")
def site(tmp_path_factory, smtp):
    """The app on a loopback port, sending its mail to ``smtp`` right after each request."""
    database = tmp_path_factory.mktemp("registration") / "live.db"
    app = create_app(
        {
            **TEST_CONFIG,
            **smtp.app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": True,
            "OUTBOX_DELIVER_AFTER_REQUEST": True,
        }
    )
    with app.app_context():
        db.create_all()
        content.load_content_file()
    # Its delivery thread starts now, so that it belongs to this module rather than to the
    # first test that sends mail, and ends with the module.
    deliverer = app.extensions["outbox_deliverer"]
    deliverer.wake()
    with serving(app) as base:
        app.config["BASE_URL"] = base  # the links in the emails
        yield Site(base, app)
    deliverer.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def phone(browser, site):
    """A phone-sized page in Arabic that records every request it makes."""
    context = browser.new_context(
        viewport={"width": PHONE, "height": 844},
        locale="ar",
        extra_http_headers={"Accept-Language": "ar"},
        device_scale_factor=1,
    )
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def assert_fits_and_is_accessible(page):
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert serious_violations(page) == []


def tab_to(page, selector, limit=80):
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def press(page, key):
    with page.expect_navigation():
        page.keyboard.press(key)


def wait_for_mail(site, smtp, count, timeout=15):
    """Wait until ``smtp`` has received ``count`` messages; return them.

    The app sends right after each request; every second the test also runs a delivery
    itself, as a ``flask outbox work`` process would, because Werkzeug's development
    server skips the after-response hook when the browser resets the connection.
    """
    deadline = time.monotonic() + timeout
    next_delivery = time.monotonic() + 1
    while time.monotonic() < deadline:
        if len(smtp.mailbox.envelopes) >= count:
            return smtp.mailbox.messages
        if time.monotonic() >= next_delivery:
            with site.app.app_context():
                outbox.deliver_pending()
            next_delivery += 1
        time.sleep(0.1)
    raise AssertionError(f"expected {count} messages, got {len(smtp.mailbox.envelopes)}")


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def test_registering_in_arabic_on_a_phone_with_the_keyboard_only(phone, site, smtp):
    page = phone
    page.goto(site.url + "/register")
    assert_fits_and_is_accessible(page)

    # Sending the empty form: the error summary comes back with the focus.
    tab_to(page, "button[type=submit]")
    press(page, "Enter")
    assert page.title().startswith("\u200f")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert_fits_and_is_accessible(page)

    tab_to(page, "#full_name")
    page.keyboard.type("ليلى حدّاد")
    tab_to(page, "#email")
    page.keyboard.type("layla@example.org")
    tab_to(page, "#city")
    page.keyboard.type("هيوستن")
    tab_to(page, "#tracks-0")
    page.keyboard.press("Space")
    tab_to(page, "#tracks-2")
    page.keyboard.press("Space")
    tab_to(page, "#privacy")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    press(page, "Enter")

    assert page.url == site.url + "/register/done"
    assert page.locator('bdi[dir="ltr"]', has_text="layla@example.org").count() == 1
    assert_fits_and_is_accessible(page)

    [confirmation] = wait_for_mail(site, smtp, 1)
    assert confirmation["To"].addresses[0].addr_spec == "layla@example.org"
    manage_url = MANAGE_LINK.search(text_of(confirmation))[1]

    page.goto(manage_url)
    assert page.locator(".place--confirmed").count() == 2
    assert_fits_and_is_accessible(page)

    # Change tracks: add the social track, drop the arts track.
    tab_to(page, 'a[href$="/tracks"]')
    press(page, "Enter")
    assert_fits_and_is_accessible(page)
    tab_to(page, "#tracks-1")
    page.keyboard.press("Space")
    tab_to(page, "#tracks-2")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    press(page, "Enter")

    assert page.url == manage_url
    tracks = page.locator(".place__track").all_inner_texts()
    assert tracks == ["الثقافة", "المجتمع"]
    wait_for_mail(site, smtp, 2)

    # Cancel, after saying yes.
    tab_to(page, 'a[href$="/cancel"]')
    press(page, "Enter")
    tab_to(page, "button[type=submit]")
    press(page, "Enter")

    assert page.url == site.url + "/register/cancelled"
    assert_fits_and_is_accessible(page)
    messages = wait_for_mail(site, smtp, 3)
    assert [m["To"].addresses[0].addr_spec for m in messages] == ["layla@example.org"] * 3
    page.goto(manage_url)  # the link now only says what happened
    assert page.url == site.url + "/register/cancelled"
    assert [url for url in page.requested if not url.startswith(site.url)] == []


def test_a_likely_typo_in_the_address_is_offered_and_can_be_taken(phone, site, smtp):
    page = phone
    page.goto(site.url + "/register")
    page.fill("#full_name", "Omar")
    page.fill("#email", "omar@gmial.com")
    page.fill("#city", "Dearborn")
    page.check("#tracks-0")
    page.check("#privacy")
    with page.expect_navigation():
        page.click("button[type=submit]")

    assert page.evaluate("document.activeElement.classList.contains('check-summary')")
    assert_fits_and_is_accessible(page)
    tab_to(page, "#use_suggestion")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    press(page, "Enter")

    assert page.url == site.url + "/register/done"
    assert page.locator('bdi[dir="ltr"]', has_text="omar@gmail.com").count() == 1
