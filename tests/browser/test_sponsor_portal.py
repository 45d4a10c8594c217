"""A sponsor in a real browser: signs in (a password is enough even where two factors are
required, since sponsors see aggregates only), lands on their portal, opens the impact
page of the track they support, and every portal page passes axe in both languages at a
phone's and a desktop's width."""

import pytest

from conference.content import services as content
from conference.extensions import db
from conference.registration import services as registrations
from conference.showcase.models import Story
from tests.sponsors.seeding import make_sponsor, make_sponsor_account

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

EMAIL = "olive@sponsor.example"
PASSWORD = "a long sponsor passphrase"
PHONE, DESKTOP = 390, 1280
PAGES = [
    "/sponsor",
    "/sponsor/showcase",
    "/sponsor/showcase/{story_id}",
    "/sponsor/impact/arts",
    "/sponsor/summary",
]


@pytest.fixture(scope="module")
def portal(tmp_path_factory, browser):
    """A live server: the arts track with 12 registrations (3 from a small city), a sponsor
    of arts with an account, the sample stories; a signed-in sponsor's browser state."""
    app = live_app_with(tmp_path_factory.mktemp("portal"), TWO_FACTOR_REQUIRED=True)
    with app.app_context():
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
        for n in range(12):
            registrations.register_attendee(
                conference,
                email=f"fan{n}@example.org",
                full_name=f"Fan {n}",
                track_keys=["arts"],
                language="ar" if n % 3 else "en",
                city="Smallville" if n < 3 else "Houston",
                region="Texas",
                privacy_accepted=True,
            )
        sponsor = make_sponsor(conference, tracks=["arts"])
        make_sponsor_account(sponsor, EMAIL, PASSWORD)
        app.story_id = db.session.scalar(db.select(Story.id).order_by(Story.id).limit(1))
    with serving(app) as url:
        app.url = url
        context = browser.new_context(locale="en", extra_http_headers={"Accept-Language": "en"})
        page = context.new_page()
        page.goto(url + "/manage/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/sponsor")
        app.landed = page.url.removeprefix(url)
        page.get_by_role("link", name="See the impact on Arts").click()
        page.wait_for_url("**/sponsor/impact/arts")
        app.impact_text = page.locator("main").inner_text()
        app.state = context.storage_state()
        context.close()
        yield app
    with app.app_context():
        db.engine.dispose()


def test_a_sponsor_signs_in_and_sees_the_impact_page(portal):
    assert portal.landed == "/sponsor"
    assert "Impact: Arts" in portal.impact_text
    assert "fewer than 5" in portal.impact_text
    assert "Smallville" not in portal.impact_text
    assert "Fan 1" not in portal.impact_text


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
@pytest.mark.parametrize("path", PAGES)
def test_every_portal_page_passes_axe(browser, portal, path, language, direction, width):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale=language,
        extra_http_headers={"Accept-Language": language},
        storage_state=portal.state,
    )
    try:
        page = context.new_page()
        response = page.goto(portal.url + path.format(story_id=portal.story_id))
        page.wait_for_load_state()

        assert response.status == 200
        assert "/manage/login" not in page.url
        assert (page.get_attribute("html", "lang"), page.get_attribute("html", "dir")) == (
            language,
            direction,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []
    finally:
        context.close()
