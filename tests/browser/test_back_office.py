"""An organizer's evening in a real browser: sign in with an authenticator code, find
people, export them, and email them; the messages reach a real SMTP server."""

import csv
import io
from pathlib import Path

import pyotp
import pytest

from conference.accounts import services as accounts
from conference.extensions import db
from conference.mailer import outbox

from .conftest import live_app_with, serving

pytestmark = pytest.mark.browser

EMAIL = "organizer@forsyria.example"
PASSWORD = "a long organizer passphrase"
PEOPLE = [
    ("layla@example.org", "ليلى حداد", "ar", ["arts"]),
    ("omar@example.org", "عمر الحلبي", "ar", ["social"]),
    ("sam@example.org", "Sam Haddad", "en", ["arts", "cultural"]),
]


@pytest.fixture(scope="module")
def office(tmp_path_factory, live_smtp):
    """A live server with three registrations and an organizer who uses two factors."""
    app = live_app_with(
        tmp_path_factory.mktemp("office"),
        PEOPLE,
        **live_smtp.app_config,
        TWO_FACTOR_REQUIRED=True,
    )
    with app.app_context():
        user = accounts.create_user(EMAIL, role="organizer", password=PASSWORD)
        user.totp_secret = pyotp.random_base32()
        user.totp_enabled = True
        db.session.commit()
        app.totp = pyotp.TOTP(user.totp_secret)
        outbox.deliver_pending()  # the three confirmations
    with serving(app) as url:
        app.url = url
        yield app
    with app.app_context():
        db.engine.dispose()


def test_an_organizer_signs_in_finds_exports_and_emails_people(browser, office, live_smtp):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="en",
        extra_http_headers={"Accept-Language": "en"},
        accept_downloads=True,
    )
    page = context.new_page()

    page.goto(office.url + "/manage/attendees")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.fill("#code", office.totp.now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/manage/attendees")

    page.locator("summary", has_text="Filters").click()  # the filters fold away until used
    page.select_option("#track", "arts")
    page.get_by_role("button", name="Show attendees").click()
    page.wait_for_url("**track=arts**")  # the filtered list, not the page it left
    listed = page.locator("main table tbody tr").count()

    page.get_by_role("link", name="Export this list").click()
    with page.expect_download() as download_info:
        page.locator("main form button[type=submit]").click()
    rows = list(
        csv.reader(
            io.StringIO(
                Path(download_info.value.path()).read_text(encoding="utf-8-sig"), newline=""
            )
        )
    )

    page.goto(office.url + "/manage/attendees?track=arts")
    page.get_by_role("link", name="Email these people").click()
    page.fill("#subject_ar", "تذكير بالمؤتمر")
    page.fill("#body_ar", "نراكم قريبًا في مسار الفنون.")
    page.fill("#subject_en", "A reminder about the conference")
    page.fill("#body_en", "See you soon in the arts track.")
    page.get_by_role("button", name="Continue to the check").click()
    page.get_by_role("button", name="Send to 2 people").click()
    page.wait_for_load_state()
    with office.app_context():
        outbox.deliver_pending()
    context.close()

    assert listed == 2
    assert sorted(row[1] for row in rows[1:]) == ["Sam Haddad", "ليلى حداد"]
    announcements = [m for m in live_smtp.mailbox.messages if m["List-Unsubscribe"]]
    assert sorted(str(m["To"]) for m in announcements) == [
        "Sam Haddad <sam@example.org>",
        "ليلى حداد <layla@example.org>",
    ]
    by_address = {m["To"].addresses[0].addr_spec: m for m in announcements}
    assert by_address["layla@example.org"]["Subject"] == "تذكير بالمؤتمر"
    assert by_address["sam@example.org"]["Subject"] == "A reminder about the conference"
