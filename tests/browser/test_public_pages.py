"""What attendees see, in a real browser: the home page with a full track, the form, the
page after it (a seat and a place in line), the details page and the change of address.

Both languages, on a phone and a desktop: nothing wider than the window, no serious or
critical axe-core finding.
"""

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest

from conference.clock import utcnow
from conference.content.models import Track
from conference.extensions import db
from conference.registration import email_change
from conference.registration import services as registrations
from conference.registration.models import Registration
from conference.tokens import new_token, token_hash

from .conftest import live_app_with, serious_violations, serving

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]
LANGUAGES = [("ar", "rtl"), ("en", "ltr")]
_numbers = itertools.count()

# Where the full stop after the address is drawn, and the address's last line box.
FULL_STOP_AND_ADDRESS = """() => {
  const bdi = document.querySelector(".panel .lead bdi");
  const range = document.createRange();
  range.setStart(bdi.nextSibling, 0);
  range.setEnd(bdi.nextSibling, 1);
  const dot = range.getBoundingClientRect();
  const boxes = bdi.getClientRects();
  const last = boxes[boxes.length - 1];
  return [{left: dot.left, right: dot.right}, {left: last.left, right: last.right}];
}"""


@dataclass
class Site:
    url: str
    app: object
    manage_token: str
    change_token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A live app: arts is full (one seat, one person waiting); Layla has a private link
    and a change of address waiting for its confirmation."""
    directory = tmp_path_factory.mktemp("public")
    people = [
        ("seated@example.org", "Seated Person", "en", ["arts"]),
        ("waiting@example.org", "Waiting Person", "en", ["arts"]),
        ("layla@example.org", "ليلى حداد", "ar", ["cultural", "arts"]),
    ]
    app = live_app_with(directory, people[:1])
    with app.app_context():
        arts = db.session.scalars(db.select(Track).filter_by(key="arts")).one()
        arts.capacity = 1
        db.session.commit()
        conference = arts.conference
        for email, name, language, tracks in people[1:]:
            registrations.register_attendee(
                conference,
                email=email,
                full_name=name,
                track_keys=tracks,
                language=language,
                privacy_accepted=True,
            )
        layla = db.session.scalars(db.select(Registration).filter_by(email=people[2][0])).one()
        manage_token = registrations.mint_token(layla)
        change_token = new_token()
        db.session.add(
            email_change.EmailChange(
                registration_id=layla.id,
                new_email="layla.haddad.new-address@example.org",
                token_hash=token_hash(change_token),
                expires_at=utcnow() + timedelta(hours=1),
                created_at=utcnow(),
            )
        )
        db.session.commit()
    with serving(app) as url:
        yield Site(url, app, manage_token, change_token)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def open_at(browser, site):
    contexts = []

    def _open(path, *, language, width):
        context = browser.new_context(
            viewport={"width": width, "height": 844},
            locale=language,
            extra_http_headers={"Accept-Language": language},
            device_scale_factor=1,
        )
        contexts.append(context)
        page = context.new_page()
        page.requested = []
        page.on("request", lambda request: page.requested.append(request.url))
        response = page.goto(site.url + path)
        page.status = response.status
        return page

    yield _open
    for context in contexts:
        context.close()


def check(page, site, language, direction, width):
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("html", "dir") == direction
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_violations(page) == []
    assert [url for url in page.requested if not url.startswith(site.url)] == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_the_home_page_flags_the_full_track(open_at, site, language, direction, width):
    page = open_at("/", language=language, width=width)

    assert page.status == 200
    badges = page.locator(".card--arts .badge--full")
    assert badges.count() == 1
    assert badges.first.is_visible()
    assert page.locator(".card--social .badge--full").count() == 0
    check(page, site, language, direction, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_registering_shows_a_seat_and_a_place_in_line(open_at, site, language, direction, width):
    page = open_at("/register", language=language, width=width)
    check(page, site, language, direction, width)

    page.fill("input[name=full_name]", "Sami Haddad")
    page.fill("input[name=email]", f"sami{next(_numbers)}.{language}{width}@example.org")
    page.fill("input[name=city]", "Houston")
    page.check("input[name=tracks][value=cultural]")
    page.check("input[name=tracks][value=arts]")
    page.check("input[name=privacy]")
    page.locator("form.form [type=submit]").click()
    page.wait_for_load_state()

    assert page.url == site.url + "/register/done"
    items = page.locator(".outcome li")
    assert items.count() == 2
    assert page.locator(".outcome .outcome--waiting").count() == 1
    # The address sits at the end of the sentence: its full stop comes after it.
    lead = page.locator(".panel .lead")
    assert lead.locator("bdi[dir=ltr]").count() == 1
    assert lead.inner_text().rstrip().endswith("example.org.")
    dot, address = page.evaluate(FULL_STOP_AND_ADDRESS)
    if direction == "rtl":  # the sentence ends on the left: the stop is left of the address
        assert dot["right"] <= address["left"] + 1, (dot, address)
    else:
        assert dot["left"] >= address["right"] - 1, (dot, address)
    check(page, site, language, direction, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_the_details_and_change_of_address_pages(open_at, site, language, direction, width):
    for path in (
        f"/registration/{site.manage_token}/details",
        f"/registration/{site.manage_token}/email",
        f"/registration/new-address/{site.change_token}",
    ):
        page = open_at(path, language=language, width=width)
        assert page.status == 200, path
        check(page, site, language, direction, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
def test_a_bad_new_address_is_explained(open_at, site, language, direction, width):
    page = open_at(f"/registration/{site.manage_token}/email", language=language, width=width)

    page.fill("input[name=email]", "not an address")
    page.locator("form.form [type=submit]").click()
    page.wait_for_load_state()

    assert page.locator(".error-summary").count() == 1
    check(page, site, language, direction, width)
