"""Seats and waiting lists: taking and freeing seats, promotions, capacities.

Seats: a track's ``seats_taken`` and ``places_waiting`` change only while its row is
locked (PostgreSQL: ``SELECT … FOR UPDATE``, tracks in id order; SQLite: the whole
transaction is ``BEGIN IMMEDIATE``). A freed seat goes to the next person waiting on
that track, in the same transaction.

Lock order: a change to a registration locks the registration's row first
(``lock_registration``), then its tracks in id order (``lock_tracks``), and reads its
status and places only after both. Two requests for the same registration (a double
click) then run one after the other, and the second sees what the first did. A
promotion is the one step that needs a registration's row while holding a track: it
never waits for it (``SKIP LOCKED``), since the holder may be waiting for that very
track; it gives the whole transaction up instead (``Busy``) and ``retrying`` runs it
again once the holder is done.

Loading the content file changes capacities too: content sits below registration and
never imports it, so ``init_app`` (in this package's ``__init__``) installs
``lock_tracks`` and ``apply_capacity`` as content's capacity rules
(``content.services.install_capacity_rules``).
"""

import functools
import random
import time

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from conference import audit, database
from conference.clock import utcnow
from conference.content import services as content
from conference.content.models import Track
from conference.extensions import db
from conference.i18n import translate
from conference.mailer import outbox
from conference.registration import emails
from conference.registration.errors import Busy, RegistrationError
from conference.registration.models import Place, PlaceStatus, Registration

# ---------------------------------------------------------------------------------------
# Locks


