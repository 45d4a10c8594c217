"""The audit log in a real browser: a phone and a desktop, both languages, axe-core, with
every kind of event, long addresses and grouped views."""

import pytest

from conference import audit
from conference.accounts import services as accounts
from conference.extensions import db

from ..manage.test_audit_page import EVERY_ACTION
from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "administrator.of.the.conference@forsyria.example"
ADMIN_PASSWORD = "a long administrator password"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The app behind this module's server: two registrations, an admin and every event."""
    app = live_app_with(
        tmp_path_factory.mktemp("audit"),
        [
            ("layla@example.org", "ليلى حداد", "ar", ["arts", "social"]),
            ("omar@example.org", "Omar Haddad", "en", ["cultural"]),
        ],
    )
    with app.app_context():
        admin = accounts.create_user(
            ADMIN_EMAIL, role="admin", name="هالة", password=ADMIN_PASSWORD
        )
        registration_id = app.people["layla@example.org"]
        for action, details in EVERY_ACTION:
            if "registration_id" in details:
                details = {**details, "registration_id": registration_id}
            audit.record(action, actor=admin, **details)
        for _n in range(3):  # with the one above: one row, four views
            audit.record("attendee.viewed", actor=admin, registration_id=registration_id)
        db.session.commit()
        app.registration_id = registration_id
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


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_audit_log_fits_and_passes_axe(open_page, live_app, language, width):
    page = sign_in(open_page, "/manage/audit", language, width)

    for path in [
        "/manage/audit",
        "/manage/audit?action=attendee.viewed&from=2026-01-01",
        "/manage/audit?from=nonsense",
    ]:
        page.goto(page.url.split("/manage/")[0] + path)
        assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        assert serious_violations(page) == [], path
    assert not [url for url in page.requested if not url.startswith("http://127.0.0.1")]


def test_filters_fold_away_on_a_phone_and_a_registration_opens_its_page(open_page, live_app):
    page = sign_in(open_page, "/manage/audit", "en", 390)

    assert page.get_attribute("details.filter-panel", "open") is None
    page.locator("summary.filter-panel__summary").click()
    page.select_option("#audit-action", "attendee.viewed")
    page.locator("details.filter-panel button[type=submit]").click()
    page.wait_for_url("**action=attendee.viewed**")
    assert page.get_attribute("details.filter-panel", "open") is not None
    rows = page.locator("table.audit-log tbody tr")
    assert rows.count() == 1  # four views of one attendee by one person on one day
    assert "4 times between" in page.inner_text("table.audit-log")

    page.locator(f'a[href$="/manage/attendees/{live_app.registration_id}"]').first.click()
    page.wait_for_url(f"**/manage/attendees/{live_app.registration_id}")
    assert "ليلى حداد" in page.inner_text("main")
