"""Registration rules: who may register, who gets a seat, who waits, and what they are told.

Nothing here reads ``request`` or calls ``flash``: the web views, the
``flask registrations`` CLI and the tests call these functions. Each public function
owns its transaction and commits; its emails are queued in the outbox in that same
transaction and delivered after the commit.

Seats: a track's ``seats_taken`` changes only while its row is locked (PostgreSQL:
``SELECT … FOR UPDATE``, tracks in id order; SQLite: the whole transaction is
``BEGIN IMMEDIATE``). A freed seat goes to the next person waiting on that track, in the
same transaction.

Lock order: a change to a registration locks the registration's row first
(``lock_registration``), then its tracks in id order (``lock_tracks``), and reads its
status and places only after both. Two requests for the same registration (a double
click) then run one after the other, and the second sees what the first did. A
promotion is the one step that needs a registration's row while holding a track: it
never waits for it (``SKIP LOCKED``), since the holder may be waiting for that very
track; it gives the whole transaction up instead (``Busy``) and ``retrying`` runs it
again once the holder is done.
"""

import functools
import random
import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from conference import audit, database, text
from conference.clock import utcnow
from conference.content.models import Track
from conference.extensions import db
from conference.i18n import translate
from conference.mailer import outbox
from conference.registration import emails
from conference.registration.models import (
    ManageToken,
    Place,
    PlaceStatus,
    Registration,
    RegistrationStatus,
)
from conference.tokens import new_token, token_hash


class RegistrationError(Exception):
    """A registration rule was broken. The message is safe to show to users."""


class RegistrationEnded(RegistrationError):
    """The registration was cancelled or erased, perhaps a moment ago by a twin request.

    ``status`` says which, so that a page can answer as the cancellation did.
    """

    def __init__(self, registration):
        super().__init__(_l("This registration is cancelled."))
        self.status = registration.status


class Busy(Exception):
    """A promotion met a registration locked by its own change: the transaction must start
    again (``retrying``) once that change is done. Never reaches users."""


@dataclass
class Outcome:
    """What a registration attempt did. ``created`` is false for a repeat."""

    registration: Registration
    created: bool


# ---------------------------------------------------------------------------------------
# Normalising input


def normalise_email(address):
    """``text.normalise_email``, refusing what is not an address in the user's words.

    :raises RegistrationError: not an address.
    """
    try:
        return text.normalise_email(address)
    except text.InvalidEmailAddress:
        raise RegistrationError(
            _l("Enter an email address in the correct format, like name@example.com")
        ) from None


# ---------------------------------------------------------------------------------------
# Looking things up


def find_by_token(token):
    """Return the registration a manage-link token opens, or ``None`` (wrong, old, erased)."""
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    return db.session.scalar(
        sa.select(Registration)
        .join(ManageToken)
        .where(ManageToken.token_hash == digest, Registration.status == RegistrationStatus.active)
    )


def find_ended_by_token(token):
    """Return the cancelled or erased registration a manage-link token belonged to, or ``None``.

    Such a link opens nothing: its pages only say that the registration has ended, as the
    cancellation itself did (the second of two cancel clicks, say).
    """
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Registration)
        .join(ManageToken)
        .where(
            ManageToken.token_hash == token_hash(token),
            Registration.status != RegistrationStatus.active,
        )
    )


def find_active_registration(conference, email):
    """Return the active registration of ``email`` for ``conference``, or ``None``."""
    return db.session.scalar(
        sa.select(Registration).filter_by(
            conference_id=conference.id, email=email, status=RegistrationStatus.active
        )
    )


def places_in_line(places):
    """Return ``{place id: 1-based position on its track's waiting list}`` in one query.

    ``places`` are waitlisted places (a registration's, say); each is counted among the
    waiting places of its track up to and including itself.
    """
    ids = [place.id for place in places]
    if not ids:
        return {}
    ahead = so.aliased(Place)
    return dict(
        db.session.execute(
            sa.select(Place.id, sa.func.count(ahead.id))
            .join(
                ahead,
                sa.and_(
                    ahead.track_id == Place.track_id,
                    ahead.status == PlaceStatus.waitlisted,
                    ahead.id <= Place.id,
                ),
            )
            .where(Place.id.in_(ids))
            .group_by(Place.id)
        ).all()
    )


def mint_token(registration):
    """Create a new private link token for ``registration``; return the token itself.

    Only its hash is stored: the token exists in plain text in the email that carries
    it and nowhere else. The emails mint theirs when the deliverer renders them
    (``emails._View.manage_url``), never in the transaction that queues them.
    """
    token = new_token()
    registration.tokens.append(ManageToken(token_hash=token_hash(token), created_at=utcnow()))
    return token


