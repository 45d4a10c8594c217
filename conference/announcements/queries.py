"""Reading bulk emails: the drafts and emails sent, who a segment reaches, how delivery goes.

Nothing here writes.
"""

import dataclasses
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from conference.announcements.models import Broadcast
from conference.config import LANGUAGES
from conference.extensions import db
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.registration.models import Registration, RegistrationStatus
from conference.registration.queries import Filters, filtered

FILTER_FIELDS = tuple(field.name for field in dataclasses.fields(Filters))


def filters_of(broadcast):
    """The segment a broadcast was written for."""
    saved = broadcast.filters or {}
    return Filters(**{name: str(saved[name]) for name in FILTER_FIELDS if saved.get(name)})


def get_broadcast(conference, broadcast_id):
    """Return ``conference``'s broadcast with this id, or ``None``."""
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.conference_id != conference.id:
        return None
    return broadcast


def list_broadcasts(conference, *, limit=50):
    """Return the latest broadcasts and drafts, newest first."""
    return list(
        db.session.scalars(
            sa.select(Broadcast)
            .where(Broadcast.conference_id == conference.id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------------------------------
# Who gets it


@dataclass
class Audience:
    """Who a segment reaches: people by email language, and those left out."""

    by_language: dict
    unsubscribed: int = 0  # in the segment, but they asked for no announcements

    @property
    def total(self):
        return sum(self.by_language.values())


def recipients_query(conference, filters, *, essential):
    """A SELECT of the registrations a broadcast to ``filters`` goes to (no order)."""
    query = filtered(conference, filters).where(Registration.status == RegistrationStatus.active)
    if not essential:
        query = query.where(Registration.announcements_opt_out.is_(False))
    return query


def count_recipients(conference, filters, *, essential):
    """Return the ``Audience`` of a segment: one grouped count, for the preview."""
    segment = (
        filtered(conference, filters)
        .where(Registration.status == RegistrationStatus.active)
        .with_only_columns(
            Registration.language, Registration.announcements_opt_out, sa.func.count()
        )
        .group_by(Registration.language, Registration.announcements_opt_out)
    )
    by_language = Counter({lang: 0 for lang in LANGUAGES})
    unsubscribed = 0
    for language, opted_out, count in db.session.execute(segment):
        if opted_out and not essential:
            unsubscribed += count
        else:
            by_language[recipient_language(language)] += count
    return Audience(by_language=dict(by_language), unsubscribed=unsubscribed)


def recipient_language(language):
    """The language a registration gets announcements in (English if it has none of ours)."""
    return language if language in LANGUAGES else "en"


def recipient_language_column():
    """``recipient_language`` in SQL, of ``Registration.language``."""
    return sa.case(
        (Registration.language.in_(LANGUAGES), Registration.language), else_=sa.literal("en")
    )


# ---------------------------------------------------------------------------------------
# Progress


@dataclass
class Delivery:
    """What became of a broadcast's messages so far."""

    waiting: int = 0  # pending or being sent (including retries after a temporary failure)
    sent: int = 0
    failed: int = 0  # refused for good, or out of attempts


def delivery_status(broadcast):
    """Count the broadcast's messages by outbox status: one grouped, indexed query."""
    found = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count())
            .where(OutboxMessage.broadcast_id == broadcast.id)
            .group_by(OutboxMessage.status)
        ).all()
    )
    return Delivery(
        waiting=found.get(MessageStatus.pending, 0) + found.get(MessageStatus.sending, 0),
        sent=found.get(MessageStatus.sent, 0),
        failed=found.get(MessageStatus.failed, 0),
    )
