"""Check-in at the entrance: the code in each confirmation's QR code, and arrivals.

The check-in code is random and identifies one registration; it grants nothing by
itself (the check-in pages need a staff sign-in) and is not the private manage link.
Only an active registration with at least one confirmed seat can be checked in, once:
a second attempt is reported as a duplicate and leaves the first time as it was.

Nothing here reads ``request`` or calls ``flash``; functions that change data commit.
"""

import enum
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import segno
import sqlalchemy as sa
import sqlalchemy.orm as so
from babel import dates
from flask_babel import lazy_gettext as _l

from conference import audit, database
from conference.clock import utcnow
from conference.extensions import cache, db
from conference.i18n import current_language, format_clock
from conference.mailer.rendering import Attachment
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from conference.urls import external_url

CODE_BYTES = 12  # 16 URL-safe characters
_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,32}")
# Counts are cached this long: the page and its refresher stay cheap at any size.
COUNTS_SECONDS = 10
SEARCH_LIMIT = 20


class CheckInError(Exception):
    """This person cannot be checked in. The message is safe to show to staff."""


class State(enum.Enum):
    """Where a registration stands at the entrance."""

    ready = "ready"  # active with a confirmed seat, not yet checked in
    checked_in = "checked_in"
    waitlisted = "waitlisted"  # active, but only on waiting lists
    cancelled = "cancelled"


@dataclass(frozen=True)
class Outcome:
    """The answer to a check-in: ``first`` is false for a duplicate."""

    registration: Registration
    first: bool


@dataclass(frozen=True)
class TrackCount:
    track_id: int
    checked_in: int
    confirmed: int


@dataclass(frozen=True)
class Counts:
    """Arrivals so far: per track (confirmed seats) and people in all."""

    tracks: tuple[TrackCount, ...]
    people_checked_in: int
    people_expected: int


# ---------------------------------------------------------------------------------------
# The code and its QR image


def ensure_checkin_code(registration):
    """Return ``registration``'s check-in code, creating it on first use (caller commits)."""
    if not registration.checkin_code:
        registration.checkin_code = secrets.token_urlsafe(CODE_BYTES)
    return registration.checkin_code


def checkin_url(code):
    """The absolute link the QR code carries: the staff page for this code."""
    return external_url("manage.checkin_code", code=code)


def qr_png(url):
    """Return a PNG of a QR code for ``url``: black on white, quiet zone, about 300 px."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def qr_attachment(registration):
    """The ``checkin.png`` attachment for a confirmation email (ensures the code)."""
    png = qr_png(checkin_url(ensure_checkin_code(registration)))
    return Attachment("checkin.png", "image/png", png)


def find_by_checkin_code(code):
    """Return the registration with check-in ``code`` (active or cancelled), or ``None``."""
    code = (code or "").strip()
    if not _CODE_SHAPE.fullmatch(code):
        return None
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.checkin_code == code,
            Registration.status != RegistrationStatus.erased,
        )
    )


def find_registration(conference, registration_id):
    """Return ``conference``'s registration ``registration_id`` unless erased, or ``None``."""
    if not isinstance(registration_id, int) or not 0 < registration_id < 2**31:
        return None  # not an id the database could hold
    registration = db.session.get(Registration, registration_id)
    if (
        registration is None
        or registration.conference_id != conference.id
        or registration.status == RegistrationStatus.erased
    ):
        return None
    return registration


# ---------------------------------------------------------------------------------------
# State and checking in


def state_of(registration):
    """Return the ``State`` of ``registration`` at the entrance."""
    if not registration.is_active:
        return State.cancelled
    if registration.checked_in_at is not None:
        return State.checked_in
    if not registration.confirmed_places:
        return State.waitlisted
    return State.ready


def refusal(state):
    """Why someone in ``state`` cannot be checked in (``None`` if they can)."""
    if state == State.cancelled:
        return _l("This registration was cancelled.")
    if state == State.waitlisted:
        return _l("Only on the waiting list: no confirmed seat.")
    return None


