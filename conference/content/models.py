"""The conference as organizers describe it: facts, tracks, programme and sponsors.

Bilingual texts are JSON objects ``{"en": ..., "ar": ...}``; templates show them with the
``tr`` filter. Rows come from the content file (``flask content load``), so each has a
stable ``key`` the loader matches on.
"""

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.extensions import db

Translated = sa.JSON


class Conference(db.Model):
    """One edition of the conference; its facts and the version of its content."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[dict] = so.mapped_column(Translated)
    tagline: so.Mapped[dict] = so.mapped_column(Translated)
    purpose: so.Mapped[dict] = so.mapped_column(Translated)
    organizer: so.Mapped[dict] = so.mapped_column(Translated)
    starts_on: so.Mapped[date]
    ends_on: so.Mapped[date]
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64))
    venue_name: so.Mapped[dict] = so.mapped_column(Translated)
    venue_address: so.Mapped[dict] = so.mapped_column(Translated)
    contact_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    # Names of facts still shipped as placeholders ("venue", "timezone", ...): shown as
    # "to be announced" to visitors and as a checklist to organizers.
    unconfirmed: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # Registration window: organizers open or close it; optional times (UTC) bound it.
    registration_open: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    registration_opens_at: so.Mapped[datetime | None]
    registration_closes_at: so.Mapped[datetime | None]
    # Changes whenever anything shown on the public pages changes; part of cache keys.
    content_version: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    # The hash of what the content files hold, as last loaded: ``content_version`` moves
    # when it changes, and also when something the files do not hold changes (a story).
    content_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    updated_at: so.Mapped[datetime] = so.mapped_column(
        default=sa.func.now(), onupdate=sa.func.now()
    )

    tracks: so.Mapped[list["Track"]] = so.relationship(
        back_populates="conference", order_by="Track.position", cascade="all, delete-orphan"
    )
    sessions: so.Mapped[list["ProgrammeSession"]] = so.relationship(
        back_populates="conference",
        order_by="(ProgrammeSession.day, ProgrammeSession.starts_at, ProgrammeSession.position)",
        cascade="all, delete-orphan",
    )
    sponsors: so.Mapped[list["Sponsor"]] = so.relationship(
        back_populates="conference", order_by="Sponsor.position", cascade="all, delete-orphan"
    )

    def is_registration_open(self, now):
        """Return whether registration is open at ``now`` (naive UTC)."""
        if not self.registration_open:
            return False
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        return not (self.registration_closes_at and now >= self.registration_closes_at)

    def is_confirmed(self, fact):
        """Return whether ``fact`` (``"venue"``, ``"timezone"``, ...) is confirmed."""
        return fact not in (self.unconfirmed or [])

    @property
    def days(self):
        """The conference days, in order."""
        count = (self.ends_on - self.starts_on).days + 1
        return [date.fromordinal(self.starts_on.toordinal() + n) for n in range(count)]


class Track(db.Model):
    """A track attendees choose (cultural, social, arts), with its capacity."""

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "key", name="uq_track_conference_key"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"
        ),
        sa.CheckConstraint("places_waiting >= 0", name="places_waiting_not_negative"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(32))
    name: so.Mapped[dict] = so.mapped_column(Translated)
    description: so.Mapped[dict] = so.mapped_column(Translated)
    capacity: so.Mapped[int]
    # Confirmed places, kept in step with them under the track's row lock, so that a
    # registration never counts rows; the CHECK is the last line of defence.
    seats_taken: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # Places on the track's waiting list, kept in step with them the same way: a newcomer's
    # place in line is this plus one, read under the lock without counting the line.
    places_waiting: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    position: so.Mapped[int] = so.mapped_column(default=0)
    # The content file gives a track its first capacity. Once organizers change it in the
    # back office these say when (UTC) and who, and loading content keeps their number
    # unless told to reset it; ``None`` means the capacity still follows the file.
    capacity_set_at: so.Mapped[datetime | None]
    capacity_set_by: so.Mapped[str | None] = so.mapped_column(sa.String(254))

    conference: so.Mapped[Conference] = so.relationship(back_populates="tracks")

    @property
    def seats_left(self):
        return max(self.capacity - self.seats_taken, 0)


class SessionKind(enum.Enum):
    talk = "talk"
    panel = "panel"
    workshop = "workshop"
    performance = "performance"
    exhibition = "exhibition"
    gathering = "gathering"


class ProgrammeSession(db.Model):
    """One item of the programme, on a day and usually in a track.

    Times are local to the conference time zone and may be unset while the programme is
    still being planned; then the session is listed under its day without a time.
    """

    __tablename__ = "programme_session"
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "key", name="uq_programme_session_conference_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    track_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("track.id"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    kind: so.Mapped[SessionKind] = so.mapped_column(
        sa.Enum(SessionKind, native_enum=False, length=16), default=SessionKind.talk
    )
    title: so.Mapped[dict] = so.mapped_column(Translated)
    description: so.Mapped[dict] = so.mapped_column(Translated)
    day: so.Mapped[date]
    starts_at: so.Mapped[time | None]
    ends_at: so.Mapped[time | None]
    position: so.Mapped[int] = so.mapped_column(default=0)
    # Sample sessions exist for demos and tests only, and are labelled as such.
    is_sample: so.Mapped[bool] = so.mapped_column(default=False)

    conference: so.Mapped[Conference] = so.relationship(back_populates="sessions")
    track: so.Mapped[Track | None] = so.relationship()


class Sponsor(db.Model):
    """An organisation that supports the conference, shown on the public page."""

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "key", name="uq_sponsor_conference_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(64))
    name: so.Mapped[dict] = so.mapped_column(Translated)
    tier: so.Mapped[str] = so.mapped_column(sa.String(32), default="supporter")
    website: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    position: so.Mapped[int] = so.mapped_column(default=0)
    # A sentence or two in each language, and the keys of the tracks they support.
    description: so.Mapped[dict | None] = so.mapped_column(Translated)
    tracks: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # The logo: a re-encoded raster (``images.StoredImage.key``) or a sanitised SVG.
    logo_key: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    logo_svg: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Set when organizers edit the sponsor: loading content then leaves it alone.
    edited_at: so.Mapped[datetime | None]
    edited_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # A sponsor of the sample programme (demonstrations only): labelled, and removed
    # with the sample.
    is_sample: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    conference: so.Mapped[Conference] = so.relationship(back_populates="sponsors")


class SponsorTier(db.Model):
    """A sponsorship level, in order (the first is shown first), with bilingual labels."""

    __tablename__ = "sponsor_tier"
    __table_args__ = (
        sa.UniqueConstraint("conference_id", "key", name="uq_sponsor_tier_conference_key"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(32))
    label: so.Mapped[dict] = so.mapped_column(Translated)
    position: so.Mapped[int] = so.mapped_column(default=0)
    # Set when organizers edit the tier: loading content then leaves it alone.
    edited_at: so.Mapped[datetime | None]
    edited_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
