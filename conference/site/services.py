"""What the public pages show, gathered from the content tables."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from conference.content.models import Conference, ProgrammeSession, Sponsor, SponsorTier, Track
from conference.extensions import db


@dataclass
class ProgrammeDay:
    """One day of the programme: sessions for everyone, then each track's sessions."""

    day: object
    general: list[ProgrammeSession] = field(default_factory=list)
    by_track: list[tuple[Track, list[ProgrammeSession]]] = field(default_factory=list)

    @property
    def is_empty(self):
        return not self.general and not any(sessions for _track, sessions in self.by_track)


def programme_by_day(conference):
    """Return the programme as ``ProgrammeDay`` items, one per conference day, in order.

    Sessions are already ordered by day, start time and position (see the relationship).
    """
    days = {
        day: ProgrammeDay(day, by_track=[(t, []) for t in conference.tracks])
        for day in conference.days
    }
    for session in conference.sessions:
        entry = days.get(session.day)
        if entry is None:
            continue
        if session.track is None:
            entry.general.append(session)
        else:
            for track, sessions in entry.by_track:
                if track.id == session.track_id:
                    sessions.append(session)
    return list(days.values())


def has_sample_sessions(conference):
    """Return whether any session shown is from the sample programme."""
    return any(session.is_sample for session in conference.sessions)


def seat_state(slug):
    """Return the keys of conference ``slug``'s tracks with no seat left, in one query.

    The home page shows a "Full" badge on those tracks (and says the conference is full
    when all are), so its cache key holds them: the page changes in every process as
    soon as the last seat of a track goes, or comes back.
    """
    return tuple(
        db.session.scalars(
            sa.select(Track.key)
            .join(Conference, Track.conference_id == Conference.id)
            .where(Conference.slug == slug, Track.seats_taken >= Track.capacity)
            .order_by(Track.key)
        )
    )


@dataclass
class TierGroup:
    """A sponsor tier (``None``: sponsors in no known tier) and its sponsors, in order."""

    tier: SponsorTier | None
    sponsors: list[Sponsor]


def sponsors_by_tier(conference):
    """The conference's sponsors grouped by tier, tiers in their order; empty tiers left out.

    Sponsors whose tier is unknown (a tier since deleted) come last, in a group of their own.
    """
    tiers = db.session.scalars(
        sa.select(SponsorTier)
        .where(SponsorTier.conference_id == conference.id)
        .order_by(SponsorTier.position, SponsorTier.id)
    ).all()
    groups = {tier.key: TierGroup(tier, []) for tier in tiers}
    other = TierGroup(None, [])
    for sponsor in sorted(conference.sponsors, key=lambda s: (s.position, s.id)):
        groups.get(sponsor.tier, other).sponsors.append(sponsor)
    return [group for group in [*groups.values(), other] if group.sponsors]
