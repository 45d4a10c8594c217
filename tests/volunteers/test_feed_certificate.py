"""The personal calendar feed (only its owner's shifts; replaced or stopped links answer
404) and the certificate of hours (only shifts worked, the right total, both
languages; staff see it within their scope)."""

import re

import icalendar
import pytest

from conference import applog
from conference.audit import AuditEvent
from conference.extensions import db
from conference.volunteers import services
from conference.volunteers.models import Attendance, CoordinatorScope

from .conftest import BEFORE, shift
from .mail_helpers import links  # noqa: F401 - fixture

# The private pages the emails link to.
pytestmark = pytest.mark.usefixtures("links")

FEED = re.compile(r'value="(http://conference\.test/volunteer/calendar/[A-Za-z0-9_-]+\.ics)"')


@pytest.fixture
def lina(sign_up):
    """A volunteer with two shifts, and her private link's token."""
    volunteer = sign_up("lina@example.org", ["sample-youth-1", "sample-stage-1"]).volunteer
    token = services.mint_token(volunteer)
    db.session.commit()
    return volunteer, token


def _new_feed(client, token):
    response = client.post(f"/volunteer/{token}/calendar/new")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    return FEED.search(response.get_data(as_text=True))[1].removeprefix("http://conference.test")


def test_the_feed_page_in_both_languages(client, lina):
    _volunteer, token = lina
    for language, words in (("en", "Create my calendar link"), ("ar", 'dir="rtl"')):
        response = client.get(f"/volunteer/{token}/calendar", headers={"Accept-Language": language})
        assert response.status_code == 200
        assert words in response.get_data(as_text=True)
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/volunteer/not-a-token/calendar").status_code == 404


def test_the_feed_holds_only_its_owner_s_shifts(client, lina, sign_up):
    _volunteer, token = lina
    sign_up(
        "omar@example.org",
        ["sample-guides-2"],
        full_name="Omar Other",
        skills=["sample-arts-guides"],
    )
    path = _new_feed(client, token)

    response = client.get(path)

    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["Stage crew", "Youth corner"]
    body = response.get_data(as_text=True)
    for other in ("Omar", "omar@example.org", "Gallery guides", "lina@example.org", "ATTENDEE"):
        assert other not in body


def test_a_dropped_shift_leaves_the_feed(client, lina):
    volunteer, token = lina
    path = _new_feed(client, token)
    services.drop_shift(volunteer, shift("sample-youth-1").id, now=BEFORE)
    calendar = icalendar.Calendar.from_ical(client.get(path).data)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Stage crew"]


def test_a_replaced_link_stops_and_the_new_one_works(client, lina):
    _volunteer, token = lina
    old = _new_feed(client, token)
    new = _new_feed(client, token)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_a_stopped_link_answers_404(client, lina):
    _volunteer, token = lina
    path = _new_feed(client, token)
    response = client.post(f"/volunteer/{token}/calendar/stop")
    assert response.status_code == 303
    assert client.get(path).status_code == 404
    page = client.get(f"/volunteer/{token}/calendar").get_data(as_text=True)
    assert "You have no calendar link yet" in page
    assert client.get("/volunteer/calendar/unknown-token.ics").status_code == 404


def test_an_erased_volunteer_s_feed_answers_404(client, lina):
    volunteer, token = lina
    path = _new_feed(client, token)
    services.erase_volunteer(volunteer, now=BEFORE)
    assert client.get(path).status_code == 404


def test_the_feed_forms_need_their_csrf_token(app, client, lina):
    volunteer, token = lina
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/volunteer/{token}/calendar/new").status_code == 400
    assert client.post(f"/volunteer/{token}/calendar/stop").status_code == 400
    db.session.refresh(volunteer)
    assert volunteer.feed_token_hash is None


# ---------------------------------------------------------------------------------------
# The certificate


def _worked(volunteer, *keys):
    for signup in volunteer.signups:
        if signup.shift.key in keys:
            signup.attendance = Attendance.arrived
    db.session.commit()


