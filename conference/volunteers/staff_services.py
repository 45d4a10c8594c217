"""What coordinators do on the day: mark arrivals and no-shows, move someone to another
shift, email a shift's team; and the audit of what they look at.

Nothing here reads ``request`` or calls ``flash``. Each function owns its transaction and
commits; emails go through the outbox in that transaction. Removing someone is
``services.drop_shift(volunteer, shift_id, actor=...)``. Scope (who may act on which
shift) is the caller's to check, with ``scope``: these functions act on what they are
given.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from conference import audit, database, text
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.volunteers import checks, emails, places, rules
from conference.volunteers.models import ShiftSignup, SignupStatus
from conference.volunteers.services import VolunteerError

SUBJECT_MAX = 150
BODY_MAX = 5000


class MoveRefused(VolunteerError):
    """The target shift refused the person; ``refusal`` says why (``rules.Refusal``)."""

    def __init__(self, refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


# --- Looking ------------------------------------------------------------------------------


def _record_view(action, actor, **details):
    with database.keeping_loaded():  # the page goes on showing what it read
        database.begin_write()
        audit.record(action, actor=actor, **details)
        db.session.commit()


def view_team(shift, *, actor=None):
    """Record that staff opened ``shift``'s team (names, phones). Commits."""
    _record_view("volunteers.team_viewed", actor, shift_id=shift.id)


def view_volunteer(volunteer, *, actor=None):
    """Record that staff opened ``volunteer``'s page. Commits."""
    _record_view("volunteers.person_viewed", actor, volunteer_id=volunteer.id)


def view_people(filters, *, actor=None):
    """Record a search or filter of the volunteer list (the bare first view is not). Commits."""
    if filters:
        _record_view("volunteers.listed", actor, filters=filters)


# --- Attendance ---------------------------------------------------------------------------


def mark_attendance(signup, attendance, actor, *, now=None):
    """Mark ``signup`` arrived or no-show (an ``Attendance``), or take the mark back
    (``None``). Commits; returns the sign-up.

    :raises VolunteerError: the person is no longer on the shift.
    """
    now = now or utcnow()
    signup_id = signup.id
    places.lock_volunteer(signup.volunteer_id)
    signup = db.session.get(ShiftSignup, signup_id, populate_existing=True)
    if signup is None or not signup.is_current:
        db.session.rollback()
        raise VolunteerError(_l("This person is no longer on this shift."))
    before = signup.attendance
    signup.attendance = attendance
    signup.attendance_at = now if attendance is not None else None
    signup.attendance_by_id = actor.id if attendance is not None and actor is not None else None
    audit.record(
        "volunteers.attendance_marked",
        actor=actor,
        volunteer_id=signup.volunteer_id,
        shift_id=signup.shift_id,
        attendance=attendance.value if attendance is not None else None,
        before=before.value if before is not None else None,
    )
    db.session.commit()
    return signup


# --- Moving -------------------------------------------------------------------------------


