"""What organizers do with registrations from the back office, and what the list shows.

The seat and email rules stay in ``services`` and ``seats``; these functions add the
audit trail and what the pages need. Each one commits.

A change that moves the figures organizers watch (seats, waiting lists) is announced on
``attendees_changed`` (sender: the conference), after it commits: the back office's
dashboard drops its cached figures then (``manage`` connects to it; registration never
imports the back office).
"""

from collections import defaultdict

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from conference import audit, database
from conference.clock import utcnow
from conference.content import services as content
from conference.extensions import db
from conference.i18n import translate
from conference.mailer import outbox
from conference.registration import emails, queries, seats
from conference.registration import services as registrations
from conference.registration.errors import RegistrationError
from conference.registration.models import Place, PlaceStatus, Registration
from conference.text import clean_text

attendees_changed = Namespace().signal("attendees-changed")


class FieldError(RegistrationError):
    """A rule broken by one answer of a form; ``field`` names it."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def get_registration(conference, registration_id):
    """Return ``conference``'s registration with ``registration_id``, or ``None``."""
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.id == registration_id, Registration.conference_id == conference.id
        )
    )


def list_page(
    conference,
    filters,
    *,
    sort=queries.DEFAULT_SORT,
    after_id=None,
    before_id=None,
    size=50,
    actor=None,
):
    """Return one page of the attendee list: a ``pager.Window``.

    Searches, filters, other orders and further pages are recorded in the audit log
    (``attendees.listed``): they are views of people's data in bulk. The first page in
    the usual order, which every organizer sees on opening the list, is not.
    """
    paged = after_id is not None or before_id is not None
    if filters.as_dict() or paged or sort != queries.DEFAULT_SORT:
        # A writer from the start: SQLite cannot turn this request's read transaction into
        # a write once another process has written since, and would answer "locked".
        # Kept loaded: the user, conference and tracks the page shows need not be read again.
        with database.keeping_loaded():
            database.begin_write()
            details = {"filters": filters.as_dict(), "after": after_id}
            if before_id is not None:
                details["before"] = before_id
            if sort != queries.DEFAULT_SORT:
                details["sort"] = sort
            audit.record("attendees.listed", actor=actor, **details)
            db.session.commit()
    return queries.page(
        conference, filters, sort=sort, after_id=after_id, before_id=before_id, size=size
    )


def places_of(conference, registrations):
    """Return ``{registration id: [(track name, status, position in line or None)]}``.

    One query for the places, and the waiting ones' positions a track at a time; each
    track's name is translated once a page, not once a row (a bilingual name is JSON,
    and a page has a hundred places or more).
    """
    ids = [registration.id for registration in registrations]
    if not ids:
        return {}
    tracks = {track.id: track for track in conference.tracks}
    names = {track_id: translate(track.name) for track_id, track in tracks.items()}
    rows = db.session.execute(
        sa.select(Place.registration_id, Place.track_id, Place.status, Place.id).where(
            Place.registration_id.in_(ids)
        )
    ).all()
    positions = queries.waiting_positions(
        (row.id, row.track_id) for row in rows if row.status == PlaceStatus.waitlisted
    )
    found = defaultdict(list)
    for registration_id, track_id, status, place_id in sorted(
        rows, key=lambda row: (tracks[row.track_id].position, row.track_id)
    ):
        found[registration_id].append((names[track_id], status, positions.get(place_id)))
    return found


def view_registration(registration, *, actor=None):
    """Record that staff opened ``registration``; return each waiting place's position.

    Returns ``{place id: position in line}``. Commits.
    """
    with database.keeping_loaded():  # see list_page
        database.begin_write()
        audit.record("attendee.viewed", actor=actor, registration_id=registration.id)
        db.session.commit()
    return queries.places_in_line(registration.waitlisted_places)


def cancel_attendee(registration, *, actor=None):
    """Cancel ``registration`` for its holder: seats go to those waiting, the person is told.

    Returns ``False`` when it was not active (by the time its row was locked: two
    organizers, or a double click, cancel once). The audit event is written right after
    the cancellation commits (``cancel_registration`` owns its transaction).
    """
    conference = registration.conference
    if not registrations.cancel_registration(registration):
        return False
    database.begin_write()  # see list_page
    audit.record("attendee.cancelled", actor=actor, registration_id=registration.id)
    db.session.commit()
    attendees_changed.send(conference)
    return True


