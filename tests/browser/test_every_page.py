"""Every page people read, in both languages, at a phone's and a desktop's width.

The scene (``conference.development.scene``) is a conference in the middle of its
sign-ups: 300 people, a full track with a waiting list, check-ins, an email sent. Each
page must fit the screen (no horizontal scrolling), have no serious or critical axe-core
finding, ask nothing of another site, and say its language and direction.

Every GET route of the app is either opened here or listed in ``NOT_PAGES`` with the
reason: a new page cannot be added without being looked at.
"""

import pytest

from conference import create_app
from conference.content import services as content
from conference.development.scene import ADMIN, DOOR, PASSWORD, build_scene
from conference.development.volunteer_scene import COORDINATOR
from conference.extensions import db

from ..conftest import TEST_CONFIG
from .conftest import serious_violations, serving

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 390, 1280
WIDTHS = [PHONE, DESKTOP]
LANGUAGES = [("ar", "rtl"), ("en", "ltr")]

# Routes that answer with something other than a page to read, and why.
NOT_PAGES = {
    "static": "files",
    "site.favicon": "an icon",
    "site.healthz": "a health check for machines",
    "site.robots": "robots.txt",
    "site.sitemap": "a sitemap for search engines",
    "site.set_language": "redirects back to the page the switch was used on",
    "calendar.programme": "a calendar file",
    "calendar.track": "a calendar file",
    "calendar.session": "a calendar file",
    "calendar.add": "redirects to the visitor's calendar service",
    "registration.calendar_file": "a calendar file",
    "outbox.message_download": "an .eml file",
    "registration_import.skipped": "a CSV file of the rows an import skipped",
    "accounts.home": "redirects to the dashboard",
    "accounts.code": "the second sign-in step: needs a password step first (tests/accounts)",
    "announcements.broadcast_preview": "the email itself, shown in the preview page's frame"
    " (a sandbox that runs no script)",
    "checkin.counts": "a fragment the desk page fetches to refresh its figures",
    "volunteer_feed.ics": "a calendar file (a volunteer's feed)",
    "media.image": "an image (a story's photo, re-encoded)",
    "sponsors.logo_svg": "an image (a sponsor's SVG logo, made safe)",
}

