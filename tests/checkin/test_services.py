"""Check-in: the code and QR code in confirmations; checking in, refusals, counts."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from conference.audit import AuditEvent
from conference.checkin import queries
from conference.checkin import services as checkin
from conference.extensions import db
from conference.i18n import format_local_time
from conference.mailer import outbox
from conference.mailer.models import OutboxMessage
from conference.registration import checkin_code, services
from conference.registration.models import Registration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def messages(kind=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.filter_by(kind=kind)
    return [Shown(row) for row in db.session.scalars(query)]


class Shown:
    """A queued row and its message, rendered as organizers see it (links removed)."""

    def __init__(self, row):
        self.row = row
        self.email = outbox.render_for_display(row)
        self.recipient = row.recipient
        self.text_body = self.email.text
        self.html_body = self.email.html
        self.attachment_names = outbox.attachment_names(self.email)


def qr_of(message):
    [attachment] = [
        a for a in message.email.attachments if a.filename == "checkin.png" and not a.content_id
    ]
    assert attachment.content_type == "image/png"
    return attachment.data


# ---------------------------------------------------------------------------------------
# The code and the QR code in emails


def test_confirmation_carries_a_qr_code_of_the_checkin_link(make_registration):
    registration = make_registration(email="ada@example.org")

    [message] = messages("registration.confirmation")
    code = registration.checkin_code
    link = f"http://conference.test/manage/checkin/c/{code}"
    png = qr_of(message)

    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", code)
    assert message.attachment_names == ["invite.ics", "checkin.png"]
    assert png.startswith(PNG_SIGNATURE)
    # Nothing here decodes QR codes; the same link encodes to the very same image.
    assert png == checkin_code.qr_png(link)
    assert "show the QR code attached to this email" in message.text_body
    assert "Show this QR code at the entrance" in message.html_body
    # The code is written out too, to be typed at the desk; it is not the private link.
    assert code in message.text_body  # written out, to give at the desk
    assert code in message.html_body
    assert f"/registration/{code}" not in message.text_body


def test_the_code_is_created_once_and_reused(make_conference, make_registration):
    conference = make_conference(arts_capacity=1)
    first = make_registration(full_name="First", to=conference)
    second = make_registration(full_name="Second", to=conference)
    [waitlisted_mail] = [m for m in messages() if m.recipient == second.email]

    assert second.checkin_code is None  # only on the waiting list: no QR code yet
    assert waitlisted_mail.attachment_names == []
    assert "QR code" not in waitlisted_mail.text_body

    code = first.checkin_code
    services.cancel_registration(first)
    [promoted] = messages("registration.promoted")

    assert second.checkin_code
    assert qr_of(promoted) == checkin_code.qr_png(checkin_code.checkin_url(second.checkin_code))
    assert "show the QR code attached to this email" in promoted.text_body
    assert f'src="cid:{promoted.email.attachments[0].content_id}"' in promoted.html_body
    assert checkin_code.ensure_checkin_code(second) == second.checkin_code
    assert first.checkin_code == code


def test_the_qr_code_comes_in_arabic_confirmations_too(make_registration):
    make_registration(full_name="آدا", language="ar")

    [message] = messages("registration.confirmation")

    assert message.attachment_names == ["invite.ics", "checkin.png"]


def test_find_by_checkin_code_rejects_odd_input(make_registration):
    registration = make_registration()

    assert queries.find_by_checkin_code(registration.checkin_code) == registration
    odd = ["", None, "x", "a" * 33, "abc%def_ghi", "../../etc", registration.checkin_code + "!"]
    for code in odd:
        assert queries.find_by_checkin_code(code) is None


def test_masked_email_keeps_the_first_letter_and_the_domain():
    assert queries.masked_email("ada@example.org") == "a•••@example.org"
    assert queries.masked_email("") == ""


# ---------------------------------------------------------------------------------------
# The service


def test_check_in_once_then_duplicates_change_nothing(make_registration, make_user):
    registration = make_registration()
    staff = make_user("checkin", name="Sam")
    other = make_user("checkin", email="other@forsyria.example")

    first = checkin.check_in(registration, by=staff, now=datetime(2026, 5, 16, 17, 42))
    again = checkin.check_in(registration, by=other, now=datetime(2026, 5, 16, 18, 0))

    assert (first.first, again.first) == (True, False)
    assert registration.checked_in_at == datetime(2026, 5, 16, 17, 42)
    assert registration.checked_in_by_id == staff.id
    assert queries.checked_in_by(registration) == "Sam"
    assert checkin.state_of(registration) == checkin.State.checked_in


def test_waitlisted_and_cancelled_people_are_refused(make_conference, make_registration, make_user):
    conference = make_conference(arts_capacity=1)
    make_registration(full_name="Seated", to=conference)
    waiting = make_registration(full_name="Waiting", to=conference)
    cancelled = make_registration(full_name="Gone", tracks=["social"], to=conference)
    services.cancel_registration(cancelled)
    staff = make_user("checkin")

    for registration, state in [
        (waiting, checkin.State.waitlisted),
        (cancelled, checkin.State.cancelled),
    ]:
        assert checkin.state_of(registration) == state
        with pytest.raises(checkin.CheckInError):
            checkin.check_in(registration, by=staff)
        assert registration.checked_in_at is None


def test_undo_takes_the_check_in_back_and_is_audited(make_registration, make_user):
    registration = make_registration()
    staff = make_user("checkin")
    checkin.check_in(registration, by=staff)

    assert checkin.undo_check_in(registration, by=staff) is True
    assert checkin.undo_check_in(registration, by=staff) is False
    assert registration.checked_in_at is None
    assert registration.checked_in_by_id is None
    [event] = db.session.scalars(sa.select(AuditEvent).filter_by(action="checkin.undo"))
    assert event.actor_id == staff.id
    assert event.details["registration_id"] == registration.id


def test_local_time_is_the_conference_clock(make_registration, conference):
    # 17:42 UTC is 10:42 in Los Angeles in May; another day adds the date.
    moment = datetime(2026, 5, 16, 17, 42)

    zone = conference.timezone
    assert format_local_time(moment, zone, now=moment, language="en") == "10:42\u202fAM"
    assert "May 16, 2026, 10:42\u202fAM" == format_local_time(
        moment, zone, now=datetime(2026, 5, 18, 12), language="en"
    )


def test_counts_per_track(conference, make_registration, make_user):
    staff = make_user("checkin")
    ada = make_registration(full_name="Ada", tracks=["arts", "cultural"])
    bob = make_registration(full_name="Bob", tracks=["arts"])
    make_registration(full_name="Cy", tracks=["social"])

    before = queries.checkin_counts(conference)
    checkin.check_in(ada, by=staff)
    checkin.check_in(bob, by=staff)
    checkin.check_in(bob, by=staff)  # a duplicate counts once
    after = queries.checkin_counts(conference)

    by_key = {t.id: t.key for t in conference.tracks}
    assert before.people_checked_in == 0
    assert {by_key[t.track_id]: (t.checked_in, t.confirmed) for t in after.tracks} == {
        "cultural": (1, 1),
        "social": (0, 1),
        "arts": (2, 2),
    }
    assert (after.people_checked_in, after.people_expected) == (2, 3)


def test_counts_are_cached_briefly(app, conference, make_registration):
    make_registration()
    queries.checkin_counts(conference)
    # Someone else's process checks a person in: this one sees it when the cache expires.
    db.session.execute(sa.update(Registration).values(checked_in_at=datetime(2026, 5, 16)))
    db.session.commit()

    assert queries.checkin_counts(conference).people_checked_in == 0
    queries.forget_counts(conference.id)
    assert queries.checkin_counts(conference).people_checked_in == 1