def change_details(registration, *, email, actor=None, **details):
    """Save an organizer's corrections to ``registration``; a new address gets the confirmation.

    ``details`` are ``update_details``' keyword arguments. Returns the names of the fields
    that changed (recorded in the audit log, without their values).

    :raises RegistrationError: a rule was broken (the address is taken, say); nothing is saved.
    """
    if not registration.is_active:
        raise RegistrationError(_l("Only an active registration can be changed."))
    before = {name: getattr(registration, name) for name in details}
    try:
        email_changed = correct_email(registration, email, actor=actor)
    except RegistrationError as exc:
        raise FieldError("email", str(exc)) from None
    changed = [name for name, value in details.items() if before[name] != _stored(name, value)]
    if changed:
        registrations.update_details(registration, **details)  # commits
        # Right after the change commits, as a writer from the start (see list_page).
        database.begin_write()
        audit.record(
            "attendee.details_changed",
            actor=actor,
            registration_id=registration.id,
            fields=sorted(changed),
        )
        db.session.commit()
    return (["email"] if email_changed else []) + sorted(changed)


def _stored(name, value):
    """``value`` as ``update_details`` would store it, to tell what really changed."""
    if name == "photo_consent":
        return bool(value)
    if name == "needs":
        return clean_text(value, multiline=True)
    if name == "language":
        return value
    return clean_text(value)


def confirm_place(registration, place_id, *, actor=None):
    """Give ``registration``'s waitlisted place ``place_id`` a seat now; see
    ``seats.confirm_from_waitlist``. Returns whether the capacity rose.

    :raises RegistrationError: no such place on a waiting list.
    """
    place = next((p for p in registration.places if p.id == place_id), None)
    if place is None or place.status != PlaceStatus.waitlisted or not registration.is_active:
        raise RegistrationError(_l("This person is no longer on the waiting list."))
    conference = registration.conference
    raised = seats.confirm_from_waitlist(place, actor=actor)
    attendees_changed.send(conference)
    return raised


def resend_confirmation(registration, *, actor=None):
    """Email ``registration`` its confirmation again, with a new private link. Commits.

    :raises RegistrationError: the registration is not active.
    """
    registration = seats.lock_registration(registration)
    if not registration.is_active:
        db.session.rollback()
        raise RegistrationError(_l("This registration is cancelled: there is nothing to send."))
    outbox.enqueue(emails.confirmation(registration))
    audit.record("attendee.confirmation_resent", actor=actor, registration_id=registration.id)
    db.session.commit()


def correct_email(registration, address, *, actor=None, now=None):
    """Change the email address of an active ``registration`` (an organizer fixing a typo).

    Links sent to the old address stop working; the confirmation goes to the new one.
    Commits. Returns whether the address changed.

    :raises RegistrationError: not an address, the registration is not active, or another
        active registration already uses it.
    """
    address = registrations.normalise_email(address)
    now = now or utcnow()
    registration = seats.lock_registration(registration)
    if not registration.is_active:
        db.session.rollback()
        raise RegistrationError(_l("Only an active registration can be changed."))
    if address == registration.email:
        db.session.commit()
        return False
    taken = _l("Another registration already uses this email address.")
    if queries.find_active_registration(registration.conference, address) is not None:
        db.session.rollback()
        raise RegistrationError(taken)
    registration.email = address
    registration.updated_at = now
    registration.tokens.clear()  # the old address may belong to someone else
    audit.record("attendee.email_changed", actor=actor, registration_id=registration.id)
    try:
        db.session.flush()
    except IntegrityError:  # registered with this address a moment ago
        db.session.rollback()
        raise RegistrationError(taken) from None
    outbox.enqueue(emails.confirmation(registration))
    db.session.commit()
    return True


@seats.retrying
def change_capacity(track, capacity, *, actor=None):
    """Set ``track``'s capacity; a raise gives the new seats to those waiting (emailed).

    Returns the promoted places. From now on loading the content file keeps this number
    (``content.capacity_set_by_organizers``); recorded in the audit log, in the same
    transaction.

    :raises RegistrationError: below the seats already confirmed; nothing changes.
    """
    conference = track.conference
    database.begin_write()
    [track] = seats.lock_tracks(conference, [track.key])
    before = track.capacity
    try:
        promoted = seats.apply_capacity(track, capacity)
    except RegistrationError:
        db.session.rollback()  # release the track's lock
        raise
    if capacity != before:
        content.capacity_set_by_organizers(
            track, previous=before, promoted=len(promoted), actor=actor
        )
        content.bump_content_version(conference)  # the public page shows capacities
    db.session.commit()
    attendees_changed.send(conference)
    return promoted
