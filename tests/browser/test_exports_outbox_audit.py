"""The export, outbox and audit pages in a real browser: a phone, both languages, axe-core,
and a real download of the attendee list with CSRF protection on."""

import csv
import io
from pathlib import Path

import pytest

from conference.accounts import services as accounts
from conference.extensions import db
from conference.mailer.models import MessageStatus, OutboxMessage

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

PHONE = 390
ADMIN_EMAIL = "admin@forsyria.example"
ADMIN_PASSWORD = "a long administrator password"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The app behind this module's server: registrations, a failed message, an admin."""
    app = live_app_with(
        tmp_path_factory.mktemp("exports"),
        [
            ("layla@example.org", "ليلى حداد", "ar", ["arts", "social"]),
            ("omar@example.org", '=HYPERLINK("http://evil.example")', "ar", ["cultural"]),
        ],
        source="import",
    )
    with app.app_context():
        message = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).first()
        message.status = MessageStatus.failed
        message.last_error = "550 5.1.1 <layla@example.org>: Recipient address rejected"
        db.session.commit()
        accounts.create_user(ADMIN_EMAIL, role="admin", name="هالة", password=ADMIN_PASSWORD)
        app.message_id = message.id
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


def sign_in(open_page, path, language):
    page = open_page(path, language=language, width=PHONE)
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{path}")
    return page


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_pages_work_on_a_phone(open_page, live_app, language):
    page = sign_in(open_page, "/manage/export?track=arts", language)

    for path in [
        "/manage/export?track=arts",
        "/manage/outbox",
        f"/manage/outbox/{live_app.message_id}",
        "/manage/audit",
    ]:
        page.goto(page.url.split("/manage/")[0] + path)
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, path
        assert serious_violations(page) == [], path
        assert not [url for url in page.requested if not url.startswith("http://127.0.0.1")]


def test_an_organizer_downloads_the_list_and_it_is_in_the_audit_log(open_page):
    page = sign_in(open_page, "/manage/export?track=arts", "ar")
    page.check('input[name="columns"][value="tracks_waitlisted"]')

    with page.expect_download() as download_info:
        page.locator("main form button[type=submit]").click()
    download = download_info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    page.goto(page.url.split("/manage/")[0] + "/manage/audit?action=attendees.exported")

    assert download.suggested_filename.startswith("for-syria-attendees-")
    assert download.suggested_filename.endswith(".csv")
    assert [row[1] for row in rows[1:]] == ["ليلى حداد"]  # the arts track only
    assert "CSV" in page.inner_text("main table")
