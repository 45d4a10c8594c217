"""What the coordinators' pages read: the staffing board, a shift's team, the volunteers
with their hours, and the rows of a roster. Read-only, and always within the reader's
scope (``scope``): nothing here returns a shift or a person the reader may not see.

A conference has tens of shifts and hundreds of volunteers: the lists are read whole and
shaped in Python (hours come from shift times, which SQLite and PostgreSQL subtract
differently), then paged.
"""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.content.models import Track
from conference.extensions import db
from conference.text import escape_like, fold
from conference.volunteers import checks, scope
from conference.volunteers.models import (
    GENERAL,
    Attendance,
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
    VolunteerStatus,
)

PEOPLE_SORTS = ("name", "-name", "hours", "-hours")
DEFAULT_PEOPLE_SORT = "name"


def zone_of(conference):
    return ZoneInfo(conference.timezone)


def local_day(shift, zone):
    return checks.to_local(shift.starts_at, zone).date()


def scope_key(shift):
    """The scope a shift belongs to: its track's key, or ``"general"``."""
    track = shift.role.track
    return track.key if track is not None else GENERAL


def visible_shifts(conference, user):
    """Every shift of ``conference`` that ``user`` may see, by start, with role and track."""
    return list(
        db.session.scalars(
            sa.select(Shift)
            .where(Shift.conference_id == conference.id, scope.shift_filter(user))
            .options(so.joinedload(Shift.role).joinedload(VolunteerRole.track))
            .order_by(Shift.starts_at, Shift.id)
        ).unique()
    )


def scope_choices(conference, user):
    """The tracks (and "general") the user may filter by: ``[(key, Track | None)]``."""
    scopes = scope.scopes_of(user)
    tracks = db.session.scalars(
        sa.select(Track).where(Track.conference_id == conference.id).order_by(Track.position)
    ).all()
    choices = [(t.key, t) for t in tracks if scopes is None or t.key in scopes]
    if scopes is None or GENERAL in scopes:
        choices.append((GENERAL, None))
    return choices


# --- The board ----------------------------------------------------------------------------


@dataclass
class BoardRow:
    shift: Shift
    day: object  # the local date
    need_met: bool | None  # None: the shift has no language need

    @property
    def under(self):
        return self.shift.taken < self.shift.min_people

    @property
    def missing(self):
        return max(self.shift.min_people - self.shift.taken, 0)


@dataclass
class Board:
    rows: list
    days: list  # every local day with a visible shift (for the filter)
    volunteers: int
    places_taken: int
    places_total: int
    under: int
    by_day: dict = field(default_factory=dict)  # day -> rows


def board(conference, user, *, day=None, track=None, under_only=False):
    """The staffing board: the visible shifts matching the filters, and its figures."""
    zone = zone_of(conference)
    shifts = visible_shifts(conference, user)
    days = sorted({local_day(s, zone) for s in shifts})
    chosen = [
        s
        for s in shifts
        if (day is None or local_day(s, zone) == day) and (track is None or scope_key(s) == track)
    ]
    met = checks.needs_met(chosen)
    rows = [BoardRow(s, local_day(s, zone), met.get(s.id)) for s in chosen]
    if under_only:
        rows = [r for r in rows if r.under]
    ids = [r.shift.id for r in rows]
    volunteers = 0
    if ids:
        volunteers = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(ShiftSignup.volunteer_id))).where(
                ShiftSignup.shift_id.in_(ids), ShiftSignup.status != SignupStatus.dropped
            )
        )
    by_day = {}
    for row in rows:
        by_day.setdefault(row.day, []).append(row)
    return Board(
        rows=rows,
        days=days,
        volunteers=volunteers or 0,
        places_taken=sum(r.shift.taken for r in rows),
        places_total=sum(r.shift.max_people for r in rows),
        under=sum(1 for r in rows if r.under),
        by_day=by_day,
    )


# --- A shift's team -----------------------------------------------------------------------


def team(shift):
    """The current sign-ups of ``shift`` (held and confirmed), by name, with their people."""
    return list(
        db.session.scalars(
            sa.select(ShiftSignup)
            .join(Volunteer, Volunteer.id == ShiftSignup.volunteer_id)
            .where(ShiftSignup.shift_id == shift.id, ShiftSignup.status != SignupStatus.dropped)
            .options(so.contains_eager(ShiftSignup.volunteer))
            .order_by(Volunteer.full_name, Volunteer.id)
        )
    )


def signup_on(shift, signup_id):
    """The current sign-up ``signup_id`` of ``shift``, or ``None``."""
    signup = db.session.get(ShiftSignup, signup_id)
    if signup is None or signup.shift_id != shift.id or not signup.is_current:
        return None
    return signup


def move_targets(conference, user, shift):
    """The visible shifts someone on ``shift`` could be moved to: others with a free place."""
    return [
        s for s in visible_shifts(conference, user) if s.id != shift.id and s.taken < s.max_people
    ]


