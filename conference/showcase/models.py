"""Success stories: what was submitted, the consent that governs where it may appear,
its photos, its private links and every edit made to it.

A story is shown only while every condition holds (``Story.shown_publicly`` and
``Story.shown_to_sponsors``): approved by an organizer, consent for that place not
withdrawn and not past its end date, and, when the person shown is under 18, confirmed
by their guardian. The consent in force is kept on the story for fast filtering; every
change of it is also a ``ConsentRecord`` row, never edited: who agreed, when, to which
wording, in which language.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.content.models import Conference, Track
from conference.extensions import db


class StoryStatus(enum.Enum):
    awaiting_guardian = "awaiting_guardian"  # the person shown is a minor: guardian first
    submitted = "submitted"  # waiting for moderation
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"  # by the submitter, the guardian or an organizer on request


class Credit(enum.Enum):
    full_name = "full_name"
    initials = "initials"
    anonymous = "anonymous"


class Story(db.Model):
    __table_args__ = (sa.Index("ix_story_listing", "conference_id", "status", "track_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"))
    status: so.Mapped[StoryStatus] = so.mapped_column(
        sa.Enum(StoryStatus, native_enum=False, length=20)
    )
    track_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("track.id", ondelete="SET NULL")
    )
    # The text as written (``language``), and optionally its version in the other one.
    language: so.Mapped[str] = so.mapped_column(sa.String(8))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    other_title: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    other_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # The person or organisation the story is about, and how they are credited.
    person_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    credit: so.Mapped[Credit] = so.mapped_column(sa.Enum(Credit, native_enum=False, length=16))
    links: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # Who submitted it (never shown publicly nor to sponsors), and the language of their
    # emails.
    submitter_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    submitter_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    email_language: so.Mapped[str] = so.mapped_column(sa.String(8))
    # The person shown is under 18: their guardian confirms before anything is shown.
    subject_is_minor: so.Mapped[bool] = so.mapped_column(default=False)
    guardian_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    guardian_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    guardian_confirmed_at: so.Mapped[datetime | None]
    # The consent in force (its history is ``consents``).
    consent_public: so.Mapped[bool] = so.mapped_column(default=False)
    consent_sponsors: so.Mapped[bool] = so.mapped_column(default=False)
    consent_until: so.Mapped[date | None]
    # Moderation.
    featured: so.Mapped[bool] = so.mapped_column(default=False)
    reject_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    decided_at: so.Mapped[datetime | None]
    decided_by: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    submitted_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]
    withdrawn_at: so.Mapped[datetime | None]
    # One of the labelled sample stories of the sample programme (``samples``).
    is_sample: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    conference: so.Mapped[Conference] = so.relationship()
    track: so.Mapped[Track | None] = so.relationship()
    photos: so.Mapped[list["StoryPhoto"]] = so.relationship(
        back_populates="story", order_by="StoryPhoto.position", cascade="all, delete-orphan"
    )
    consents: so.Mapped[list["ConsentRecord"]] = so.relationship(
        back_populates="story", order_by="ConsentRecord.id", cascade="all, delete-orphan"
    )
    tokens: so.Mapped[list["StoryToken"]] = so.relationship(
        back_populates="story", cascade="all, delete-orphan"
    )
    revisions: so.Mapped[list["StoryRevision"]] = so.relationship(
        back_populates="story", order_by="StoryRevision.id", cascade="all, delete-orphan"
    )

    def _in_force(self, today):
        return (
            self.status is StoryStatus.approved
            and (self.consent_until is None or today <= self.consent_until)
            and (not self.subject_is_minor or self.guardian_confirmed_at is not None)
        )

    def shown_publicly(self, today):
        """Whether the public site may show this story on ``today`` (a date)."""
        return self.consent_public and self._in_force(today)

    def shown_to_sponsors(self, today):
        """Whether sponsors' pages may show this story on ``today``."""
        return self.consent_sponsors and self._in_force(today)

    @property
    def other_language(self):
        return "ar" if self.language == "en" else "en"

    @property
    def credit_line(self):
        """How the person is named wherever the story appears (``None``: anonymous)."""
        if self.credit is Credit.full_name:
            return self.person_name
        if self.credit is Credit.initials:
            return initials(self.person_name)
        return None