# Pages, by endpoint: (path, who opens it). ``{name}`` is filled from the scene.
PUBLIC = None
PAGES = {
    "site.home": ("/", PUBLIC),
    "showcase_gallery.index": ("/stories", PUBLIC),
    "showcase_gallery.story": ("/stories/{story_id}", PUBLIC),
    "showcase_staff.queue": ("/manage/stories", ADMIN),
    "showcase_staff.story": ("/manage/stories/{story_id}", ADMIN),
    "showcase_staff.edit": ("/manage/stories/{story_id}/edit", ADMIN),
    "volunteers.signup": ("/volunteer", PUBLIC),
    "volunteers.signed_up": ("/volunteer/done", PUBLIC),
    "volunteers.resend_link": ("/volunteer/link", PUBLIC),
    "volunteers.link_sent": ("/volunteer/link/sent", PUBLIC),
    "volunteers.erased": ("/volunteer/erased", PUBLIC),
    "volunteer.manage": ("/volunteer/{volunteer_token}", PUBLIC),
    "volunteer.add_shifts": ("/volunteer/{volunteer_token}/shifts", PUBLIC),
    "volunteer.drop": ("/volunteer/{volunteer_token}/shifts/{shift_id}/drop", PUBLIC),
    "volunteer.erase": ("/volunteer/{volunteer_token}/erase", PUBLIC),
    "volunteer.guardian": ("/volunteer/guardian/{guardian_token}", PUBLIC),
    "showcase.submit": ("/stories/submit", PUBLIC),
    "showcase.submitted": ("/stories/submitted", PUBLIC),
    "showcase.resend_link": ("/stories/link", PUBLIC),
    "showcase.link_sent": ("/stories/link/sent", PUBLIC),
    "showcase.mine": ("/stories/mine/{story_token}", PUBLIC),
    "showcase.edit": ("/stories/mine/{story_token}/edit", PUBLIC),
    "showcase.change_consent": ("/stories/mine/{story_token}/consent", PUBLIC),
    "showcase.withdraw": ("/stories/mine/{story_token}/withdraw", PUBLIC),
    "showcase.guardian": ("/stories/guardian/{story_guardian_token}", PUBLIC),
    "registration.register": ("/register", PUBLIC),
    "registration.privacy": ("/privacy", PUBLIC),
    "registration.registered": ("/register/done", PUBLIC),
    "registration.cancelled": ("/register/cancelled", PUBLIC),
    "registration.erased": ("/register/erased", PUBLIC),
    "registration.resend_link": ("/register/link", PUBLIC),
    "registration.link_sent": ("/register/link/sent", PUBLIC),
    "registration.manage": ("/registration/{private_token}", PUBLIC),
    "registration.cancel": ("/registration/{private_token}/cancel", PUBLIC),
    "registration.change_details": ("/registration/{private_token}/details", PUBLIC),
    "registration.change_tracks": ("/registration/{private_token}/tracks", PUBLIC),
    "registration.change_email": ("/registration/{private_token}/email", PUBLIC),
    "registration.confirm_email": ("/registration/new-address/{email_change_token}", PUBLIC),
    "registration.email_changed": ("/register/email-changed", PUBLIC),
    "registration.erase": ("/registration/{private_token}/erase", PUBLIC),
    "subscription.unsubscribe": ("/unsubscribe/{unsubscribe_token}", PUBLIC),
    "accounts.login": ("/manage/login", PUBLIC),
    "accounts.accept_invitation": ("/manage/invitation/{invitation_token}", PUBLIC),
    "manage.dashboard": ("/manage/dashboard", ADMIN),
    "registration_staff.attendees": ("/manage/attendees", ADMIN),
    "registration_staff.attendee": ("/manage/attendees/{registration_id}", ADMIN),
    "registration_staff.attendee_edit": ("/manage/attendees/{registration_id}/edit", ADMIN),
    "registration_staff.attendee_cancel": ("/manage/attendees/{waiting_id}/cancel", ADMIN),
    "registration_staff.tracks": ("/manage/tracks", ADMIN),
    "registration_staff.export": ("/manage/export", ADMIN),
    "registration_import.upload": ("/manage/import", ADMIN),
    "registration_import.preview": ("/manage/import/{import_id}", ADMIN),
    "announcements.index": ("/manage/email", ADMIN),
    "announcements.compose": ("/manage/email/new", ADMIN),
    "announcements.broadcast": ("/manage/email/{broadcast_id}", ADMIN),
    "announcements.broadcast_edit": ("/manage/email/{broadcast_id}/edit", ADMIN),
    "outbox.index": ("/manage/outbox", ADMIN),
    "outbox.message": ("/manage/outbox/1", ADMIN),
    "manage.audit": ("/manage/audit", ADMIN),
    "accounts.users": ("/manage/users", ADMIN),
    "accounts.confirm_disable": ("/manage/users/{door_id}/disable", ADMIN),
    "accounts.account": ("/manage/account", ADMIN),
    "accounts.two_factor": ("/manage/account/two-factor", ADMIN),
    "checkin.desk": ("/manage/checkin", DOOR),
    "checkin.code": ("/manage/checkin/c/{checkin_code}", DOOR),
    "volunteers_staff.board": ("/manage/volunteers", ADMIN),
    "volunteers_staff.shift": ("/manage/volunteers/shifts/{shift_id}", ADMIN),
    "volunteers_staff.remove": (
        "/manage/volunteers/shifts/{shift_id}/people/{signup_id}/remove",
        ADMIN,
    ),
    "volunteers_staff.move": (
        "/manage/volunteers/shifts/{shift_id}/people/{signup_id}/move",
        ADMIN,
    ),
    "volunteers_staff.email_team": ("/manage/volunteers/shifts/{shift_id}/email", ADMIN),
    "volunteers_staff.people": ("/manage/volunteers/people", ADMIN),
    "volunteers_staff.person": ("/manage/volunteers/people/{minor_id}", ADMIN),
    "volunteers_staff.export": ("/manage/volunteers/export", ADMIN),
    "volunteer_feed.manage": ("/volunteer/{volunteer_token}/calendar", PUBLIC),
    "volunteer_certificate.show": ("/volunteer/{volunteer_token}/certificate", PUBLIC),
    "volunteer_certificate.staff": (
        "/manage/volunteers/people/{volunteer_id}/certificate",
        ADMIN,
    ),
    "volunteers_setup.index": ("/manage/volunteers/setup", ADMIN),
    "volunteers_setup.role_new": ("/manage/volunteers/setup/roles/new", ADMIN),
    "volunteers_setup.role_edit": ("/manage/volunteers/setup/roles/{role_id}", ADMIN),
    "volunteers_setup.shift_new": ("/manage/volunteers/setup/shifts/new", ADMIN),
    "volunteers_setup.shift_edit": ("/manage/volunteers/setup/shifts/{shift_id}", ADMIN),
    "volunteers_setup.shift_delete": ("/manage/volunteers/setup/shifts/{shift_id}/delete", ADMIN),
    "volunteers_setup.settings": ("/manage/volunteers/setup/settings", ADMIN),
    "volunteers_setup.coordinators": ("/manage/volunteers/setup/coordinators", ADMIN),
    # The sponsor portal, as an administrator previews it (the scene's sponsor of arts);
    # tests/browser/test_sponsor_portal.py looks at it as a sponsor.
    "sponsor_portal.home": ("/sponsor", ADMIN),
    "sponsor_portal.showcase": ("/sponsor/showcase", ADMIN),
    "sponsor_portal.story": ("/sponsor/showcase/{story_id}", ADMIN),
    "sponsor_portal.track": ("/sponsor/impact/arts", ADMIN),
    "sponsor_portal.summary": ("/sponsor/summary", ADMIN),
    "sponsors.index": ("/sponsors", PUBLIC),
    "sponsors_staff.index": ("/manage/sponsors", ADMIN),
    "sponsors_staff.new": ("/manage/sponsors/new", ADMIN),
    "sponsors_staff.edit": ("/manage/sponsors/{sponsor_id}", ADMIN),
    "sponsors_staff.delete": ("/manage/sponsors/{sponsor_id}/delete", ADMIN),
    "sponsors_staff.tiers": ("/manage/sponsors/tiers", ADMIN),
    "sponsors_staff.tier_edit": ("/manage/sponsors/tiers/{tier_id}", ADMIN),
}
# Further states of a page worth a look of their own: (name, path, who).
STATES = [
    ("attendee search", "/manage/attendees?q=%D9%84%D9%8A%D9%84%D9%89", ADMIN),
    ("check-in search", "/manage/checkin?q=%D9%84%D9%8A%D9%84%D9%89", DOOR),
    ("check-in of an unknown code", "/manage/checkin/c/AAAAAAAAAAAAAAAA", DOOR),
    ("a page that is not there", "/no-such-page", PUBLIC),
    ("a coordinator's staffing board", "/manage/volunteers", COORDINATOR),
    ("a coordinator's team", "/manage/volunteers/shifts/{arts_shift_id}", COORDINATOR),
    ("a coordinator's volunteers", "/manage/volunteers/people?sort=-hours", COORDINATOR),
    ("the board's under-staffed shifts", "/manage/volunteers?under=y", ADMIN),
    ("a track's success stories", "/stories?track=arts", PUBLIC),
    ("a story that is not shown", "/stories/999999", PUBLIC),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser):
    """The scene on a live server, and a signed-in browser state for each staff member."""
    database = tmp_path_factory.mktemp("every-page") / "scene.db"
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "BASE_URL": "http://127.0.0.1",
        }
    )
    with app.app_context():
        db.create_all()
        content.load_content_file()
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
        app.scene = build_scene(conference)
        app.scene.arts_shift_id, app.scene.signup_id = _volunteer_ids(app.scene)
        app.scene.story_id = _sponsor_and_story(conference)
        app.scene.sponsor_id, app.scene.tier_id = _sponsor_ids()
    with serving(app) as url:
        app.url = url
        app.states = {who: _signed_in(browser, url, who) for who in (ADMIN, DOOR)}
        app.states[COORDINATOR] = _signed_in(browser, url, COORDINATOR)
        yield app
    with app.app_context():
        db.engine.dispose()


