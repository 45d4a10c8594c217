"""What the check-in desk looks up: a person by code or id, who checked them in, and the
arrivals so far (cached for a few seconds). Nothing here writes."""

import re
from dataclasses import dataclass

import sqlalchemy as sa

from conference.accounts.models import User
from conference.extensions import cache, db
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

_CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,32}")
# Counts are cached this long: the page and its refresher stay cheap at any size.
COUNTS_SECONDS = 10


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
# One person


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


def checked_in_by(registration):
    """The name (or address) of the staff member who checked ``registration`` in, if known."""
    if registration.checked_in_by_id is None:
        return None
    user = db.session.get(User, registration.checked_in_by_id)
    return (user.name or user.email) if user is not None else None


def masked_email(address):
    """Return ``address`` with most of its local part hidden: ``a•••@example.org``."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return ""
    return f"{local[:1]}•••@{domain}"


# ---------------------------------------------------------------------------------------
# Arrivals


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
