"""The account page, a flash message naming an address, the development mailbox and an
error page, in a real browser: both languages, phone and desktop, no horizontal overflow,
no serious axe finding, and the address or time read the same way as everywhere."""

import pytest

from conference.accounts import services as accounts
from conference.extensions import db
from conference.mailer import outbox

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 390, 1280
EMAIL = "admin@forsyria.example"
PASSWORD = "a long administrator passphrase"
PEOPLE = [("layla@example.org", "Layla Haddad", "ar", ["arts"])]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("isolation")
    app = live_app_with(folder, PEOPLE, DEV_MAILBOX=True, DEV_MAILBOX_DIR=str(folder / "mailbox"))
    with app.app_context():
        accounts.create_user(EMAIL, role="admin", password=PASSWORD)
        db.session.commit()
        outbox.deliver_pending()  # the confirmation, into the development mailbox
    with serving(app) as url:
        app.url = url
        yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def signed_in(browser, site):
    contexts = []

    def _signed_in(language, width):
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            locale=language,
            extra_http_headers={"Accept-Language": language},
            device_scale_factor=1,
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(site.url + "/manage/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        return page

    yield _signed_in
    for context in contexts:
        context.close()


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_violations(page) == []


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_account_flash_mailbox_and_error_pages(site, signed_in, language, direction, width):
    page = signed_in(language, width)

    page.goto(site.url + "/manage/account")
    assert page.get_attribute("html", "dir") == direction
    assert page.locator('main bdi[dir="ltr"]', has_text=EMAIL).count() == 1
    assert page.locator("main time").count() >= 2  # when each session began, was last seen
    _fits(page, width)

    page.goto(site.url + "/manage/users")
    page.fill("#email", f"invitee-{language}-{width}@forsyria.example")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    notice = page.locator(".flash__text").first
    assert notice.locator('bdi[dir="ltr"]').inner_text() == (
        f"invitee-{language}-{width}@forsyria.example"
    )
    _fits(page, width)

    page.goto(site.url + "/dev/mailbox")
    assert page.locator("main time").count() >= 1
    _fits(page, width)
    page.locator("main table a").first.click()
    page.wait_for_load_state()
    assert page.locator("main time").count() == 1
    _fits(page, width)

    response = page.goto(site.url + "/no-such-page")
    assert response.status == 404
    assert page.get_attribute("html", "lang") == language
    _fits(page, width)