def initials(name):
    """ "Rania Al-Khatib" → "R. A."; "رنا الخطيب" → "ر. ا."."""
    parts = [part for part in name.replace("-", " ").split() if part]
    return " ".join(f"{part[0]}." for part in parts[:3])


def shown_filter(model, today, *, sponsors=False):
    """SQL for ``shown_publicly`` (or ``shown_to_sponsors``): the same rule in a query."""
    return sa.and_(
        model.status == StoryStatus.approved,
        (model.consent_sponsors if sponsors else model.consent_public).is_(True),
        sa.or_(model.consent_until.is_(None), model.consent_until >= today),
        sa.or_(model.subject_is_minor.is_(False), model.guardian_confirmed_at.is_not(None)),
    )


class StoryPhoto(db.Model):
    __tablename__ = "story_photo"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    story_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("story.id", ondelete="CASCADE"), index=True
    )
    # ``images.StoredImage.key``: served only while the story is shown.
    image_key: so.Mapped[str] = so.mapped_column(sa.String(32))
    alt: so.Mapped[str] = so.mapped_column(sa.String(300))
    width: so.Mapped[int]
    height: so.Mapped[int]
    position: so.Mapped[int] = so.mapped_column(default=0)

    story: so.Mapped[Story] = so.relationship(back_populates="photos")


class ConsentEvent(enum.Enum):
    given = "given"  # with the submission
    changed = "changed"  # scope or end date changed from the private link
    guardian_confirmed = "guardian_confirmed"
    withdrawn = "withdrawn"


class ConsentRecord(db.Model):
    """One consent event, as it was agreed: never edited, kept while the story is."""

    __tablename__ = "consent_record"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    story_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("story.id", ondelete="CASCADE"), index=True
    )
    event: so.Mapped[ConsentEvent] = so.mapped_column(
        sa.Enum(ConsentEvent, native_enum=False, length=20)
    )
    # Who: "submitter", "guardian" or "organizer", and their name as given.
    by_role: so.Mapped[str] = so.mapped_column(sa.String(16))
    by_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    at: so.Mapped[datetime]
    # The exact sentences shown when they agreed, in the language they were shown in.
    language: so.Mapped[str] = so.mapped_column(sa.String(8))
    wording: so.Mapped[str] = so.mapped_column(sa.Text)
    public: so.Mapped[bool]
    sponsors: so.Mapped[bool]
    until: so.Mapped[date | None]
    credit: so.Mapped[Credit] = so.mapped_column(sa.Enum(Credit, native_enum=False, length=16))

    story: so.Mapped[Story] = so.relationship(back_populates="consents")


class TokenPurpose(enum.Enum):
    manage = "manage"  # the submitter's private link
    guardian = "guardian"  # the guardian's confirmation link


class StoryToken(db.Model):
    """A private link of a submitter or a guardian; only its SHA-256 is stored."""

    __tablename__ = "story_token"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    story_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("story.id", ondelete="CASCADE"), index=True
    )
    purpose: so.Mapped[TokenPurpose] = so.mapped_column(
        sa.Enum(TokenPurpose, native_enum=False, length=16)
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime]

    story: so.Mapped[Story] = so.relationship(back_populates="tokens")


class StoryRevision(db.Model):
    """An edit of a story's text: who changed what, from what to what."""

    __tablename__ = "story_revision"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    story_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("story.id", ondelete="CASCADE"), index=True
    )
    at: so.Mapped[datetime]
    by_role: so.Mapped[str] = so.mapped_column(sa.String(16))  # submitter / organizer
    by_name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # {field: [before, after]}
    changes: so.Mapped[dict] = so.mapped_column(sa.JSON)

    story: so.Mapped[Story] = so.relationship(back_populates="revisions")
