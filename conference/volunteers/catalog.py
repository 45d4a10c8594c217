"""The shifts people choose from, as the sign-up page and the private link show them.

Read-only queries: the conference's shifts with their role and track loaded, grouped by
local day and by track (the general roles first), filtered by track and day, and the
programme sessions a volunteer may want to attend. Whether someone could take a shift
is the rules' answer (``checks.check``); here a shift only says whether it is full.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.content.models import ProgrammeSession
from conference.extensions import db
from conference.volunteers import checks
from conference.volunteers.models import GENERAL, Shift, VolunteerRole

# How the track filter names the roles outside any track.
ALL = ""


@dataclass
class TrackGroup:
    """The shifts of one track (``track`` ``None``: the general roles) on one day."""

    key: str
    track: object
    shifts: list = field(default_factory=list)


@dataclass
class Day:
    day: date
    groups: list = field(default_factory=list)

    @property
    def shifts(self):
        return [shift for group in self.groups for shift in group.shifts]


@dataclass(frozen=True)
class Filter:
    """The page's ``?track=&day=``: a track key or ``"general"``, and a local day."""

    track: str = ALL
    day: date | None = None


def read_filter(conference, track, day):
    """The filter named by the query string; values that name nothing are ignored."""
    tracks = {GENERAL, *(t.key for t in conference.tracks)}
    track = track if isinstance(track, str) and track in tracks else ALL
    try:
        chosen = date.fromisoformat(day) if isinstance(day, str) and len(day) == 10 else None
    except ValueError:
        chosen = None
    if chosen not in conference.days:
        chosen = None
    return Filter(track, chosen)


def local_day(conference, moment):
    return checks.to_local(moment, ZoneInfo(conference.timezone)).date()


def all_shifts(conference):
    """Every shift of ``conference`` with its role and track, by start time."""
    return list(
        db.session.scalars(
            sa.select(Shift)
            .where(Shift.conference_id == conference.id)
            .options(so.joinedload(Shift.role).joinedload(VolunteerRole.track))
            .order_by(Shift.starts_at, Shift.id)
        ).unique()
    )


def _track_key(shift):
    return shift.role.track_key or GENERAL


def by_day(conference, shifts, chosen=Filter()):
    """``shifts`` (by start time) as ``Day``s of ``TrackGroup``s: general roles first,
    then the tracks in the conference's order; only what ``chosen`` lets through."""
    order = [GENERAL, *(t.key for t in conference.tracks)]
    tracks = {t.key: t for t in conference.tracks}
    days = {}
    for shift in shifts:
        day = local_day(conference, shift.starts_at)
        key = _track_key(shift)
        if (chosen.day and day != chosen.day) or (chosen.track and key != chosen.track):
            continue
        groups = days.setdefault(day, {})
        groups.setdefault(key, TrackGroup(key, tracks.get(key))).shifts.append(shift)
    return [
        Day(day, [groups[key] for key in order if key in groups])
        for day, groups in sorted(days.items())
    ]


def sessions_with_times(conference):
    """The programme sessions that have times, by day and start: what people may want to
    attend (the rules refuse a shift that overlaps one they chose)."""
    return list(
        db.session.scalars(
            sa.select(ProgrammeSession)
            .where(
                ProgrammeSession.conference_id == conference.id,
                ProgrammeSession.starts_at.is_not(None),
                ProgrammeSession.ends_at.is_not(None),
            )
            .order_by(ProgrammeSession.day, ProgrammeSession.starts_at, ProgrammeSession.position)
        )
    )


def session_start(conference, session):
    """A session's start as naive UTC (sessions keep local times), for the ``moment`` filter."""
    return checks.to_utc(
        datetime.combine(session.day, session.starts_at), ZoneInfo(conference.timezone)
    )


def session_end(conference, session):
    return checks.to_utc(
        datetime.combine(session.day, session.ends_at), ZoneInfo(conference.timezone)
    )


def skill_roles(shifts):
    """The roles among ``shifts`` that need a skill, each once, in order."""
    seen = {}
    for shift in shifts:
        if shift.role.skill and shift.role.key not in seen:
            seen[shift.role.key] = shift.role
    return list(seen.values())


def refusals_for(volunteer, shifts, now, language="en"):
    """What the rules would answer ``volunteer`` for each of ``shifts`` taken alone:
    shift id → Refusal (the add-shifts page says it before they choose)."""
    conference = volunteer.conference
    settings = checks.settings_of(conference)
    person = checks.person_facts(
        conference,
        languages=volunteer.languages,
        age_group=volunteer.age_group,
        skills=volunteer.skills,
        sessions=volunteer.sessions,
        current=volunteer.current_signups,
        language=language,
    )
    found = {}
    for shift in shifts:
        found |= checks.check(
            conference, person, [shift], now=now, settings=settings, deadline=True
        )
    return found


def clock(moment):
    """A stored UTC time as the local clock time of the page's language: "10:00 AM"."""
    from flask_babel import to_user_timezone

    from conference.i18n import format_clock

    return format_clock(to_user_timezone(moment.replace(tzinfo=UTC)).time())


def template_helpers():
    """What the shift picker's templates call (the blueprints' context processor)."""
    from conference.i18n import moment_text
    from conference.volunteers.rules import language_names

    return {
        "shift_clock": clock,
        "shift_moment": moment_text,
        "language_list": language_names,
        "session_start": lambda s: session_start(s.conference, s),
        "session_end": lambda s: session_end(s.conference, s),
    }