def test_the_certificate_lists_only_shifts_worked_and_their_total(client, lina):
    volunteer, token = lina
    _worked(volunteer, "sample-youth-1")
    stage = next(s for s in volunteer.signups if s.shift.key == "sample-stage-1")
    stage.attendance = Attendance.no_show
    db.session.commit()

    response = client.get(f"/volunteer/{token}/certificate")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Youth corner" in page
    assert "ركن الشباب" in page
    assert "Stage crew" not in page
    assert "فريق المسرح" not in page
    assert '<section class="certificate__block" lang="en" dir="ltr"' in page
    assert '<section class="certificate__block" lang="ar" dir="rtl"' in page
    assert "3 hours" in page  # 10:00 to 13:00
    assert "<bdi>Lina Haddad</bdi>" in page
    assert "American Coalition for Syria" in page
    assert "Signature of the volunteer coordinator" in page


def test_the_total_adds_every_shift_worked(client, lina):
    volunteer, token = lina
    _worked(volunteer, "sample-youth-1", "sample-stage-1")
    page = client.get(f"/volunteer/{token}/certificate").get_data(as_text=True)
    assert "6 hours" in page
    assert "Stage crew" in page


def test_no_shift_worked_says_so_instead_of_an_empty_certificate(client, lina):
    _volunteer, token = lina
    page = client.get(f"/volunteer/{token}/certificate").get_data(as_text=True)
    assert "No hours to certify yet" in page
    assert "certificate__block" not in page
    assert client.get("/volunteer/nope/certificate").status_code == 404


def test_staff_print_a_certificate_and_it_is_audited(client, organizer, lina):
    volunteer, _token = lina
    _worked(volunteer, "sample-youth-1")
    response = client.get(f"/manage/volunteers/people/{volunteer.id}/certificate")
    assert response.status_code == 200
    assert "Youth corner" in response.get_data(as_text=True)
    (event,) = db.session.scalars(
        db.select(AuditEvent).filter_by(action="volunteers.certificate_viewed")
    ).all()
    assert event.details["volunteer"] == volunteer.id
    assert "Lina" not in str(event.details)


def _coordinator(login_as, *scopes):
    user = login_as("coordinator")
    for scope in scopes:
        db.session.add(CoordinatorScope(user_id=user.id, scope=scope))
    db.session.commit()
    return user


def test_a_coordinator_of_another_track_is_refused(client, login_as, enforced_access, sign_up):
    volunteer = sign_up("omar@example.org", ["sample-youth-1"]).volunteer  # social
    _worked(volunteer, "sample-youth-1")
    _coordinator(login_as, "arts")
    response = client.get(f"/manage/volunteers/people/{volunteer.id}/certificate")
    assert response.status_code == 404  # as the volunteer's own page: no id confirmed
    assert "Omar" not in response.get_data(as_text=True)


def test_a_coordinator_sees_only_the_shifts_of_their_tracks(
    client, login_as, enforced_access, lina
):
    volunteer, _token = lina  # youth-1 (social) and stage-1 (arts)
    _worked(volunteer, "sample-youth-1", "sample-stage-1")
    _coordinator(login_as, "arts")
    page = client.get(f"/manage/volunteers/people/{volunteer.id}/certificate").get_data(
        as_text=True
    )
    assert "Stage crew" in page
    assert "Youth corner" not in page
    assert "Only the shifts of the tracks you coordinate are listed." in page


@pytest.mark.parametrize("role", ["checkin", "sponsor"])
def test_other_staff_cannot_open_it(client, login_as, enforced_access, lina, role):
    volunteer, _token = lina
    login_as(role)
    assert client.get(f"/manage/volunteers/people/{volunteer.id}/certificate").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, enforced_access, lina):
    volunteer, _token = lina
    response = client.get(f"/manage/volunteers/people/{volunteer.id}/certificate")
    assert response.status_code == 302
    assert "/manage/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/volunteer/{token}/calendar",
        "/volunteer/{token}/calendar/new",
        "/volunteer/{token}/calendar/stop",
        "/volunteer/calendar/{token}.ics",
        "/volunteer/{token}/certificate",
    ],
)
def test_the_tokens_of_these_pages_never_reach_a_log_line(app, path):
    token = "s3cr3t-T0ken_abcdefghijklmnopqrstuvwxyz"
    applog.redact_secret_paths(app)
    line = f'"GET {path.format(token=token)} HTTP/1.1" 200'
    assert token not in applog.redact(line)