# ---------------------------------------------------------------------------------------
# Registering


def register_attendee(
    conference,
    *,
    email,
    full_name,
    track_keys,
    language,
    phone=None,
    city=None,
    region=None,
    needs=None,
    photo_consent=False,
    privacy_accepted=False,
    submission_id=None,
    source="web",
    now=None,
):
    """Register someone, confirming each chosen track while seats remain, waitlisting after.

    A repeat (same email while a registration is active) changes nothing and emails that
    address its link; a repeated form submission (same ``submission_id``) returns the
    registration it made. ``source="import"`` (organizers typing in paper sign-ups) skips
    the registration window and refuses repeats instead. Commits. Returns an ``Outcome``.

    :raises RegistrationError: registration is closed, or the input breaks a rule.
    """
    now = now or utcnow()
    values = _registration_values(
        conference,
        email=email,
        full_name=full_name,
        track_keys=track_keys,
        language=language,
        phone=phone,
        city=city,
        region=region,
        needs=needs,
        privacy_accepted=privacy_accepted,
    )
    if source == "web" and not conference.is_registration_open(now):
        raise RegistrationError(_l("Registration is closed."))
    for attempt in range(2):  # a unique index caught a concurrent twin: answer as a repeat
        try:
            return _register(conference, values, photo_consent, submission_id, source, now)
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _registration_values(
    conference,
    *,
    email,
    full_name,
    track_keys,
    language,
    phone,
    city,
    region,
    needs,
    privacy_accepted,
):
    full_name = _checked_name(full_name)
    keys = list(dict.fromkeys(track_keys or []))
    known = {track.key for track in conference.tracks}
    if not keys or not set(keys) <= known:
        raise RegistrationError(_l("Select at least one track"))
    if not privacy_accepted:
        raise RegistrationError(_l("Confirm you agree to the privacy notice"))
    return {
        "email": normalise_email(email),
        "full_name": full_name,
        "track_keys": keys,
        "language": language if language in ("ar", "en") else "en",
        **_optional_details(phone=phone, city=city, region=region, needs=needs),
    }


def _checked_name(full_name):
    """:raises RegistrationError: the name is missing or too long, once cleaned."""
    full_name = text.clean_text(full_name)
    if not full_name:
        raise RegistrationError(_l("Enter your full name"))
    if len(full_name) > 200:
        raise RegistrationError(_l("Full name must be 200 characters or fewer"))
    return full_name


def _optional_details(*, phone, city, region, needs):
    """The optional details, cleaned and cut to their columns' sizes."""
    return {
        "phone": _limited(text.clean_text(phone), 40),
        "city": _limited(text.clean_text(city), 100),
        "region": _limited(text.clean_text(region), 100),
        "needs": _limited(text.clean_text(needs, multiline=True), 2000),
    }


def _limited(value, limit):
    return value[:limit] if value else value


def _register(conference, values, photo_consent, submission_id, source, now):
    database.begin_write()
    if submission_id:
        twin = db.session.scalar(sa.select(Registration).filter_by(submission_id=submission_id))
        if twin is not None:
            db.session.commit()
            return Outcome(twin, created=False)
    existing = find_active_registration(conference, values["email"])
    if existing is not None and source == "import":  # organizers are told, nobody is emailed
        db.session.commit()
        raise RegistrationError(_l("This email address is already registered."))
    if existing is not None:  # same answer as a new sign-up: never reveal who is registered
        outbox.enqueue(emails.already_registered(existing))
        stand_in = {**values, "email": f"{uuid.uuid4().hex}@rehearsal.invalid"}
        _rehearse(
            functools.partial(
                _insert_registration, conference, stand_in, photo_consent, None, source, now
            )
        )
        db.session.commit()
        return Outcome(existing, created=False)

    # In a savepoint too, released rather than rolled back: a repeat's rehearsal and a new
    # registration run the same statements in the same shape (see ``_rehearse``).
    with db.session.begin_nested():
        registration, confirmation = _insert_registration(
            conference, values, photo_consent, submission_id, source, now
        )
    # The registration is new, so no message can have its key yet: no lookup.
    outbox.enqueue(confirmation, key=f"registration:{registration.id}:new", fresh=True)
    db.session.commit()
    return Outcome(registration, created=True)