# --- Volunteers and their hours -----------------------------------------------------------


@dataclass
class PersonRow:
    volunteer_id: int
    full_name: str
    email: str
    is_minor: bool
    shifts: int = 0
    hours: float = 0.0
    no_shows: int = 0


@dataclass
class PeopleFilters:
    q: str = ""
    track: str | None = None
    role: str | None = None
    day: object = None  # a local date

    def as_dict(self):
        values = {
            "q": self.q or None,
            "track": self.track,
            "role": self.role,
            "day": self.day.isoformat() if self.day else None,
        }
        return {k: v for k, v in values.items() if v}


def worked_hours(signup):
    """The hours ``signup`` counts for: its shift's, when confirmed and arrived."""
    if signup.status == SignupStatus.confirmed and signup.attendance == Attendance.arrived:
        return signup.shift.hours
    return 0.0


def people(conference, user, filters, *, sort=DEFAULT_PEOPLE_SORT):
    """The volunteers ``user`` may see that match ``filters``, each with their shifts,
    hours worked and no-shows on the shifts ``user`` may see; sorted."""
    zone = zone_of(conference)
    statement = (
        sa.select(ShiftSignup, Volunteer)
        .join(Volunteer, Volunteer.id == ShiftSignup.volunteer_id)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(
            Volunteer.conference_id == conference.id,
            Volunteer.status == VolunteerStatus.active,
            ShiftSignup.status != SignupStatus.dropped,
            scope.shift_filter(user),
        )
        .options(
            so.contains_eager(ShiftSignup.shift)
            .joinedload(Shift.role)
            .joinedload(VolunteerRole.track)
        )
    )
    if filters.q:
        # Folded as attendees' names are (``text.fold``): «احمد» finds «أحمد».
        statement = statement.where(
            sa.or_(
                Volunteer.name_folded.like(f"%{escape_like(fold(filters.q))}%", escape="\\"),
                Volunteer.email.like(f"%{escape_like(filters.q.casefold())}%", escape="\\"),
            )
        )
    found = {}
    matched = set()
    for signup, volunteer in db.session.execute(statement):
        row = found.get(volunteer.id)
        if row is None:
            row = found[volunteer.id] = PersonRow(
                volunteer.id, volunteer.full_name, volunteer.email, volunteer.is_minor
            )
        row.shifts += 1
        row.hours += worked_hours(signup)
        row.no_shows += signup.attendance == Attendance.no_show
        shift = signup.shift
        if (
            (filters.track is None or scope_key(shift) == filters.track)
            and (filters.role is None or shift.role.key == filters.role)
            and (filters.day is None or local_day(shift, zone) == filters.day)
        ):
            matched.add(volunteer.id)
    rows = [row for volunteer_id, row in found.items() if volunteer_id in matched]
    key = sort.lstrip("-")
    if key == "hours":
        rows.sort(key=lambda r: (r.hours, r.full_name.casefold(), r.volunteer_id))
    else:
        rows.sort(key=lambda r: (r.full_name.casefold(), r.volunteer_id))
    if sort.startswith("-"):
        rows.reverse()
    return rows


def visible_roles(conference, user):
    """The roles with a shift ``user`` may see, by position: for the role filter."""
    return list(
        db.session.scalars(
            sa.select(VolunteerRole)
            .where(
                VolunteerRole.conference_id == conference.id,
                VolunteerRole.id.in_(sa.select(Shift.role_id).where(scope.shift_filter(user))),
            )
            .order_by(VolunteerRole.position, VolunteerRole.id)
        )
    )


def person_hours(user, volunteer):
    """``volunteer``'s visible current sign-ups, and the hours worked on them."""
    signups = scope.visible_signups(user, volunteer)
    return signups, sum(worked_hours(s) for s in signups)


# --- Rosters ------------------------------------------------------------------------------


def roster(conference, user, shift_id=None):
    """The current sign-ups on the visible shifts (or on ``shift_id``), by shift then name."""
    statement = (
        sa.select(ShiftSignup)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .join(Volunteer, Volunteer.id == ShiftSignup.volunteer_id)
        .where(
            Shift.conference_id == conference.id,
            ShiftSignup.status != SignupStatus.dropped,
            Volunteer.status == VolunteerStatus.active,
            scope.shift_filter(user),
        )
        .options(
            so.contains_eager(ShiftSignup.shift)
            .joinedload(Shift.role)
            .joinedload(VolunteerRole.track),
            so.contains_eager(ShiftSignup.volunteer),
        )
        .order_by(Shift.starts_at, Shift.id, Volunteer.full_name, Volunteer.id)
    )
    if shift_id is not None:
        statement = statement.where(Shift.id == shift_id)
    return list(db.session.scalars(statement))