def _volunteer_ids(scene):
    """An arts shift with people on it (the coordinator's), and the scene's volunteer's
    sign-up on their shift."""
    import sqlalchemy as sa

    from conference.content.models import Track
    from conference.volunteers.models import Shift, ShiftSignup, VolunteerRole

    arts = db.session.scalar(
        sa.select(Shift.id)
        .join(VolunteerRole)
        .join(Track)
        .where(Track.key == "arts")
        .order_by(Shift.taken.desc(), Shift.id)
    )
    signup = db.session.scalar(
        sa.select(ShiftSignup.id).filter_by(
            volunteer_id=scene.volunteer_id, shift_id=scene.shift_id
        )
    )
    return arts, signup


def _sponsor_and_story(conference):
    """A sponsor of the arts track (for the portal's pages); a story shown to sponsors."""
    from conference.showcase.models import Story
    from tests.sponsors.seeding import make_sponsor

    make_sponsor(conference, tracks=["arts"])
    return db.session.scalar(db.select(Story.id).order_by(Story.id).limit(1))


def _sponsor_ids():
    """A sample sponsor (with its logo) and a tier."""
    from conference.content.models import Sponsor, SponsorTier

    sponsor = db.session.scalar(db.select(Sponsor.id).order_by(Sponsor.id))
    return sponsor, db.session.scalar(db.select(SponsorTier.id).order_by(SponsorTier.id))


