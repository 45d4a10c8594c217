"""The outbox: every email the app sends is first a row here."""

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from conference.extensions import db


class MessageStatus(enum.Enum):
    pending = "pending"  # waiting for its next attempt (or for a mail server to be configured)
    sending = "sending"  # claimed by a deliverer until ``locked_until``
    sent = "sent"
    failed = "failed"  # refused for good (5xx) or out of attempts; kept for organizers


class OutboxMessage(db.Model):
    """One email to one recipient: what to send (not its rendered bytes) and its delivery state.

    The row is an intent: the kind of message, the ids it is about, the language and a
    snapshot of the values it must show as they were when it was queued. The deliverer
    renders it after claiming it (``outbox.renderer``), so no private link is ever stored
    here; the outbox page renders it again for display, with its private links removed.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The deliverers' query: due messages in order.
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # The outbox page: one status, newest first, a page at a time.
        sa.Index("ix_outbox_message_status_id", "status", "id"),
        # A bulk email's delivery status: its messages counted by status.
        # Erasure drops a registration's pending messages.
        sa.Index(
            "ix_outbox_message_registration",
            "registration_id",
            sqlite_where=sa.text("registration_id IS NOT NULL"),
            postgresql_where=sa.text("registration_id IS NOT NULL"),
        ),
        sa.Index(
            "ix_outbox_message_broadcast_status",
            "broadcast_id",
            "status",
            sqlite_where=sa.text("broadcast_id IS NOT NULL"),
            postgresql_where=sa.text("broadcast_id IS NOT NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Enqueueing the same key twice queues one message (e.g. "registration:12:confirmed:3").
    idempotency_key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(64))
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    recipient_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    language: so.Mapped[str] = so.mapped_column(sa.String(8))
    # What was sent, recorded when the message is rendered for sending (the outbox page).
    subject: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    # The registration the message is about; no foreign key (see ``broadcast_id``).
    registration_id: so.Mapped[int | None]
    # The values the message shows, as they were when it was queued (SEQUENCE, places,
    # positions in line...), as JSON. Keys starting with "_" are dropped once it is sent.
    snapshot: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    # Erasure: once sent, the address and snapshot are blanked (the attendee asked us
    # to forget them; this message confirms it).
    forget_after_sending: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false()
    )
    # The bulk email (``broadcast.id``) this message is one of; no foreign key, so the
    # outbox stays independent of the features that use it.
    broadcast_id: so.Mapped[int | None]
    # Fixed at enqueue, so a retried message keeps its identity.
    message_id: so.Mapped[str] = so.mapped_column(sa.String(250), unique=True)

    status: so.Mapped[MessageStatus] = so.mapped_column(
        sa.Enum(MessageStatus, native_enum=False, length=16), default=MessageStatus.pending
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime]
    locked_until: so.Mapped[datetime | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    created_at: so.Mapped[datetime]
    sent_at: so.Mapped[datetime | None]