def check_in(registration, *, by, now=None):
    """Mark ``registration`` as arrived, checked in by the staff user ``by``. Commits.

    One conditional UPDATE does it, so two staff tapping at once give one first check-in
    and one duplicate. Returns an ``Outcome``; a duplicate changes nothing.

    :raises CheckInError: cancelled, or no confirmed seat.
    """
    now = now or utcnow()
    by_id = by.id if by is not None else None
    database.begin_write()
    has_seat = (
        sa.select(Place.id)
        .where(Place.registration_id == Registration.id, Place.status == PlaceStatus.confirmed)
        .exists()
    )
    result = db.session.execute(
        sa.update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.active,
            Registration.checked_in_at.is_(None),
            has_seat,
        )
        .values(checked_in_at=now, checked_in_by_id=by_id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(registration)
    if result.rowcount == 1:
        forget_counts(registration.conference_id)
        return Outcome(registration, first=True)
    state = state_of(registration)
    if state == State.checked_in:
        return Outcome(registration, first=False)
    raise CheckInError(refusal(state))


def undo_check_in(registration, *, by):
    """Take back ``registration``'s check-in (a mistaken tap). Commits; audited.

    Returns whether there was a check-in to take back.
    """
    database.begin_write()
    db.session.refresh(registration)
    if registration.checked_in_at is None:
        db.session.commit()
        return False
    audit.record(
        "checkin.undo",
        actor=by,
        registration_id=registration.id,
        checked_in_at=registration.checked_in_at.isoformat(timespec="seconds"),
    )
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    db.session.commit()
    forget_counts(registration.conference_id)
    return True


def checked_in_by(registration):
    """The name (or address) of the staff member who checked ``registration`` in, if known."""
    from conference.accounts.models import User

    if registration.checked_in_by_id is None:
        return None
    user = db.session.get(User, registration.checked_in_by_id)
    return (user.name or user.email) if user is not None else None


def local_time(conference, moment, *, now=None, language=None):
    """Return ``moment`` (naive UTC) as the conference's local clock time.

    Only the time on the same local day as ``now``, else with the date: "10:42 AM".
    """
    try:
        zone = ZoneInfo(conference.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    today = (now or utcnow()).replace(tzinfo=UTC).astimezone(zone).date()
    language = language or current_language()
    if local.date() == today:
        return format_clock(local.time(), language)
    return dates.format_datetime(local, format="short", tzinfo=zone, locale=language)


# ---------------------------------------------------------------------------------------
# Finding people and counting arrivals


def search(conference, text, *, limit=SEARCH_LIMIT, actor=None):
    """Return up to ``limit`` registrations matching ``text`` and whether there are more.

    Matches part of the name, or the exact check-in code (a pasted check-in link works
    too). Never the email address: staff see it masked, and a search by its parts would
    unmask it one character at a time. Cancelled people are included, to be shown as
    such.

    Each search is one audit event (``checkin.searched``, committed): the name typed, or
    only the fact that a code was used, and how many people were shown. The page itself,
    opened without a search, records nothing.
    """
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())[:100]
    if not text:
        return [], False
    code = text.rsplit("/checkin/c/", 1)[-1] if "/checkin/c/" in text else text
    by_code = find_by_checkin_code(code)
    if by_code is not None and by_code.conference_id == conference.id:
        _record_search(actor, by="code", shown=1)
        return [by_code], False  # a typed or pasted code: one indexed look-up
    pattern = f"%{_escape_like(text.casefold())}%"
    query = (
        sa.select(Registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.status.in_([RegistrationStatus.active, RegistrationStatus.cancelled]),
            Registration.full_name.ilike(pattern, escape="\\"),  # see queries.filtered
        )
        .options(so.selectinload(Registration.places))
        .order_by(Registration.status, Registration.full_name, Registration.id)
        .limit(limit + 1)
    )
    rows = list(db.session.scalars(query))
    _record_search(actor, by="name", query=text, shown=min(len(rows), limit))
    return rows[:limit], len(rows) > limit


def _record_search(actor, **details):
    # A writer for just the event (SQLite: see database.begin_write), keeping what the
    # page goes on to show loaded.
    with database.keeping_loaded():
        database.begin_write()
        audit.record("checkin.searched", actor=actor, **details)
        db.session.commit()


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def checkin_counts(conference):
    """Return the ``Counts`` for ``conference``, cached for ``COUNTS_SECONDS``.

    Per track: confirmed seats (the stored ``seats_taken``) and how many of those people
    have checked in. The count query walks only checked-in registrations (indexed).
    """
    key = _counts_key(conference.id)
    counts = cache.get(key)
    if counts is None:
        counts = _count(conference)
        cache.set(key, counts, timeout=COUNTS_SECONDS)
    return counts


def forget_counts(conference_id):
    """Drop the cached counts, so the next page shows a change at once (in this process)."""
    cache.delete(_counts_key(conference_id))


def _counts_key(conference_id):
    return f"checkin-counts:{conference_id}"


def _count(conference):
    arrived = sa.and_(
        Registration.conference_id == conference.id,
        Registration.status == RegistrationStatus.active,
        Registration.checked_in_at.is_not(None),
    )
    per_track = dict(
        db.session.execute(
            sa.select(Place.track_id, sa.func.count())
            .join(Registration, Registration.id == Place.registration_id)
            .where(arrived, Place.status == PlaceStatus.confirmed)
            .group_by(Place.track_id)
        ).all()
    )
    people_checked_in = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(arrived)
    )
    people_expected = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Place.registration_id))).where(
            Place.status == PlaceStatus.confirmed,
            Place.track_id.in_([track.id for track in conference.tracks]),
        )
    )
    tracks = tuple(
        TrackCount(track.id, per_track.get(track.id, 0), track.seats_taken)
        for track in conference.tracks
    )
    return Counts(tracks, people_checked_in or 0, people_expected or 0)


def masked_email(address):
    """Return ``address`` with most of its local part hidden: ``a•••@example.org``."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return ""
    return f"{local[:1]}•••@{domain}"
