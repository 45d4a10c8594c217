"""The back office's lists in a real browser: the attendee list (with 65 registrations,
two pages), the tracks page and the outbox, on a phone and a desktop, in both languages:
nothing wider than the window and no serious axe-core finding."""

import pytest

from conference.accounts import services as accounts
from conference.extensions import db
from conference.mailer.models import MessageStatus, OutboxMessage

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@forsyria.example"
ADMIN_PASSWORD = "a long administrator password"
LONG_ADDRESS = "a.very.long.address.for.wrapping.tests@an-unusually-long-subdomain.example.org"


def people():
    yield (LONG_ADDRESS, "Maximilian Alexander Konstantin Haddad-Rahman", "en", ["arts"])
    for n in range(64):
        arabic = n % 2 == 0
        name = f"ليلى حداد {n}" if arabic else f"Omar Khalil {n}"
        tracks = [["arts", "social"], ["cultural"], ["social"], ["arts", "cultural", "social"]][
            n % 4
        ]
        yield (f"person{n}@example.org", name, "ar" if arabic else "en", tracks)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    app = live_app_with(tmp_path_factory.mktemp("lists"), list(people()))
    with app.app_context():
        message = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).first()
        message.status = MessageStatus.failed
        message.attempts = 5
        message.last_error = (
            f"550 5.1.1 <{LONG_ADDRESS}>: Recipient address rejected: "
            "User unknown in virtual mailbox table; see https://mail.example.org/errors/5.1.1"
        )
        db.session.commit()
        accounts.create_user(ADMIN_EMAIL, role="admin", name="هالة", password=ADMIN_PASSWORD)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


def sign_in(open_page, language, width):
    page = open_page("/manage/attendees", language=language, width=width)
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/manage/attendees")
    return page


def check(page, width, path):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    assert serious_violations(page) == [], path
    assert not [url for url in page.requested if not url.startswith("http://127.0.0.1")]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_lists_fit_and_pass_axe(open_page, language, width):
    page = sign_in(open_page, language, width)
    base = page.url.split("/manage/")[0]
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    check(page, width, "attendees")

    page.locator('a[rel="next"]').click()
    page.wait_for_url("**after=*")
    assert page.locator("tbody tr").count() == 15
    check(page, width, "attendees, page 2")

    for path in (
        "/manage/attendees?sort=name&status=waitlisted",
        "/manage/tracks",
        "/manage/outbox",
        "/manage/outbox?status=failed",
    ):
        page.goto(base + path)
        check(page, width, path)


def test_on_a_phone_rows_are_cards_and_filters_fold_away(open_page):
    page = sign_in(open_page, "en", 390)

    header = page.locator("table.data-list thead")
    cell = page.locator("table.data-list tbody tr").first.locator("td").first

    assert header.bounding_box()["height"] <= 1  # the headers are read, not shown
    assert page.locator("details.filter-panel").get_attribute("open") is None
    assert page.evaluate("e => getComputedStyle(e, '::before').content", cell.element_handle())
    assert page.locator("#q").is_visible()


def test_on_a_desktop_the_list_is_a_table(open_page):
    page = sign_in(open_page, "en", 1280)

    assert page.locator("table.data-list thead th").first.is_visible()
    assert page.locator("table.data-list").bounding_box()["width"] <= 1280
