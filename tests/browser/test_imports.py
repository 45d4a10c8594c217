"""The import page in a real browser: upload, preview and result on a phone and a desktop,
in both languages: no horizontal overflow, no serious axe violation."""

import pytest

from conference.accounts import services as accounts
from conference.extensions import db

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

EMAIL = "organizer@forsyria.example"
PASSWORD = "a long organizer password"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    app = live_app_with(
        tmp_path_factory.mktemp("imports"),
        [("layla@example.org", "ليلى حداد", "ar", ["arts", "social"])],
    )
    with app.app_context():
        accounts.create_user(EMAIL, role="organizer", name="هالة", password=PASSWORD)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app):
    with serving(live_app) as url:
        yield url


def checked(page, width, what):
    assert page.get_attribute("html", "dir") in ("rtl", "ltr")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, what
    assert serious_violations(page) == [], what
    assert not [url for url in page.requested if not url.startswith("http://127.0.0.1")]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_upload_preview_and_result_fit_and_pass_axe(open_page, language, width):
    page = open_page("/manage/import", language=language, width=width)
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/manage/import")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    checked(page, width, "upload")

    tag = f"{language}{width}"
    csv = (
        "\ufeffEmail address;Full name;Tracks with a seat;Email language\r\n"
        f"someone.with.a.rather.long.address.{tag}@example.org;عمر الحلبي;arts, Social;العربية\r\n"
        "layla@example.org;ليلى حداد;Arts;العربية\r\n"
        f"odd{tag}@example.org;Odd;Dance;Klingon\r\n"
    ).encode()
    page.set_input_files(
        "#file", files=[{"name": "paper.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/manage/import/*")
    assert page.locator(".import-rows__row").count() == 3
    checked(page, width, "preview")

    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("a[href$='skipped.csv']").count() == 1
    checked(page, width, "result")
