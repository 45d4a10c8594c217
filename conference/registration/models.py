"""Attendees, their places in tracks, and the private links that let them manage both."""

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.content.models import Conference, Track
from conference.database import folded
from conference.extensions import db
from conference.text import fold


class RegistrationStatus(enum.Enum):
    active = "active"
    cancelled = "cancelled"
    erased = "erased"  # cancelled and anonymised at the attendee's request


class PlaceStatus(enum.Enum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"


class Registration(db.Model):
    """One person's registration for the conference, in the language they chose."""

    __table_args__ = (
        # One active registration per address: the database backs up the service's check.
        sa.Index(
            "uq_registration_active_email",
            "conference_id",
            "email",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
        # The organizers' list: one status, newest first, a page at a time.
        sa.Index("ix_registration_conference_status_id", "conference_id", "status", "id"),
        # The list sorted by name, a page at a time.
        sa.Index(
            "ix_registration_conference_status_name", "conference_id", "status", "full_name", "id"
        ),
        # Name search: on PostgreSQL a trigram index, so that ``LIKE '%part%'`` on a rare
        # name reads a few index pages instead of the whole table (``pg_trgm``). SQLite
        # has no such index: it gets a plain one and reads the table for such a search.
        sa.Index(
            "ix_registration_name_folded_trgm",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    status: so.Mapped[RegistrationStatus] = so.mapped_column(
        sa.Enum(RegistrationStatus, native_enum=False, length=16),
        default=RegistrationStatus.active,
    )
    # Normalised (trimmed, domain lower-cased); empty once erased.
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    full_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # ``text.fold(full_name)``, what name searches compare (kept by ``_fold_name`` and, for
    # Core inserts, by the column default).
    name_folded: so.Mapped[str] = so.mapped_column(
        sa.String(200), default=folded("full_name", 200), server_default=""
    )
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    city: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    region: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    language: so.Mapped[str] = so.mapped_column(sa.String(8), index=True)
    needs: so.Mapped[str | None] = so.mapped_column(sa.Text)
    photo_consent: so.Mapped[bool] = so.mapped_column(default=False)
    privacy_accepted_at: so.Mapped[datetime | None]
    # "web" or "import": paper sign-ups typed in by organizers.
    source: so.Mapped[str] = so.mapped_column(sa.String(16), default="web")
    # The form's one-time id: a double-clicked submit finds the registration it made.
    submission_id: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # The calendar invitation: a random UID, and a SEQUENCE raised on every change.
    ics_uid: so.Mapped[str] = so.mapped_column(sa.String(64))
    ics_sequence: so.Mapped[int] = so.mapped_column(default=0)
    # Printed as a QR code on the confirmation; opens the check-in page for staff only.
    checkin_code: so.Mapped[str | None] = so.mapped_column(sa.String(32), unique=True)
    checked_in_at: so.Mapped[datetime | None] = so.mapped_column(index=True)
    # The staff member who checked them in (shown on a duplicate check-in).
    checked_in_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    # Organizers' announcements are not sent to someone who unsubscribed.
    announcements_opt_out: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false()
    )
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
    updated_at: so.Mapped[datetime]
    cancelled_at: so.Mapped[datetime | None]

    conference: so.Mapped[Conference] = so.relationship()
    places: so.Mapped[list["Place"]] = so.relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Place.track_id"
    )
    tokens: so.Mapped[list["ManageToken"]] = so.relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @so.validates("full_name")
    def _fold_name(self, _key, value):
        self.name_folded = fold(value)[:200]
        return value

    @property
    def is_active(self):
        return self.status == RegistrationStatus.active

    @property
    def confirmed_places(self):
        return [p for p in self.places if p.status == PlaceStatus.confirmed]

    @property
    def waitlisted_places(self):
        return [p for p in self.places if p.status == PlaceStatus.waitlisted]


class Place(db.Model):
    """A registration's seat in a track, or its turn on that track's waiting list.

    The waiting list is ordered by ``id``: places are inserted while the track row is
    locked, so ids follow arrival order.
    """

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "track_id", name="uq_place_registration_track"),
        sa.Index("ix_place_track_status_id", "track_id", "status", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    track_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("track.id"))
    status: so.Mapped[PlaceStatus] = so.mapped_column(
        sa.Enum(PlaceStatus, native_enum=False, length=16)
    )
    created_at: so.Mapped[datetime]
    confirmed_at: so.Mapped[datetime | None]

    registration: so.Mapped[Registration] = so.relationship(back_populates="places")
    track: so.Mapped[Track] = so.relationship()


class ManageToken(db.Model):
    """A private link to a registration; only the SHA-256 of the token is stored.

    Every email that carries a link gets a token of its own, so sending a new one never
    breaks the links in earlier emails.
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime]

    registration: so.Mapped[Registration] = so.relationship(back_populates="tokens")


# The trigram index above needs PostgreSQL's ``pg_trgm`` (a trusted extension: a
# database's owner may create it); migration 0016 does the same.
sa.event.listen(
    Registration.__table__,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