def _insert_registration(conference, values, photo_consent, submission_id, source, now):
    """Write a new registration with its seats or places in line.

    Returns it with its confirmation (an intent, for the caller to queue).
    """
    tracks = lock_tracks(conference, values["track_keys"])
    registration = Registration(
        conference=conference,
        email=values["email"],
        full_name=values["full_name"],
        phone=values["phone"],
        city=values["city"],
        region=values["region"],
        language=values["language"],
        needs=values["needs"],
        photo_consent=bool(photo_consent),
        privacy_accepted_at=now,
        source=source,
        submission_id=submission_id,
        ics_uid=str(uuid.uuid4()),
        ics_sequence=0,
        created_at=now,
        updated_at=now,
    )
    # Seats and places are added while the registration is new, so that one
    # flush writes them all (a registration already in the database would first load its
    # empty places and tokens).
    for track in tracks:
        _take_seat_or_wait(registration, track, now)
    db.session.add(registration)
    db.session.flush()
    confirmation = emails.confirmation(registration)
    db.session.flush()
    return registration, confirmation


def _enqueue_and_flush(intent):
    outbox.enqueue(intent)
    db.session.flush()


def _rehearse(work):
    """Do ``work`` (a first registration's writes, say) in a savepoint, then undo it.

    A repeat registration, or a link asked for an address nobody registered, answers
    after the same work as its counterpart, so the time an answer takes tells nobody
    who is registered. The seats and rows it touched are as they were; it only holds the
    same locks for the same time.
    """
    savepoint = db.session.begin_nested()
    try:
        work()
    finally:
        savepoint.rollback()


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


def _take_seat_or_wait(registration, track, now):
    if track.seats_taken < track.capacity:
        track.seats_taken += 1
        place = Place(track=track, status=PlaceStatus.confirmed, created_at=now, confirmed_at=now)
    else:
        place = Place(track=track, status=PlaceStatus.waitlisted, created_at=now)
    registration.places.append(place)
    return place


# ---------------------------------------------------------------------------------------
# Changing, cancelling, erasing


@retrying
def change_tracks(registration, track_keys, *, now=None):
    """Move ``registration`` to the tracks ``track_keys``: keep, add (seat or wait), drop.

    A dropped seat goes to the next person waiting. Sends the updated invitation (or its
    cancellation, when no confirmed seat is left). Commits. Returns whether anything changed:
    the same change made twice changes nothing the second time.

    :raises RegistrationError: no track chosen, or an unknown one.
    :raises RegistrationEnded: the registration is no longer active.
    """
    now = now or utcnow()
    conference = registration.conference
    keys = list(dict.fromkeys(track_keys or []))
    if not keys or not set(keys) <= {t.key for t in conference.tracks}:
        raise RegistrationError(_l("Select at least one track"))
    registration = lock_registration(registration)
    if not registration.is_active:
        db.session.rollback()
        raise RegistrationEnded(registration)
    current = {place.track.key: place for place in registration.places}
    if set(keys) == set(current):
        db.session.commit()
        return False
    had_seat = bool(registration.confirmed_places)
    tracks = lock_tracks(conference, set(keys) | set(current))
    for track in tracks:
        place = current.get(track.key)
        if place is not None and track.key not in keys:
            _drop_place(registration, place, track)
        elif place is None and track.key in keys:
            _take_seat_or_wait(registration, track, now)
    registration.ics_sequence += 1
    registration.updated_at = now
    db.session.flush()
    for track in tracks:
        fill_free_seats(track, now=now)
    outbox.enqueue(
        emails.changed(registration, had_seat=had_seat),
        key=f"registration:{registration.id}:changed:{registration.ics_sequence}",
    )
    db.session.commit()
    return True


def update_details(
    registration, *, full_name, phone, city, region, language, needs, photo_consent, now=None
):
    """Save new personal details for ``registration``. Commits.

    :raises RegistrationError: the name is missing or too long.
    :raises RegistrationEnded: the registration is no longer active.
    """
    full_name = _checked_name(full_name)
    registration = lock_registration(registration)
    if not registration.is_active:
        db.session.rollback()
        raise RegistrationEnded(registration)
    registration.full_name = full_name
    for name, value in _optional_details(
        phone=phone, city=city, region=region, needs=needs
    ).items():
        setattr(registration, name, value)
    registration.language = language if language in ("ar", "en") else registration.language
    registration.photo_consent = bool(photo_consent)
    registration.updated_at = now or utcnow()
    db.session.commit()


