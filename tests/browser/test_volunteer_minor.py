"""A volunteer under 18 signs up in Arabic on a phone: their guardian's confirmation arrives
through a real SMTP server and confirms the shift, the invitations parse, the reminder is
queued for the day before and taken back when the shift is dropped.

The conference is moved a month ahead of today (the shipped dates are past), so that the
reminder falls in the future and the shift can still be dropped from the private link.
"""

import copy
import re
import time
from dataclasses import dataclass
from datetime import date, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from conference import create_app
from conference.content import services as content
from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.volunteers.models import Shift, ShiftSignup, SignupStatus, Volunteer

from ..conftest import TEST_CONFIG
from .conftest import serious_violations, serving

pytestmark = pytest.mark.browser

PHONE = 390
GUARDIAN_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/volunteer/guardian/[A-Za-z0-9_-]+)")
PRIVATE_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/volunteer/[A-Za-z0-9_-]{40,})")
SHIFT = "sample-youth-1"


@dataclass
class Site:
    url: str
    app: object


@pytest.fixture(scope="module")
def site(tmp_path_factory, live_smtp):
    database = tmp_path_factory.mktemp("volunteer-minor") / "live.db"
    app = create_app(
        {
            **TEST_CONFIG,
            **live_smtp.app_config,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": True,
            "OUTBOX_DELIVER_AFTER_REQUEST": True,
        }
    )
    with app.app_context():
        db.create_all()
        data = copy.deepcopy(content.read_toml(content.CONTENT_FILE))
        starts = date.today() + timedelta(days=30)
        data["conference"]["starts_on"] = starts
        data["conference"]["ends_on"] = starts + timedelta(days=1)
        content.load_content(data)
        conference = content.get_conference(app.config["CONFERENCE_SLUG"])
        content.load_sample_programme(conference, content.read_toml(content.SAMPLE_FILE))
    deliverer = app.extensions["outbox_deliverer"]
    deliverer.wake()
    with serving(app) as base:
        app.config["BASE_URL"] = base
        yield Site(base, app)
    deliverer.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(
        viewport={"width": PHONE, "height": 844},
        locale="ar",
        extra_http_headers={"Accept-Language": "ar"},
    )
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def assert_fits_and_is_accessible(page):
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert serious_violations(page) == []


def wait_for_mail(site, smtp, count, timeout=20):
    """Wait until ``smtp`` has received ``count`` messages; return them (see
    test_registration: the test delivers too, as ``flask outbox work`` would)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(smtp.mailbox.envelopes) >= count:
            return smtp.mailbox.messages
        with site.app.app_context():
            outbox.deliver_pending()
        time.sleep(0.3)
    raise AssertionError(f"expected {count} messages, got {len(smtp.mailbox.envelopes)}")


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def calendars_of(message):
    """Every calendar in ``message`` (inline part or attachment), parsed."""
    found = []
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            found.append(icalendar.Calendar.from_ical(part.get_payload(decode=True)))
    return found


def to(message):
    return message["To"]


def test_a_minor_signs_up_in_arabic_and_their_guardian_confirms(phone, site, live_smtp):
    page = phone
    with site.app.app_context():
        shift = db.session.scalar(sa.select(Shift).filter_by(key=SHIFT))
        shift_id, starts_at = shift.id, shift.starts_at
    page.goto(site.url + "/volunteer")
    assert_fits_and_is_accessible(page)

    page.fill("#full_name", "يارا خوري")
    page.fill("#email", "yara@example.org")
    page.check("input[name=languages][value=ar]")
    page.check("input[name=languages][value=en]")
    page.check("input[name=age_group][value=under_18]")
    page.check("input[name=language][value=ar]")
    page.fill("#guardian_name", "سامي خوري")
    page.fill("#guardian_email", "sami@example.org")
    page.check(f"#shift-{shift_id}")
    page.check("#privacy")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert page.url.endswith("/volunteer/done"), page.url
    assert_fits_and_is_accessible(page)
    assert "sami@example.org" in page.inner_text("main")

    # The guardian's request and the minor's "held" notice, both in Arabic.
    messages = wait_for_mail(site, live_smtp, 2)
    guardian = next(m for m in messages if "sami@example.org" in to(m))
    assert re.search("[\u0600-\u06ff]", str(guardian["Subject"]))
    link = GUARDIAN_LINK.search(text_of(guardian))[1]
    with site.app.app_context():
        signup = db.session.scalar(sa.select(ShiftSignup).filter_by(shift_id=shift_id))
        assert signup.status == SignupStatus.held
        assert not db.session.scalar(sa.select(OutboxMessage).filter_by(kind="volunteers.reminder"))

    page.goto(link)
    assert_fits_and_is_accessible(page)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert_fits_and_is_accessible(page)

    # The confirmation, with one invitation per shift that icalendar reads.
    messages = wait_for_mail(site, live_smtp, 3)
    confirmation = messages[2]
    assert "yara@example.org" in to(confirmation)
    calendars = calendars_of(confirmation)
    assert calendars, "the confirmation carries an invitation"
    (event,) = [c for c in calendars[0].walk("VEVENT")]
    assert str(calendars[0]["METHOD"]) == "REQUEST"
    uid = str(event["UID"])
    assert "yara" not in uid
    assert "khoury" not in uid.lower()
    with site.app.app_context():
        volunteer = db.session.scalar(sa.select(Volunteer).filter_by(email="yara@example.org"))
        assert volunteer.guardian_confirmed_at is not None
        assert volunteer.current_signups[0].status == SignupStatus.confirmed
        reminder = db.session.scalar(sa.select(OutboxMessage).filter_by(kind="volunteers.reminder"))
        assert reminder is not None
        assert reminder.next_attempt_at == starts_at - timedelta(hours=24)

    # Dropping the shift from the private link takes the reminder back and sends a CANCEL.
    private = PRIVATE_LINK.search(text_of(confirmation))[1]
    page.goto(private)
    assert_fits_and_is_accessible(page)
    page.goto(f"{private}/shifts/{shift_id}/drop")
    assert_fits_and_is_accessible(page)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    messages = wait_for_mail(site, live_smtp, 4)
    cancel = calendars_of(messages[3])
    assert str(cancel[0]["METHOD"]) == "CANCEL"
    (cancelled,) = list(cancel[0].walk("VEVENT"))
    assert str(cancelled["UID"]) == uid
    assert int(cancelled["SEQUENCE"]) > int(event.get("SEQUENCE", 0))
    with site.app.app_context():
        assert not db.session.scalar(sa.select(OutboxMessage).filter_by(kind="volunteers.reminder"))
    assert all(url.startswith(site.url) for url in page.requested)
