"""Volunteers: roles and their shifts, the people who take them, and who coordinates which.

Times are stored as every timestamp is (UTC, naive); pages and emails show them in the
conference's time zone. Bilingual texts are ``{"en": ..., "ar": ...}`` as in content.

A shift's ``taken`` counts the places held or confirmed on it and changes only while
its row is locked (see ``services``); the CHECK is the last line of defence, as for a
track's seats.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.content.models import Conference, Track
from conference.database import folded
from conference.extensions import db
from conference.text import fold

Translated = sa.JSON


class Origin(enum.Enum):
    file = "file"  # the content file's
    sample = "sample"  # the labelled sample set, for demonstrations and tests
    staff = "staff"  # created by coordinators in the back office


class VolunteerSettings(db.Model):
    """The sign-up window and the shift rules of one conference.

    Seeded from the content file's ``[volunteering]`` table; once organizers change them
    in the back office (``edited_at``), loading content keeps their values.
    """

    __tablename__ = "volunteer_settings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), unique=True)
    signup_open: so.Mapped[bool] = so.mapped_column(default=False)
    opens_at: so.Mapped[datetime | None]
    closes_at: so.Mapped[datetime | None]
    # Volunteers add or drop shifts from their link until this long before a shift starts.
    change_deadline_hours: so.Mapped[int] = so.mapped_column(default=24)
    # The rest rule: after this many consecutive minutes of shifts, a break of at least
    # ``min_break_minutes``; and no more than ``max_daily_minutes`` on one day.
    max_consecutive_minutes: so.Mapped[int] = so.mapped_column(default=240)
    min_break_minutes: so.Mapped[int] = so.mapped_column(default=30)
    max_daily_minutes: so.Mapped[int] = so.mapped_column(default=480)
    # How long a minor's places are held while their guardian has not confirmed.
    guardian_hold_hours: so.Mapped[int] = so.mapped_column(default=72)
    # The reminder is sent this long before a shift starts.
    reminder_hours: so.Mapped[int] = so.mapped_column(default=24)
    edited_at: so.Mapped[datetime | None]
    edited_by: so.Mapped[str | None] = so.mapped_column(sa.String(254))

    conference: so.Mapped[Conference] = so.relationship()

    def is_open(self, now):
        """Whether volunteers may sign up at ``now`` (naive UTC)."""
        if not self.signup_open:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)


class VolunteerRole(db.Model):
    """What volunteers do: in a track (``track``) or for the whole conference (``None``)."""

    __tablename__ = "volunteer_role"
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "key", name="uq_volunteer_role_conference_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    track_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("track.id"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    name: so.Mapped[dict] = so.mapped_column(Translated)
    description: so.Mapped[dict] = so.mapped_column(Translated)
    # Languages every volunteer in this role must speak ("ar", "en").
    languages: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    adults_only: so.Mapped[bool] = so.mapped_column(default=False)
    # A skill or training the role needs, in words (``None``: none); volunteers say they
    # have it when they sign up.
    skill: so.Mapped[dict | None] = so.mapped_column(Translated)
    origin: so.Mapped[Origin] = so.mapped_column(
        sa.Enum(Origin, native_enum=False, length=16), default=Origin.file
    )
    position: so.Mapped[int] = so.mapped_column(default=0)
    # Set when coordinators change the role: loading content then keeps their version.
    edited_at: so.Mapped[datetime | None]
    edited_by: so.Mapped[str | None] = so.mapped_column(sa.String(254))

    conference: so.Mapped[Conference] = so.relationship()
    track: so.Mapped[Track | None] = so.relationship()
    shifts: so.Mapped[list["Shift"]] = so.relationship(
        back_populates="role", order_by="(Shift.starts_at, Shift.id)"
    )

    @property
    def track_key(self):
        return self.track.key if self.track is not None else None


class Shift(db.Model):
    """A stretch of time in a role, at a place, for between ``min_people`` and ``max_people``."""

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "key", name="uq_shift_conference_key"),
        sa.CheckConstraint("min_people >= 0 AND min_people <= max_people", name="people_range"),
        sa.CheckConstraint("taken >= 0 AND taken <= max_people", name="taken_within_max"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_shift_conference_starts", "conference_id", "starts_at", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"))
    role_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("volunteer_role.id"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    starts_at: so.Mapped[datetime]
    ends_at: so.Mapped[datetime]
    place: so.Mapped[dict] = so.mapped_column(Translated)
    min_people: so.Mapped[int] = so.mapped_column(default=1)
    max_people: so.Mapped[int] = so.mapped_column(default=1)
    # Places held or confirmed, kept in step under the shift's row lock.
    taken: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # "At least one speaker of this language on the shift" ("ar", "en"), or ``None``.
    language_need: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    origin: so.Mapped[Origin] = so.mapped_column(
        sa.Enum(Origin, native_enum=False, length=16), default=Origin.file
    )
    edited_at: so.Mapped[datetime | None]
    edited_by: so.Mapped[str | None] = so.mapped_column(sa.String(254))

    conference: so.Mapped[Conference] = so.relationship()
    role: so.Mapped[VolunteerRole] = so.relationship(back_populates="shifts")

    @property
    def places_left(self):
        return max(self.max_people - self.taken, 0)

    @property
    def hours(self):
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class AgeGroup(enum.Enum):
    under_18 = "under_18"
    adult_18_24 = "18_24"
    adult_25_plus = "25_plus"


class VolunteerStatus(enum.Enum):
    active = "active"
    erased = "erased"  # anonymised at the volunteer's request


class Volunteer(db.Model):
    """One person who volunteers at a conference; one per email address."""

    __table_args__ = (
        sa.Index(
            "uq_volunteer_active_email",
            "conference_id",
            "email",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
        sa.Index("ix_volunteer_conference_status_name", "conference_id", "status", "full_name"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    status: so.Mapped[VolunteerStatus] = so.mapped_column(
        sa.Enum(VolunteerStatus, native_enum=False, length=16), default=VolunteerStatus.active
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    full_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # ``text.fold(full_name)``, what the coordinators' search compares (as for attendees).
    name_folded: so.Mapped[str] = so.mapped_column(
        sa.String(200), default=folded("full_name", 200), server_default=""
    )
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    # The language of their pages and emails.
    language: so.Mapped[str] = so.mapped_column(sa.String(8))
    # Languages they speak ("ar", "en").
    languages: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    age_group: so.Mapped[AgeGroup] = so.mapped_column(
        sa.Enum(AgeGroup, native_enum=False, length=16)
    )
    tshirt_size: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    # Keys of the roles whose skill or training they said they have.
    skills: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # Keys of the programme sessions they want to attend: no shift may clash with them.
    sessions: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # Under 18: a parent or guardian confirms before their shifts are.
    guardian_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    guardian_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    guardian_confirmed_at: so.Mapped[datetime | None]
    privacy_accepted_at: so.Mapped[datetime | None]
    # The form's one-time id: a double-clicked submit finds the volunteer it made.
    submission_id: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # The personal calendar feed: the SHA-256 of its token; ``None`` when revoked.
    feed_token_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]

    conference: so.Mapped[Conference] = so.relationship()
    signups: so.Mapped[list["ShiftSignup"]] = so.relationship(
        back_populates="volunteer", cascade="all, delete-orphan", order_by="ShiftSignup.id"
    )
    tokens: so.Mapped[list["VolunteerToken"]] = so.relationship(
        back_populates="volunteer", cascade="all, delete-orphan"
    )

    @so.validates("full_name")
    def _fold_name(self, _key, value):
        self.name_folded = fold(value)[:200]
        return value

    @property
    def is_active(self):
        return self.status == VolunteerStatus.active

    @property
    def is_minor(self):
        return self.age_group == AgeGroup.under_18

    @property
    def needs_guardian(self):
        """A minor whose guardian has not confirmed yet."""
        return self.is_minor and self.guardian_confirmed_at is None

    @property
    def current_signups(self):
        """Held and confirmed sign-ups, by shift start."""
        kept = [s for s in self.signups if s.status != SignupStatus.dropped]
        return sorted(kept, key=lambda s: (s.shift.starts_at, s.shift_id))


class TokenPurpose(enum.Enum):
    manage = "manage"  # the volunteer's private link
    guardian = "guardian"  # the guardian's confirmation link


class VolunteerToken(db.Model):
    """A private link of a volunteer or their guardian; only its SHA-256 is stored."""

    __tablename__ = "volunteer_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    volunteer_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    purpose: so.Mapped[TokenPurpose] = so.mapped_column(
        sa.Enum(TokenPurpose, native_enum=False, length=16), default=TokenPurpose.manage
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime]

    volunteer: so.Mapped[Volunteer] = so.relationship(back_populates="tokens")


class SignupStatus(enum.Enum):
    held = "held"  # a minor's place, waiting for their guardian until ``held_until``
    confirmed = "confirmed"
    dropped = "dropped"  # by the volunteer, a coordinator, an expired hold or erasure


class Attendance(enum.Enum):
    arrived = "arrived"
    no_show = "no_show"


class ShiftSignup(db.Model):
    """A volunteer's place on a shift; one row per volunteer and shift, kept when dropped
    so that its calendar invitation keeps its UID and its SEQUENCE goes on rising."""

    __tablename__ = "shift_signup"
    __table_args__ = (
        sa.UniqueConstraint("volunteer_id", "shift_id", name="uq_shift_signup_volunteer_shift"),
        sa.Index("ix_shift_signup_shift_status", "shift_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    volunteer_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("volunteer.id", ondelete="CASCADE")
    )
    shift_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("shift.id", ondelete="CASCADE"))
    status: so.Mapped[SignupStatus] = so.mapped_column(
        sa.Enum(SignupStatus, native_enum=False, length=16)
    )
    held_until: so.Mapped[datetime | None]
    # The calendar invitation: a random UID (no personal data), a rising SEQUENCE.
    ics_uid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    ics_sequence: so.Mapped[int] = so.mapped_column(default=0)
    attendance: so.Mapped[Attendance | None] = so.mapped_column(
        sa.Enum(Attendance, native_enum=False, length=16)
    )
    attendance_at: so.Mapped[datetime | None]
    attendance_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime]
    confirmed_at: so.Mapped[datetime | None]
    dropped_at: so.Mapped[datetime | None]

    volunteer: so.Mapped[Volunteer] = so.relationship(back_populates="signups")
    shift: so.Mapped[Shift] = so.relationship()

    @property
    def is_current(self):
        return self.status != SignupStatus.dropped


class CoordinatorScope(db.Model):
    """A track a volunteer coordinator coordinates (``scope`` = its key), or ``"general"``
    for the roles of the whole conference. Organizers and administrators see everything."""

    __tablename__ = "coordinator_scope"
    __table_args__ = (sa.UniqueConstraint("user_id", "scope", name="uq_coordinator_scope"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    scope: so.Mapped[str] = so.mapped_column(sa.String(32))


GENERAL = "general"  # the scope of roles outside any track