@retrying
def cancel_registration(registration, *, now=None):
    """Cancel ``registration``: free its seats for those waiting and tell the person. Commits.

    Returns whether it cancelled: a registration already cancelled or erased (a twin
    request, a double click) is left as it is and nobody is emailed again. Its links stay
    known, opening nothing but the answer that it is cancelled.
    """
    now = now or utcnow()
    registration = lock_registration(registration)
    if not registration.is_active:
        db.session.commit()
        return False
    had_seat = _release_places(registration, now)
    registration.status = RegistrationStatus.cancelled
    registration.cancelled_at = now
    registration.updated_at = now
    registration.ics_sequence += 1
    outbox.enqueue(
        emails.cancelled(registration, had_seat=had_seat),
        key=f"registration:{registration.id}:cancelled",
    )
    db.session.commit()
    return True


@retrying
def erase_registration(registration, *, now=None):
    """Cancel ``registration`` and forget who it was, after one last confirmation email.

    The confirmation is queued with the address, which the outbox forgets once it is
    sent; earlier messages to the address lose their contents now. Commits. Returns
    whether it erased: a second erasure does nothing.
    """
    now = now or utcnow()
    registration = lock_registration(registration)
    if registration.status == RegistrationStatus.erased:
        db.session.commit()
        return False
    had_seat = _release_places(registration, now) if registration.is_active else False
    registration.ics_sequence += 1
    goodbye = emails.erased(registration, had_seat=had_seat)
    outbox.forget_recipient(registration.email, registration_id=registration.id)
    outbox.enqueue(goodbye, key=f"registration:{registration.id}:erased", forget_after_sending=True)
    registration.status = RegistrationStatus.erased
    registration.cancelled_at = registration.cancelled_at or now
    registration.updated_at = now
    registration.email = ""
    registration.full_name = ""
    registration.phone = registration.city = registration.region = registration.needs = None
    registration.photo_consent = False
    registration.submission_id = None
    registration.checkin_code = None
    audit.record("registration.erased", registration=registration.id)
    db.session.commit()
    return True


def _release_places(registration, now):
    """Drop every place of ``registration``, handing freed seats on; return whether it had one."""
    had_seat = bool(registration.confirmed_places)
    places = {place.track.key: place for place in registration.places}
    tracks = lock_tracks(registration.conference, places)
    for track in tracks:
        _drop_place(registration, places[track.key], track)
    db.session.flush()
    for track in tracks:
        fill_free_seats(track, now=now)
    return had_seat


def _drop_place(registration, place, track):
    if place.status == PlaceStatus.confirmed:
        track.seats_taken -= 1
    registration.places.remove(place)


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

    :raises Busy: see ``fill_free_seats``; the caller runs its transaction again.
    """
    if capacity < 0 or capacity < track.seats_taken:
        raise RegistrationError(
            _l(
                "%(track)s has %(taken)s confirmed seats: its capacity cannot go below that.",
                track=translate(track.name),
                taken=track.seats_taken,
            )
        )
    track.capacity = capacity
    db.session.flush()
    return fill_free_seats(track, now=now)


def send_manage_link(conference, email):
    """Email the private link to ``email``'s registration, if there is one. Commits.

    The caller shows the same answer either way: nobody learns who is registered.
    """
    try:
        email = normalise_email(email)
    except RegistrationError:
        return
    database.begin_write()
    registration = find_active_registration(conference, email)
    if registration is not None:
        outbox.enqueue(emails.manage_link(registration))
    else:
        _rehearse(functools.partial(_enqueue_and_flush, emails.unknown_address(email)))
    db.session.commit()


# ---------------------------------------------------------------------------------------
# Organizers' actions from the back office (each recorded in the audit log)


def confirm_from_waitlist(place, *, actor=None, now=None):
    """Give the waitlisted ``place`` a seat now, ahead of the line, and email the person.

    A full track gets one more seat (its capacity rises by one) to make room. Records the
    action in the audit log. Commits. Returns whether the capacity was raised.

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
        from conference.content import services as content

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


def resend_confirmation(registration, *, actor=None):
    """Email ``registration`` its confirmation again, with a new private link. Commits.

    :raises RegistrationError: the registration is not active.
    """
    registration = lock_registration(registration)
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
    address = normalise_email(address)
    now = now or utcnow()
    registration = lock_registration(registration)
    if not registration.is_active:
        db.session.rollback()
        raise RegistrationError(_l("Only an active registration can be changed."))
    if address == registration.email:
        db.session.commit()
        return False
    taken = _l("Another registration already uses this email address.")
    if find_active_registration(registration.conference, address) is not None:
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
