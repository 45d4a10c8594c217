"""A newcomer's first registration on the development site: the confirmation arrives in the
development mailbox, and its private link, clicked in the message, opens the registration."""

import time

import pytest

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.mailer import mailbox, outbox

from ..conftest import TEST_CONFIG
from .conftest import serious_violations, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app as ``make run`` runs it: the mailbox on, delivery right after each request."""
    folder = tmp_path_factory.mktemp("development")
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'dev.db'}",
            "WTF_CSRF_ENABLED": True,
            "DEV_MAILBOX": True,
            "DEV_MAILBOX_DIR": str(folder / "mailbox"),
            "OUTBOX_DELIVER_AFTER_REQUEST": True,
        }
    )
    with app.app_context():
        db.create_all()
        content.load_content_file()
    deliverer = app.extensions["outbox_deliverer"]
    deliverer.wake()  # its thread belongs to this module
    with serving(app) as base:
        app.config["BASE_URL"] = base
        yield base, app
    deliverer.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(
        viewport={"width": 1000, "height": 900},
        locale="en",
        extra_http_headers={"Accept-Language": "en"},
        device_scale_factor=1,
    )
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def wait_for_mailbox(app, count, timeout=15):
    """Wait until the mailbox holds ``count`` messages (delivering, as the test server may
    skip the after-response hook when the browser resets a connection)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            if mailbox.count() >= count:
                return
            outbox.deliver_pending()
        time.sleep(0.2)
    raise AssertionError(f"expected {count} messages in the mailbox")


def test_the_confirmation_is_read_in_the_mailbox_and_its_link_opens_the_registration(page, site):
    base, app = site
    page.goto(base + "/register")
    assert page.locator(".dev-banner a", has_text="Mailbox: 0 messages").count() == 1
    page.fill("#full_name", "Layla Haddad")
    page.fill("#email", "layla@example.org")
    page.fill("#city", "Houston")
    page.check("#tracks-0")
    page.check("#privacy")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == base + "/register/done"
    assert "We have sent a message to" in page.inner_text("main")

    wait_for_mailbox(app, 1)
    page.click(".dev-banner a")
    assert page.url == base + "/dev/mailbox"
    assert page.locator(".dev-banner a", has_text="Mailbox: 1 message").count() == 1
    assert serious_violations(page) == []
    with page.expect_navigation():
        page.click(".mailbox-table a")
    assert serious_violations(page) == []
    assert page.locator(".mailbox-attachments a", has_text="invite.ics").count() == 1

    with page.expect_download() as download:
        page.click(".mailbox-attachments a >> text=invite.ics")
    assert download.value.suggested_filename == "invite.ics"

    message = page.frame_locator("iframe.mailbox-frame")
    link = message.locator('a[href*="/registration/"]').first
    with page.expect_navigation():
        link.click()
    assert "/registration/" in page.url
    assert "Layla Haddad" in page.inner_text("main")
    assert [url for url in page.requested if not url.startswith(base)] == []
