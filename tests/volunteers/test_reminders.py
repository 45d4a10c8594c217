"""The reminder the day before a shift: queued for its time and sent then, not before;
taken back when its shift is dropped or its volunteer erased; not queued for a minor's
held places until the guardian confirms; queued again, with the new SEQUENCE, when the
shift is taken again."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from conference.extensions import db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.volunteers import checks, emails, places, services
from conference.volunteers.models import TokenPurpose

from .conftest import BEFORE, shift
from .mail_helpers import links, messages  # noqa: F401 - fixture

# The private pages the emails link to.
pytestmark = pytest.mark.usefixtures("links")

GUARDIAN = {
    "age_group": "under_18",
    "guardian_name": "Sami Haddad",
    "guardian_email": "sami@example.org",
}


@pytest.fixture
def app(make_app, smtp_server):
    app = make_app(**smtp_server.app_config)
    with app.app_context():
        yield app


def _reminders():
    return messages(emails.REMINDER)


def test_the_reminder_waits_for_its_time_and_goes_then(sign_up, smtp_server):
    outcome = sign_up("lina@example.org", ["sample-youth-1"])
    (signup,) = outcome.signups
    (reminder,) = _reminders()
    due = shift("sample-youth-1").starts_at - timedelta(hours=24)
    assert reminder.next_attempt_at == due
    assert reminder.idempotency_key == places.reminder_key(signup)

    outbox.deliver_pending(now=due - timedelta(minutes=1))
    assert db.session.get(OutboxMessage, reminder.id).status == MessageStatus.pending
    assert smtp_server.mailbox.messages == []

    report = outbox.deliver_pending(now=due)
    assert report.sent == [reminder.id]
    (sent,) = smtp_server.mailbox.messages
    assert sent["Subject"].startswith("Tomorrow: Youth corner at 10:00")
    assert "Youth corner" in sent.get_body(("plain",)).get_content()


def test_the_reminder_follows_the_volunteer_s_reminder_hours(sign_up, conference):
    settings = checks.settings_of(conference)
    settings.reminder_hours = 36
    db.session.add(settings)
    db.session.commit()
    sign_up("lina@example.org", ["sample-youth-1"])
    (reminder,) = _reminders()
    assert reminder.next_attempt_at == shift("sample-youth-1").starts_at - timedelta(hours=36)


def test_dropping_the_shift_takes_its_reminder_back(sign_up):
    volunteer = sign_up("lina@example.org", ["sample-youth-1", "sample-stage-1"]).volunteer
    assert len(_reminders()) == 2
    services.drop_shift(volunteer, shift("sample-youth-1").id, now=BEFORE)
    (left,) = _reminders()
    assert left.snapshot["signups"][0]["id"] == next(
        s.id for s in volunteer.signups if s.shift.key == "sample-stage-1"
    )


def test_a_coordinator_s_removal_takes_it_back_too(sign_up, make_user):
    volunteer = sign_up("lina@example.org", ["sample-youth-1"]).volunteer
    services.drop_shift(
        volunteer, shift("sample-youth-1").id, now=BEFORE, actor=make_user("organizer")
    )
    assert _reminders() == []


def test_erasure_takes_every_reminder_back(sign_up):
    volunteer = sign_up("lina@example.org", ["sample-youth-1", "sample-stage-1"]).volunteer
    services.erase_volunteer(volunteer, now=BEFORE)
    assert _reminders() == []
    assert [m.kind for m in messages()] == [emails.ERASED]


def test_no_reminder_for_held_places_until_the_guardian_confirms(sign_up):
    outcome = sign_up("young@example.org", ["sample-youth-1"], **GUARDIAN)
    assert _reminders() == []
    token = services.mint_token(outcome.volunteer, TokenPurpose.guardian)
    db.session.commit()
    services.confirm_guardian(token, now=BEFORE)
    (reminder,) = _reminders()
    assert reminder.next_attempt_at == shift("sample-youth-1").starts_at - timedelta(hours=24)


def test_taking_the_shift_again_queues_a_reminder_with_the_new_sequence(sign_up):
    volunteer = sign_up("lina@example.org", ["sample-youth-1"]).volunteer
    youth = shift("sample-youth-1").id
    services.drop_shift(volunteer, youth, now=BEFORE)
    services.add_shifts(volunteer, [youth], now=BEFORE)
    (reminder,) = _reminders()
    (signup,) = volunteer.current_signups
    assert signup.ics_sequence == 2
    assert reminder.snapshot["signups"] == [{"id": signup.id, "sequence": 2}]
    assert reminder.idempotency_key.endswith(":reminder:2")
    assert outbox.render(reminder).subject.startswith("Tomorrow: Youth corner")


def test_a_stale_reminder_that_escaped_is_not_sent(sign_up, smtp_server):
    outcome = sign_up("lina@example.org", ["sample-youth-1"])
    (reminder,) = _reminders()
    (signup,) = outcome.signups
    signup.ics_sequence += 1  # changed without taking the reminder back: a bug elsewhere
    db.session.commit()
    with pytest.raises(outbox.RenderError):
        outbox.render(reminder)
    outbox.deliver_pending(now=reminder.next_attempt_at)
    failed = db.session.scalar(sa.select(OutboxMessage).filter_by(id=reminder.id))
    assert failed.status == MessageStatus.failed
    assert smtp_server.mailbox.messages == []