def move(signup, to_shift, actor, *, now=None, reason=None):
    """Move ``signup``'s person from its shift to ``to_shift``, in one transaction: the
    place here is freed and one there taken, both shifts locked in id order. The shift
    rules apply as to a sign-up, but not the sign-up window nor the change deadline (a
    coordinator may move anyone at any time). The person is emailed the cancellation and
    the new shift's invitation. Commits; returns the new sign-up.

    :raises MoveRefused: the target refuses them (full, overlap, not eligible …).
    :raises VolunteerError: they are no longer on the shift, or it is the same shift.
    """
    now = now or utcnow()
    signup_id, to_id = signup.id, to_shift.id
    volunteer = places.lock_volunteer(signup.volunteer_id)
    signup = next((s for s in volunteer.signups if s.id == signup_id), None)
    if signup is None or not signup.is_current or not volunteer.is_active:
        db.session.rollback()
        raise VolunteerError(_l("This person is no longer on this shift."))
    if signup.shift_id == to_id:
        db.session.rollback()
        raise VolunteerError(_l("Choose a different shift to move them to."))
    conference = volunteer.conference
    settings = checks.settings_of(conference)
    locked = {s.id: s for s in places.lock_shifts(conference, [signup.shift_id, to_id])}
    if to_id not in locked:
        db.session.rollback()
        raise VolunteerError(_l("Choose a shift from the list."))
    here, there = locked[signup.shift_id], locked[to_id]
    places.expire_holds_on([here, there], now)
    others = [s for s in volunteer.current_signups if s.id != signup.id]
    person = checks.person_facts(
        conference,
        languages=volunteer.languages,
        age_group=volunteer.age_group,
        skills=volunteer.skills,
        sessions=volunteer.sessions,
        current=others,
        language=volunteer.language,
    )
    met = checks.needs_met([there])
    refusal = rules.refusal(
        person,
        checks.shift_facts(there, met.get(there.id, True)),
        checks.limits_of(conference, settings),
        is_open=True,
    )
    if refusal is not None:
        db.session.rollback()
        raise MoveRefused(refusal)
    held = signup.status == SignupStatus.held
    places.release(signup, here, now)
    moved = places.take(volunteer, there, now, settings, held=held)
    volunteer.updated_at = now
    db.session.flush()
    outbox.enqueue(emails.shift_dropped(signup, by_staff=True, reason=reason))
    if not held:
        outbox.enqueue(emails.shifts_added(volunteer, [moved]))
        places.schedule_reminders([moved], settings, now)
    audit.record(
        "volunteers.moved",
        actor=actor,
        volunteer_id=volunteer.id,
        from_shift_id=here.id,
        to_shift_id=there.id,
    )
    db.session.commit()
    return moved


# --- Emailing a team ----------------------------------------------------------------------


def clean_message(subject, body):
    """The team message's subject and body, cleaned. :raises VolunteerError: what is wrong."""
    subject = text.clean_text(subject) or ""
    body = text.clean_text(body, multiline=True) or ""
    if not subject:
        raise VolunteerError(_l("Enter a subject"))
    if len(subject) > SUBJECT_MAX:
        raise VolunteerError(_l("The subject must be 150 characters or fewer"))
    if not body:
        raise VolunteerError(_l("Enter the message"))
    if len(body) > BODY_MAX:
        raise VolunteerError(_l("The message must be 5,000 characters or fewer"))
    return subject, body


def team_size(shift):
    """How many people a message to ``shift``'s team goes to (its current sign-ups)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ShiftSignup)
        .where(ShiftSignup.shift_id == shift.id, ShiftSignup.status != SignupStatus.dropped)
    )


def email_team(shift, actor, *, subject, body, submission_id):
    """Queue ``subject`` and ``body`` to each person now on ``shift``, in the outbox.
    The same ``submission_id`` (a form sent twice) queues nothing more. Commits; returns
    how many messages were queued.

    :raises VolunteerError: the subject or body is missing or too long.
    """
    subject, body = clean_message(subject, body)
    shift_id = shift.id
    database.begin_write()
    # The shift's row lock: two sends of one form queue once, and no one joins half-way.
    (shift,) = places.lock_shifts(shift.conference, [shift_id])
    members = db.session.scalars(
        sa.select(ShiftSignup).where(
            ShiftSignup.shift_id == shift.id, ShiftSignup.status != SignupStatus.dropped
        )
    ).all()
    sender = (actor.name or actor.email) if actor is not None else None
    queued = 0
    for signup in members:
        key = f"volunteers-team:{shift.id}:{submission_id}:{signup.volunteer_id}"
        row = outbox.enqueue(
            emails.team_message(
                signup.volunteer, shift_id=shift.id, subject=subject, body=body, sender=sender
            ),
            key=key,
        )
        queued += row in db.session.new
    if queued:
        audit.record("volunteers.team_emailed", actor=actor, shift_id=shift.id, recipients=queued)
    db.session.commit()
    return queued