def lock_registration(registration):
    """Begin a writing transaction and lock ``registration`` (an object or an id); return it.

    The first step of every change to an existing registration (see the lock order
    above). Its status and places are read afresh after the lock, so a twin request
    that waited here sees what the first one did.
    """
    if isinstance(registration, Registration):
        registration = sa.inspect(registration).identity[0]  # no query before the lock
    database.begin_write()
    return db.session.scalar(
        sa.select(Registration)
        .where(Registration.id == registration)
        .options(so.selectinload(Registration.places))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def retrying(function, attempts=50):
    """Run ``function`` (which owns its transaction) again while it raises ``Busy``.

    Between attempts it waits a short, growing, random time: long enough for the change
    that held the registration to take the track and finish.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        for attempt in range(attempts):
            try:
                return function(*args, **kwargs)
            except Busy:
                db.session.rollback()
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.5)))
        raise AssertionError("unreachable")

    return wrapper


def lock_tracks(conference, keys):
    """Return the tracks of ``conference`` named by ``keys``, locked, in id order.

    Fresh values are read (``populate_existing``): a seat count must never come from
    before the lock.
    """
    query = (
        sa.select(Track)
        .where(Track.conference_id == conference.id, Track.key.in_(list(keys)))
        .order_by(Track.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def lock_track_rows(conference, keys):
    """``lock_tracks`` as plain rows (id, capacity, seats taken, places waiting), for a
    new registration.

    A new registration changes nothing else of a track: its rows need no ORM objects
    (see ``seat_newcomer``).
    """
    return db.session.execute(
        sa.select(Track.id, Track.capacity, Track.seats_taken, Track.places_waiting)
        .where(Track.conference_id == conference.id, Track.key.in_(list(keys)))
        .order_by(Track.id)
        .with_for_update()
    ).all()


# ---------------------------------------------------------------------------------------
# Taking and freeing seats
#
# A track's ``seats_taken`` and ``places_waiting`` count its confirmed and waitlisted
# places. Every change of a place below changes them too, under the track's lock, so
# that nobody counts rows to know whether a seat is free or where a line ends
# (``invariants`` checks they agree).


def seat_newcomer(registration_id, tracks, now):
    """Give the new registration ``registration_id`` a seat, or a place in line, on each
    of the locked ``tracks`` (``lock_track_rows``); return ``(seated, waiting)``.

    ``seated``: the ids of the tracks where it has a seat; ``waiting``: ``[track id,
    place in line]`` pairs; both in track id order (as a registration's places are).
    Written with Core, in as few statements as the invariants allow, because this runs
    while the tracks are locked: one UPDATE of the tracks' counts and one INSERT of the
    places. A new place is the last of its line: its place in line is the number of
    places waiting before it, plus one.
    """
    seated = [track.id for track in tracks if track.seats_taken < track.capacity]
    waiting = [
        [track.id, track.places_waiting + 1]
        for track in tracks
        if track.seats_taken >= track.capacity
    ]
    track_table = Track.__table__
    in_line = track_table.c.id.in_([track_id for track_id, _ in waiting])
    db.session.execute(
        sa.update(track_table)
        .where(track_table.c.id.in_([track.id for track in tracks]))
        .values(
            seats_taken=track_table.c.seats_taken + sa.case((in_line, 0), else_=1),
            places_waiting=track_table.c.places_waiting + sa.case((in_line, 1), else_=0),
        )
    )
    db.session.execute(
        sa.insert(Place.__table__),
        [
            {
                "registration_id": registration_id,
                "track_id": track.id,
                "status": PlaceStatus.confirmed if track.id in seated else PlaceStatus.waitlisted,
                "created_at": now,
                "confirmed_at": now if track.id in seated else None,
            }
            for track in tracks
        ],
    )
    return seated, waiting


def take_seat_or_wait(registration, track, now):
    """Give ``registration`` a seat in the locked ``track``, or a place in its line."""
    if track.seats_taken < track.capacity:
        track.seats_taken += 1
        place = Place(track=track, status=PlaceStatus.confirmed, created_at=now, confirmed_at=now)
    else:
        track.places_waiting += 1
        place = Place(track=track, status=PlaceStatus.waitlisted, created_at=now)
    registration.places.append(place)
    return place


def release_places(registration, now):
    """Drop every place of ``registration``, handing freed seats on; return whether it had one."""
    had_seat = bool(registration.confirmed_places)
    places = {place.track.key: place for place in registration.places}
    tracks = lock_tracks(registration.conference, places)
    for track in tracks:
        drop_place(registration, places[track.key], track)
    db.session.flush()
    for track in tracks:
        fill_free_seats(track, now=now)
    return had_seat


def drop_place(registration, place, track):
    """Take ``place`` (in the locked ``track``) from ``registration``, freeing its seat."""
    if place.status == PlaceStatus.confirmed:
        track.seats_taken -= 1
    else:
        track.places_waiting -= 1
    registration.places.remove(place)


# ---------------------------------------------------------------------------------------
# Promotions


def fill_free_seats(track, *, now=None):
    """Give ``track``'s free seats to the people waiting, first come first served.

    Call with the track locked (``lock_tracks``), inside the caller's transaction; each
    promoted person is emailed. Returns the promoted places.

    :raises Busy: the next person's registration is locked by a change of its own; the
        caller rolls back and runs its transaction again (``retrying``).
    """
    now = now or utcnow()
    promoted = []
    while track.seats_taken < track.capacity:
        place = db.session.scalar(
            sa.select(Place)
            .where(Place.track_id == track.id, Place.status == PlaceStatus.waitlisted)
            .order_by(Place.id)
            .limit(1)
        )
        if place is None:
            break
        registration = _lock_for_promotion(place.registration_id)
        place.status = PlaceStatus.confirmed
        place.confirmed_at = now
        track.seats_taken += 1
        track.places_waiting -= 1
        registration.ics_sequence += 1
        registration.updated_at = now
        promoted.append(place)
        db.session.flush()
        outbox.enqueue(
            emails.promoted(registration, place),
            key=f"registration:{registration.id}:promoted:{track.id}:{registration.ics_sequence}",
        )
    return promoted


def _lock_for_promotion(registration_id):
    """Lock the registration of the person first in line, without waiting for it.

    Its holder (that person cancelling or changing tracks, say) may be waiting for the
    track this transaction holds: waiting here would deadlock, so give up (``Busy``).

    :raises Busy: another transaction holds the registration.
    """
    registration = db.session.scalar(
        sa.select(Registration)
        .where(Registration.id == registration_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if registration is None:
        raise Busy(registration_id)
    return registration


def confirm_from_waitlist(place, *, actor=None, now=None):
    """Give the waitlisted ``place`` a seat now, ahead of the line, and email the person.

    An organizers' action. A full track gets one more seat (its capacity rises by one)
    to make room. Records the action in the audit log. Commits. Returns whether the
    capacity was raised.

    :raises RegistrationError: the place is no longer on a waiting list.
    """
    now = now or utcnow()
    place_id, conference, track_key = place.id, place.track.conference, place.track.key
    registration = lock_registration(place.registration_id)
    [track] = lock_tracks(conference, [track_key])
    place = db.session.scalar(
        sa.select(Place).where(Place.id == place_id).execution_options(populate_existing=True)
    )  # read after the locks: the person may have cancelled, or been promoted, meanwhile
    if place is None or place.status != PlaceStatus.waitlisted or not registration.is_active:
        db.session.rollback()
        raise RegistrationError(_l("This person is no longer on the waiting list."))
    raised = track.seats_taken >= track.capacity
    if raised:
        track.capacity = track.seats_taken + 1
    place.status = PlaceStatus.confirmed
    place.confirmed_at = now
    track.seats_taken += 1
    track.places_waiting -= 1
    registration.ics_sequence += 1
    registration.updated_at = now
    audit.record(
        "attendee.confirmed_from_waitlist",
        actor=actor,
        registration_id=registration.id,
        track=track.key,
        capacity=track.capacity if raised else None,
    )
    if raised:  # organizers changed the capacity; the public page shows it
        content.capacity_set_by_organizers(
            track, previous=track.capacity - 1, promoted=1, actor=actor, now=now
        )
        content.bump_content_version(conference)
    db.session.flush()
    outbox.enqueue(
        emails.promoted(registration, place),
        key=f"registration:{registration.id}:promoted:{track.id}:{registration.ics_sequence}",
    )
    db.session.commit()
    return raised


# ---------------------------------------------------------------------------------------
# Capacities


@retrying
def set_capacity(track, capacity, *, now=None):
    """Change ``track``'s capacity; raising it promotes from the waiting list. Commits.

    :raises RegistrationError: below the seats already confirmed, or negative.
    """
    database.begin_write()
    [track] = lock_tracks(track.conference, [track.key])
    apply_capacity(track, capacity, now=now)
    db.session.commit()


def apply_capacity(track, capacity, *, now=None):
    """Set the capacity of a locked ``track`` inside the caller's transaction and promote.

    :raises RegistrationError: below the seats already confirmed, or negative.
    :raises Busy: see ``fill_free_seats``; the caller runs its transaction again.
    """
    if capacity < 0 or capacity < track.seats_taken:
        raise RegistrationError(
            lazy_ngettext(
                "%(track)s has %(num)s confirmed seat: its capacity cannot go below that.",
                "%(track)s has %(num)s confirmed seats: its capacity cannot go below that.",
                track.seats_taken,
                track=translate(track.name),
            )
        )
    track.capacity = capacity
    db.session.flush()
    return fill_free_seats(track, now=now)
