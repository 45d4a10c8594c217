"""Bulk emails ("broadcasts") that organizers send to a group of attendees."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.accounts.models import User
from conference.content.models import Conference
from conference.extensions import db


class Broadcast(db.Model):
    """One bulk email: what it says in both languages, who it is for, how far it got.

    A draft until someone presses send (``started_at``). Then its messages are queued
    in registration id order, in batches; ``last_registration_id`` is where queueing
    stopped, so it can resume, and ``queued_at`` says it finished.
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conference_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conference.id"), index=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime]
    updated_at: so.Mapped[datetime]
    # {"ar": ..., "en": ...}: each recipient gets the text in their own language.
    subject: so.Mapped[dict] = so.mapped_column(sa.JSON)
    body: so.Mapped[dict] = so.mapped_column(sa.JSON)
    # The segment, as ``registration.queries.Filters`` values (empty ones left out).
    filters: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    # Essential messages (about their registration) also go to people who unsubscribed
    # from announcements, and carry no unsubscribe link.
    is_essential: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # Set when sending starts: how many people it is for (exact once queueing is done),
    # and the highest registration id then, so people who register later are not added.
    recipients: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    max_registration_id: so.Mapped[int | None]
    queued: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    last_registration_id: so.Mapped[int | None]
    started_at: so.Mapped[datetime | None]
    queued_at: so.Mapped[datetime | None]

    conference: so.Mapped[Conference] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship()

    @property
    def is_draft(self):
        return self.started_at is None

    @property
    def is_queueing(self):
        return self.started_at is not None and self.queued_at is None
