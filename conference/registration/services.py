"""Registration rules: who may register, who gets a seat, who waits, and what they are told.

Nothing here reads ``request`` or calls ``flash``: the web views, the
``flask registrations`` CLI and the tests call these functions. Each public function
owns its transaction and commits; its emails are queued in the outbox in that same
transaction and delivered after the commit.

The seat and waiting-list rules these changes follow (locks and their order, promotions,
capacities) are in ``seats``; lookups are in ``queries``; organizers' own actions from
the back office in ``staff_services``.
"""

import functools
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from conference import audit, database, text, timing
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import outbox
from conference.registration import checkin_code, email_change, emails
from conference.registration.errors import RegistrationEnded, RegistrationError
from conference.registration.models import ManageToken, Registration, RegistrationStatus
from conference.registration.queries import find_active_registration, find_twin_or_active
from conference.registration.seats import (
    drop_place,
    fill_free_seats,
    lock_registration,
    lock_track_rows,
    lock_tracks,
    release_places,
    retrying,
    seat_newcomer,
    take_seat_or_wait,
)
from conference.tokens import new_token, token_hash

# The Server-Timing name of the time a registration holds its tracks' seat lock (SQLite:
# the database's write lock, from ``BEGIN IMMEDIATE``) until its commit releases it.
SEAT_LOCK = "seatlock"


@dataclass
class Outcome:
    """What a registration attempt did. ``created`` is false for a repeat.

    ``placement``: what the form got, as ``(track id, place in line or None for a seat)``
    pairs in the conference's order of tracks, read in the registration's transaction: its
    own places for a new registration, the rehearsed ones for a repeat (what the form
    would have got at that moment). ``None`` for a form sent twice (a double click).
    ``registration`` is read on first use: a new one was written without the ORM, a
    repeat's and a twin's were read as plain rows, and the web form's answer never needs
    it.
    """

    registration_id: int
    created: bool
    placement: tuple | None = None
    _registration: Registration | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def registration(self):
        if self._registration is None:
            self._registration = db.session.get(Registration, self.registration_id)
        return self._registration


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
# Private links


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
            timing.cancel(SEAT_LOCK)
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
    # The twin and the address are looked up before any lock, on both engines: a twin or
    # a registration of the same address that commits meanwhile is caught by the unique
    # indexes (submission id, one active registration per address), and the caller
    # answers the retry as a repeat.
    twin, existing = find_twin_or_active(conference, values["email"], submission_id)
    if twin is not None:
        db.session.commit()
        return Outcome(twin.id, created=False)
    if existing is not None and source == "import":  # organizers are told, nobody is emailed
        db.session.commit()
        raise RegistrationError(_l("This email address is already registered."))
    with database.keeping_loaded():  # what was read stays loaded: nothing is read twice
        database.begin_write()
    if db.engine.dialect.name == "sqlite":  # BEGIN IMMEDIATE: the whole database is locked
        timing.start(SEAT_LOCK)
    if existing is not None:  # same answer as a new sign-up: never reveal who is registered
        # The same statements as a new registration, in the same order, all with Core: the
        # rehearsed writes, then one INSERT of the message (its key is new: a random one).
        stand_in = {**values, "email": f"{uuid.uuid4().hex}@rehearsal.invalid"}
        _registration_id, _confirmation, placement = _rehearse(
            functools.partial(
                _insert_registration, conference, stand_in, photo_consent, None, source, now
            )
        )
        intent = emails.already_registered(existing)
        outbox.enqueue_new(intent, key=f"{intent.kind}:{uuid.uuid4()}")
        db.session.commit()
        timing.stop(SEAT_LOCK)
        return Outcome(existing.id, created=False, placement=placement)

    # In a savepoint too, released rather than rolled back: a repeat's rehearsal and a new
    # registration run the same statements in the same shape (see ``_rehearse``).
    with db.session.begin_nested():
        registration_id, confirmation, placement = _insert_registration(
            conference, values, photo_consent, submission_id, source, now
        )
    # The registration is new, so no message can have its key yet: no lookup.
    outbox.enqueue_new(confirmation, key=f"registration:{registration_id}:new")
    db.session.commit()
    timing.stop(SEAT_LOCK)
    return Outcome(registration_id, created=True, placement=placement)


def _placement(tracks, seated, waiting):
    """``Outcome.placement``: the places just given, in the conference's order of ``tracks``
    (those locked): nothing is read again after the commit.
    """
    got = dict.fromkeys(seated)
    got.update(dict(waiting))
    in_order = sorted(tracks, key=lambda track: (track.position, track.id))
    return tuple((track.id, got[track.id]) for track in in_order if track.id in got)


def _insert_registration(conference, values, photo_consent, submission_id, source, now):
    """Write a new registration with its seats or places in line.

    Returns its id, its confirmation (an intent, for the caller to queue) and its
    ``Outcome.placement``. Written with Core (the ORM's unit of work was most of the
    time the seat lock was held): the registration's row is inserted before the tracks
    are locked, since it needs no seat count; inside the lock there are only the locking
    read and ``seats.seat_newcomer``'s writes.

    The check-in code (only for someone with a seat: a waiting list has nothing to check
    in) goes in that first INSERT by a guess from the seats this request read before the
    lock: someone who chose only full tracks gets none. Seats rarely come free without
    going to the people waiting, so the guess is almost always right; when the lock
    says otherwise, one UPDATE puts it right.
    """
    keys = set(values["track_keys"])
    code = checkin_code.new_checkin_code()
    guessed_seat = any(track.seats_left for track in conference.tracks if track.key in keys)
    table = Registration.__table__
    registration_id = db.session.execute(
        sa.insert(table)
        .values(
            conference_id=conference.id,
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
            checkin_code=code if guessed_seat else None,
            created_at=now,
            updated_at=now,
        )
        .returning(table.c.id)
    ).scalar_one()
    tracks = lock_track_rows(conference, keys)
    timing.start(SEAT_LOCK)  # PostgreSQL: the tracks' rows are locked from here
    seated, waiting = seat_newcomer(registration_id, tracks, now)
    if bool(seated) != guessed_seat:
        db.session.execute(
            sa.update(table)
            .where(table.c.id == registration_id)
            .values(checkin_code=code if seated else None)
        )
    confirmation = emails.new_registration(registration_id, values, seated=seated, waiting=waiting)
    by_id = {track.id: track for track in conference.tracks}
    placement = _placement([by_id[track.id] for track in tracks], seated, waiting)
    return registration_id, confirmation, placement


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
        return work()
    finally:
        savepoint.rollback()


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
            drop_place(registration, place, track)
        elif place is None and track.key in keys:
            take_seat_or_wait(registration, track, now)
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
    had_seat = release_places(registration, now)
    email_change.forget(registration)  # a pending new address opens nothing now
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
    had_seat = release_places(registration, now) if registration.is_active else False
    registration.ics_sequence += 1
    goodbye = emails.erased(registration, had_seat=had_seat)
    outbox.forget_recipient(registration.email, registration_id=registration.id)
    email_change.forget(registration)  # a new address asked for is personal data too
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
