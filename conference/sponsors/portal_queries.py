"""What the sponsor portal counts: aggregates only.

Every figure here is a ``GROUP BY`` count; no query reads a row of a person. The pages
pass the counts through ``disclosure`` before showing any of them. A registration
counts for a track when it is active and holds a place there (confirmed or waiting).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from conference.content.models import Sponsor, Track
from conference.extensions import db
from conference.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from conference.showcase.models import Story, shown_filter
from conference.sponsors.models import SponsorAccount
from conference.volunteers.models import (
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
    VolunteerStatus,
)

# A place named by fewer people than the threshold is counted among "other places",
# never named: what people type in a free-text field may be anything.
OTHER = "other"
NOT_GIVEN = "not_given"


def sponsor_of(user):
    """The sponsor ``user`` (a sponsor account) sees, or ``None``."""
    return db.session.scalar(
        sa.select(Sponsor).join(SponsorAccount).where(SponsorAccount.user_id == user.id)
    )


def sponsors(conference):
    """The conference's sponsors, in their order (for organizers' preview)."""
    return db.session.scalars(
        sa.select(Sponsor)
        .where(Sponsor.conference_id == conference.id)
        .order_by(Sponsor.position, Sponsor.id)
    ).all()


def supported_tracks(sponsor):
    """The tracks ``sponsor`` supports, in the programme's order."""
    keys = [key for key in (sponsor.tracks or []) if isinstance(key, str)]
    if not keys:
        return []
    return db.session.scalars(
        sa.select(Track)
        .where(Track.conference_id == sponsor.conference_id, Track.key.in_(keys))
        .order_by(Track.position, Track.id)
    ).all()


def _on_track(track_id):
    return sa.and_(
        Place.track_id == track_id,
        Registration.status == RegistrationStatus.active,
    )


def _places(track_id):
    return sa.select().select_from(Place).join(Registration).where(_on_track(track_id))


def registrations(track_id):
    """``{"confirmed": n, "waitlisted": n}``: active registrations holding a place."""
    rows = db.session.execute(
        _places(track_id).add_columns(Place.status, sa.func.count()).group_by(Place.status)
    ).all()
    counts = {status.value: 0 for status in PlaceStatus}
    counts.update({status.value: count for status, count in rows})
    return counts


def checked_in(track_id):
    """How many of the track's registrations have been checked in."""
    return db.session.scalar(
        _places(track_id)
        .add_columns(sa.func.count())
        .where(Registration.checked_in_at.is_not(None))
    )


def languages(track_id):
    """``[(language code, count)]``, largest first: the language people registered in."""
    rows = db.session.execute(
        _places(track_id)
        .add_columns(Registration.language, sa.func.count())
        .group_by(Registration.language)
    ).all()
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def places_of(track_id, column, k):
    """``[(label, count)]`` for a free-text place (city, region), largest first.

    Spellings that differ only in case and surrounding spaces are one place. A place
    fewer than ``k`` people gave is not named: they count together as ``OTHER``; those
    who gave none are ``NOT_GIVEN``.
    """
    normal = sa.func.lower(sa.func.trim(sa.func.coalesce(column, "")))
    rows = db.session.execute(
        _places(track_id).add_columns(normal, sa.func.min(column), sa.func.count()).group_by(normal)
    ).all()
    named, other, not_given = [], 0, 0
    for key, label, count in rows:
        if not key:
            not_given += count
        elif count < k:
            other += count
        else:
            named.append((label.strip(), count))
    named.sort(key=lambda row: (-row[1], row[0]))
    if other:
        named.append((OTHER, other))
    if not_given:
        named.append((NOT_GIVEN, not_given))
    return named


def cities(track_id, k):
    return places_of(track_id, Registration.city, k)


def regions(track_id, k):
    return places_of(track_id, Registration.region, k)


def _day(column):
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD")
    return sa.func.strftime("%Y-%m-%d", column)


def weekly(track_id):
    """``[(Monday, count)]``: places taken on the track per week, gaps filled with 0."""
    day = _day(Place.created_at)
    rows = db.session.execute(
        _places(track_id).add_columns(day, sa.func.count()).group_by(day)
    ).all()
    per_week = {}
    for text, count in rows:
        moment = date.fromisoformat(text)
        monday = moment - timedelta(days=moment.weekday())
        per_week[monday] = per_week.get(monday, 0) + count
    if not per_week:
        return []
    first, last = min(per_week), max(per_week)
    weeks = (first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1))
    return [(week, per_week.get(week, 0)) for week in weeks]


def volunteers(track_id):
    """``(volunteers, shifts)``: people with a held or confirmed place on the track's
    shifts, and the track's shifts."""
    people = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(ShiftSignup.volunteer_id)))
        .select_from(ShiftSignup)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .join(VolunteerRole, VolunteerRole.id == Shift.role_id)
        .join(Volunteer, Volunteer.id == ShiftSignup.volunteer_id)
        .where(
            VolunteerRole.track_id == track_id,
            ShiftSignup.status.in_([SignupStatus.held, SignupStatus.confirmed]),
            Volunteer.status == VolunteerStatus.active,
        )
    )
    shifts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Shift)
        .join(VolunteerRole, VolunteerRole.id == Shift.role_id)
        .where(VolunteerRole.track_id == track_id)
    )
    return people or 0, shifts or 0


@dataclass(frozen=True)
class StoryCard:
    """What a sponsor page shows of a story: never who submitted it."""

    id: int
    track_id: int | None
    language: str
    title: str
    other_title: str | None


def stories(conference, today, track_ids=None):
    """The stories shown to sponsors (``shown_filter(sponsors=True)``), newest first;
    of ``track_ids`` only when given."""
    query = sa.select(
        Story.id, Story.track_id, Story.language, Story.title, Story.other_title
    ).where(Story.conference_id == conference.id, shown_filter(Story, today, sponsors=True))
    if track_ids is not None:
        query = query.where(Story.track_id.in_(track_ids))
    rows = db.session.execute(query.order_by(Story.decided_at.desc(), Story.id.desc())).all()
    return [StoryCard(*row) for row in rows]


def story(conference, today, story_id):
    """The story ``story_id`` if it is shown to sponsors, else ``None``."""
    return db.session.scalar(
        sa.select(Story).where(
            Story.id == story_id,
            Story.conference_id == conference.id,
            shown_filter(Story, today, sponsors=True),
        )
    )


def overall(conference):
    """``(registrations, checked in)``: active registrations of the whole conference."""
    active = sa.and_(
        Registration.conference_id == conference.id,
        Registration.status == RegistrationStatus.active,
    )
    registered = db.session.scalar(sa.select(sa.func.count()).where(active))
    arrived = db.session.scalar(
        sa.select(sa.func.count()).where(active, Registration.checked_in_at.is_not(None))
    )
    return registered or 0, arrived or 0
