"""Places on shifts: locks, taking and releasing places, holds and reminders.

A shift's ``taken`` changes only while its row is locked (PostgreSQL ``SELECT … FOR
UPDATE``, shifts in id order; SQLite ``BEGIN IMMEDIATE`` for the whole transaction). A
change to an existing volunteer locks the volunteer's row first (``lock_volunteer``),
then the shifts (``lock_shifts``): one person's two requests run one after the other.
"""

import uuid
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference import database
from conference.extensions import db
from conference.mailer import outbox
from conference.volunteers import emails
from conference.volunteers.models import (
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
)


def lock_volunteer(volunteer):
    """Begin a writing transaction and lock ``volunteer`` (an object or an id); return it."""
    if isinstance(volunteer, Volunteer):
        volunteer = sa.inspect(volunteer).identity[0]
    database.begin_write()
    return db.session.scalar(
        sa.select(Volunteer)
        .where(Volunteer.id == volunteer)
        .options(so.selectinload(Volunteer.signups).joinedload(ShiftSignup.shift))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_shifts(conference, ids):
    """The shifts of ``conference`` with ``ids``, locked, in id order, read afresh."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Shift)
            .where(Shift.conference_id == conference.id, Shift.id.in_(sorted(set(ids))))
            .options(so.joinedload(Shift.role).joinedload(VolunteerRole.track))
            .order_by(Shift.id)
            .with_for_update(of=Shift)
            .execution_options(populate_existing=True)
        ).unique()
    )


def expire_holds_on(shifts, now):
    """Release the expired holds of the locked ``shifts``; return the released sign-ups."""
    if not shifts:
        return []
    expired = list(
        db.session.scalars(
            sa.select(ShiftSignup).where(
                ShiftSignup.shift_id.in_([s.id for s in shifts]),
                ShiftSignup.status == SignupStatus.held,
                ShiftSignup.held_until <= now,
            )
        )
    )
    by_id = {s.id: s for s in shifts}
    for signup in expired:
        signup.status = SignupStatus.dropped
        signup.dropped_at = now
        signup.ics_sequence += 1
        by_id[signup.shift_id].taken -= 1
    return expired


def take(volunteer, shift, now, settings, *, held=False):
    """Give ``volunteer`` a place on the locked ``shift`` (reusing a dropped sign-up's row,
    so its invitation keeps its UID); return the sign-up."""
    shift.taken += 1
    signup = next((s for s in volunteer.signups if s.shift_id == shift.id), None)
    if signup is None:
        signup = ShiftSignup(shift=shift, ics_uid=f"{uuid.uuid4()}", ics_sequence=0, created_at=now)
        volunteer.signups.append(signup)
    else:
        signup.ics_sequence += 1
        signup.attendance = None
        signup.attendance_at = None
        signup.dropped_at = None
    if held:
        signup.status = SignupStatus.held
        signup.held_until = now + timedelta(hours=settings.guardian_hold_hours)
        signup.confirmed_at = None
    else:
        signup.status = SignupStatus.confirmed
        signup.held_until = None
        signup.confirmed_at = now
    return signup


def reminder_key(signup):
    return f"volunteer-signup:{signup.id}:reminder:{signup.ics_sequence}"


def schedule_reminders(signups, settings, now):
    """Queue each confirmed sign-up's reminder for ``reminder_hours`` before its shift;
    none when that time has already passed (they signed up the day before)."""
    db.session.flush()
    for signup in signups:
        if signup.status != SignupStatus.confirmed:
            continue
        send_at = signup.shift.starts_at - timedelta(hours=settings.reminder_hours)
        if send_at > now:
            outbox.enqueue(emails.reminder(signup), key=reminder_key(signup), send_at=send_at)


def cancel_reminder(signup):
    """Take back the reminder of ``signup`` if it has not been sent (its cause is gone).

    Call it before raising the sign-up's SEQUENCE: the reminder's key holds the one it
    was queued with (``reminder_key``).
    """
    outbox.drop_pending(reminder_key(signup))


def release(signup, shift, now):
    if signup.status == SignupStatus.confirmed:
        cancel_reminder(signup)
    signup.status = SignupStatus.dropped
    signup.dropped_at = now
    signup.held_until = None
    signup.ics_sequence += 1
    shift.taken -= 1


class BelowTaken(Exception):
    """A shift's maximum cannot go below the places already taken on it."""

    def __init__(self, shift):
        super().__init__(f"{shift.taken} places are taken")
        self.taken = shift.taken


def change_max_people(shift, max_people, *, min_people=None):
    """Set the locked ``shift``'s maximum (and minimum) inside the caller's transaction.

    Decided on the count read under the lock, so a maximum lowered while people sign up
    never leaves anyone over it.

    :raises BelowTaken: ``max_people`` is below the places already taken.
    """
    if max_people < shift.taken:
        raise BelowTaken(shift)
    shift.max_people = max_people
    if min_people is not None:
        shift.min_people = min(min_people, max_people)