def _signed_in(browser, url, email):
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/manage/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/manage/login" not in page.url, f"{email} could not sign in"
    state = context.storage_state()
    context.close()
    return state


def _look(browser, site, path, who, language, width):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        locale=language,
        extra_http_headers={"Accept-Language": language},
        storage_state=site.states[who] if who else None,
    )
    try:
        page = context.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        response = page.goto(site.url + path.format(**vars(site.scene)))
        page.wait_for_load_state()
        return {
            "status": response.status,
            "at": page.url.removeprefix(site.url),
            "lang": page.get_attribute("html", "lang"),
            "dir": page.get_attribute("html", "dir"),
            "overflow": page.evaluate("document.documentElement.scrollWidth") - width,
            "wide": _widest_escapees(page, width),
            "axe": serious_violations(page),
            "elsewhere": [
                u for u in requested if not u.startswith(site.url) and u != "about:blank"
            ],
        }
    finally:
        context.close()


def _widest_escapees(page, width):
    """Up to three elements reaching past the viewport, to say where an overflow comes from."""
    return page.evaluate(
        """(width) => [...document.querySelectorAll('body *')]
            .filter(e => { const r = e.getBoundingClientRect();
                           return r.width && (r.right > width + 1 || r.left < -1); })
            .slice(-3)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
        width,
    )


def _check(seen, language, direction, who, *, statuses=(200,)):
    assert seen["status"] in statuses, seen
    if who:
        assert "/manage/login" not in seen["at"], seen  # still signed in
    assert (seen["lang"], seen["dir"]) == (language, direction), seen
    assert seen["overflow"] <= 0, f"{seen['overflow']} px too wide: {seen['wide']}"
    assert seen["axe"] == [], seen["axe"]
    assert seen["elsewhere"] == [], seen["elsewhere"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_every_page_fits_and_passes_axe(browser, site, endpoint, language, direction, width):
    path, who = PAGES[endpoint]

    seen = _look(browser, site, path, who, language, width)

    _check(seen, language, direction, who)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("language", "direction"), LANGUAGES)
@pytest.mark.parametrize(("name", "path", "who"), STATES, ids=[state[0] for state in STATES])
def test_page_states_fit_and_pass_axe(browser, site, name, path, who, language, direction, width):
    seen = _look(browser, site, path, who, language, width)

    _check(seen, language, direction, who, statuses=(200, 404))


def test_every_route_is_a_page_looked_at_or_said_why_not():
    app = create_app(TEST_CONFIG)
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}

    assert routes - PAGES.keys() - NOT_PAGES.keys() == set()
    assert PAGES.keys() - routes == set()  # a page renamed here too
    assert NOT_PAGES.keys() - routes == set()
