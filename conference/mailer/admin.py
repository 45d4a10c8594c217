"""Looking after the outbox: counts, lists, and queueing failed messages again.

For the outbox page (``staff_views``) and ``flask outbox`` (``cli``). Every retry is one
UPDATE (``_requeue``): after a mail-server outage during a bulk email, "retry all failed"
may concern 100,000 rows, and none is loaded.
"""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from conference import database
from conference.clock import utcnow
from conference.extensions import cache, db
from conference.mailer.intents import deliver_after_request
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.pager import keyset_window

PAGE_SIZE = 50
COUNTS_KEY = "mailer.outbox.counts"
COUNTS_SECONDS = 30  # the page shows counts at most this old; a retry refreshes them


# What organizers read in the Kind column: each kind of message in words. A kind not
# listed here (a new feature's) reads "Other message".
KIND_LABELS = {
    "registration.confirmation": _l("Registration confirmation"),
    "registration.already_registered": _l("Already registered"),
    "registration.manage_link": _l("Link to manage a registration"),
    "registration.promoted": _l("Seat from the waiting list"),
    "registration.changed": _l("Registration changed"),
    "registration.cancelled": _l("Registration cancelled"),
    "registration.erased": _l("Registration erased"),
    "registration.email_change": _l("Link to confirm a new email address"),
    "registration.email_change_notice": _l("Notice of a new email address asked for"),
    "registration.email_changed": _l("Email address changed"),
    "broadcast.announcement": _l("Email to attendees"),
    "broadcast.test": _l("Test of an email to attendees"),
    "accounts.invitation": _l("Staff invitation"),
    "accounts.sign_in_link": _l("Sign-in link"),
    "mailer.test": _l("Test message"),
    "volunteers.confirmation": _l("Volunteer's shifts confirmed"),
    "volunteers.awaiting_guardian": _l("Volunteer's places held for their guardian"),
    "volunteers.guardian_request": _l("Guardian asked to confirm a volunteer"),
    "volunteers.already_signed_up": _l("Volunteer already signed up"),
    "volunteers.shifts_added": _l("Volunteer's shifts added"),
    "volunteers.shift_dropped": _l("Volunteer's shift dropped"),
    "volunteers.shift_changed": _l("Volunteer's shift changed"),
    "volunteers.reminder": _l("Reminder of a volunteer shift"),
    "volunteers.team_message": _l("Email to a shift's team"),
    "volunteers.erased": _l("Volunteer's data erased"),
    "showcase.confirmation": _l("Story received, with its private link"),
    "showcase.guardian_request": _l("Guardian asked to confirm a story"),
    "showcase.guardian_confirmed": _l("Guardian confirmed a story"),
    "showcase.withdrawn": _l("Story withdrawn"),
    "showcase.link": _l("Link to follow a story"),
    "showcase.rejected": _l("Story not published, with the reason"),
}


def kind_label(kind):
    """The words organizers read for a message's ``kind`` code."""
    return KIND_LABELS.get(kind) or _l("Other message")


class OutboxError(Exception):
    """An outbox operation cannot be done. The message is safe to show to organizers."""


# ---------------------------------------------------------------------------------------
# Reading


def counts():
    """Return the number of messages in each status (every status present, zero or more)."""
    found = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return {status: found.get(status, 0) for status in MessageStatus}


def status_counts():
    """``counts``, cached briefly so the outbox page never counts on every view."""
    cached = cache.get(COUNTS_KEY)
    if cached is None:
        cached = {status.value: n for status, n in counts().items()}
        cache.set(COUNTS_KEY, cached, timeout=COUNTS_SECONDS)
    return {MessageStatus(value): n for value, n in cached.items()}


def forget_counts():
    cache.delete(COUNTS_KEY)


def list_messages(*, status=None, limit=20):
    """Return the most recent messages, newest first, optionally of one status."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.filter_by(status=status)
    return list(db.session.scalars(query))


def list_page(*, status=None, after_id=None, before_id=None, size=PAGE_SIZE):
    """One ``pager.Window`` of messages, newest first: the first page, the next after
    message ``after_id`` or the previous before ``before_id``.

    Keyset pagination on the primary key; the bodies are not loaded.
    """
    query = sa.select(OutboxMessage).options(
        so.load_only(
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
            OutboxMessage.next_attempt_at,
        )
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return keyset_window(
        query,
        (OutboxMessage.id,),
        descending=True,
        after=(after_id,) if after_id is not None else None,
        before=(before_id,) if before_id is not None and after_id is None else None,
        size=size,
    )


def get_message(message_id):
    """Return the outbox row with this id, or ``None``."""
    return db.session.get(OutboxMessage, message_id)


# ---------------------------------------------------------------------------------------
# Retrying


def retry_message(message_id):
    """Queue one unsent message again, now (a failed one, or one waiting to be retried).

    Commits; returns 1. For ``flask outbox retry MESSAGE_ID``.

    :raises OutboxError: no such message, or it was already sent.
    """
    row = get_message(message_id)
    if row is None:
        raise OutboxError(f"There is no message {message_id}.")
    if row.status == MessageStatus.sent:
        raise OutboxError(f"Message {message_id} was already sent.")
    return _requeue(OutboxMessage.id == message_id)


def retry_failed_message(message_id):
    """Queue one failed message again (the outbox page's button). Commits; returns 1.

    :raises OutboxError: there is no such message, or it has not failed.
    """
    row = get_message(message_id)
    if row is None or row.status != MessageStatus.failed:
        raise OutboxError(_("Only a failed message can be tried again."))
    return _requeue(OutboxMessage.id == message_id)


def retry_all_failed():
    """Queue every failed message again. Commits; returns how many."""
    return _requeue(OutboxMessage.status == MessageStatus.failed)


def retry(message_id=None, *, failed=False):
    """Queue failed messages again: one by id, or every failed one. Commits; returns the count.

    :raises OutboxError: no such message, or it was already sent.
    """
    if message_id is not None:
        return retry_message(message_id)
    if failed:
        return retry_all_failed()
    raise OutboxError("Give a message id or --failed.")


def _requeue(which):
    """Make the messages ``which`` selects due now, with their attempts reset: one UPDATE."""
    database.begin_write()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(which)
        .values(
            status=MessageStatus.pending,
            attempts=0,
            next_attempt_at=utcnow(),
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    forget_counts()
    if result.rowcount:
        deliver_after_request()
    return result.rowcount
