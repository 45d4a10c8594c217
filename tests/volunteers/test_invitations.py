"""Calendar invitations of volunteers' shifts: each one parses, keeps its UID from the
first REQUEST through its CANCEL to a REQUEST when the shift is taken again (its
SEQUENCE rising), and carries no personal data in its UID."""

import re
from datetime import UTC, datetime

import icalendar
import pytest

from conference.extensions import db
from conference.mailer import outbox
from conference.volunteers import emails, invitations, services

from .conftest import BEFORE, shift
from .mail_helpers import links, messages  # noqa: F401 - fixture

# The private pages the emails link to.
pytestmark = pytest.mark.usefixtures("links")

UID = re.compile(r"^[0-9a-f-]{36}@conference\.test$")


def _calendars(email):
    """The invitations a rendered email carries: inline, or one attachment per shift."""
    found = [email.calendar] if email.calendar else []
    found += [a.data for a in email.attachments if a.content_type.startswith("text/calendar")]
    return [icalendar.Calendar.from_ical(data) for data in found]


def _event(calendar):
    (event,) = calendar.walk("VEVENT")
    assert event.errors == []
    return event


def _rendered(kind):
    return [outbox.render(row) for row in messages(kind)]


def test_every_invitation_parses_and_says_what_a_calendar_needs(sign_up):
    outcome = sign_up(
        "lina@example.org", ["sample-youth-1", "sample-stage-1"], language="ar", full_name="لينا"
    )
    (email,) = _rendered(emails.CONFIRMATION)
    calendars = _calendars(email)
    assert len(calendars) == 2
    by_uid = {}
    for calendar in calendars:
        assert calendar["METHOD"] == "REQUEST"
        event = _event(calendar)
        by_uid[str(event["UID"])] = event
        assert str(event["ORGANIZER"]) == "mailto:organizers@example.org"
        assert str(event["ATTENDEE"]) == "mailto:lina@example.org"
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART").tzinfo is not None
    youth = next(s for s in outcome.signups if s.shift.key == "sample-youth-1")
    event = by_uid[invitations.uid(youth)]
    # 10:00 on 18 March 2022 in Los Angeles (PDT starts on the 13th): 17:00 UTC.
    assert event.decoded("DTSTART") == datetime(2022, 3, 18, 17, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2022, 3, 18, 20, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "ركن الشباب"
    assert event["SUMMARY"].params["LANGUAGE"] == "ar"
    assert str(event["LOCATION"]) == "ركن الشباب"


def test_the_uid_stays_through_request_cancel_and_taking_it_again(sign_up):
    volunteer = sign_up("lina@example.org", ["sample-youth-1"]).volunteer
    youth = shift("sample-youth-1").id

    (first,) = _rendered(emails.CONFIRMATION)
    services.drop_shift(volunteer, youth, now=BEFORE)
    (dropped,) = _rendered(emails.SHIFT_DROPPED)
    services.add_shifts(volunteer, [youth], now=BEFORE)
    (again,) = _rendered(emails.SHIFTS_ADDED)

    steps = [
        (_calendars(e)[0]["METHOD"], _event(_calendars(e)[0])) for e in (first, dropped, again)
    ]
    assert [method for method, _event_ in steps] == ["REQUEST", "CANCEL", "REQUEST"]
    assert len({str(event["UID"]) for _method, event in steps}) == 1
    assert [event["SEQUENCE"] for _method, event in steps] == [0, 1, 2]
    assert str(steps[1][1]["STATUS"]) == "CANCELLED"
    assert dropped.calendar_method == "CANCEL"


def test_a_change_is_an_update_with_a_higher_sequence(sign_up):
    outcome = sign_up("lina@example.org", ["sample-youth-1"])
    (signup,) = outcome.signups
    (first,) = _rendered(emails.CONFIRMATION)
    signup.ics_sequence += 1  # as the coordinators' change does, in its transaction
    outbox.enqueue(emails.shift_changed(signup, changes=["time"]))
    db.session.commit()
    (changed,) = _rendered(emails.SHIFT_CHANGED)
    before, after = _event(_calendars(first)[0]), _event(_calendars(changed)[0])
    assert changed.calendar_method == "REQUEST"
    assert str(before["UID"]) == str(after["UID"])
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1


@pytest.mark.parametrize("language", ["en", "ar"])
def test_no_personal_data_in_a_uid(sign_up, language):
    outcome = sign_up(
        "lina.haddad@example.org", ["sample-youth-1"], language=language, phone="+1 313 555 0199"
    )
    (email,) = _rendered(emails.CONFIRMATION)
    uid = str(_event(_calendars(email)[0])["UID"])
    assert UID.match(uid)
    volunteer = outcome.volunteer
    # Not "313" alone: a random UID holds three such digits about once in a hundred.
    for personal in ("lina", "haddad", "3135550199", "5550199", f"-{volunteer.id}@"):
        assert personal not in uid.lower()
    assert str(volunteer.id) != uid.split("@")[0]


def test_the_personal_feed_has_no_attendee_and_its_own_uids(sign_up):
    outcome = sign_up("lina@example.org", ["sample-youth-1", "sample-stage-1"])
    calendar = icalendar.Calendar.from_ical(invitations.personal_feed(outcome.volunteer))
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    for event in events:
        assert event.errors == []
        assert "ATTENDEE" not in event
        assert str(event["TRANSP"]) == "OPAQUE"
    invitation_uids = {invitations.uid(s) for s in outcome.signups}
    assert not invitation_uids & {str(e["UID"]) for e in events}
