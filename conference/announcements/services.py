"""Bulk email to a group of attendees: drafts, a test to oneself, sending, unsubscribing.

Nothing here reads ``request`` or calls ``flash``: the back-office views, the
``flask broadcast`` command and the tests call these functions; those that change
something commit. Reading is in ``queries``, the messages themselves in ``emails``.

Sending fixes the audience first: the registrations that match the segment, are active
and (unless the message is essential) have not unsubscribed from announcements, up to
the highest registration id at that moment. Then one outbox message per person is
queued (what to send: the broadcast id, the registration id, the address and language;
not the rendered message), ``BATCH_SIZE`` registrations at a time in id order. Each
batch is one transaction that locks the broadcast row, queues the messages with one
``INSERT ... SELECT`` (``outbox.enqueue_select``: the rows never reach Python; idempotency
key ``broadcast:<id>:<registration id>``, a key already queued is skipped) and moves the
broadcast's cursor (``last_registration_id``). So a request that runs out of time, a
double click or a second process resumes where the last batch ended, memory stays flat at
any size, and no message is ever queued twice.
"""

import time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from conference import audit, database
from conference.announcements.emails import KIND, TEST_KIND
from conference.announcements.models import Broadcast
from conference.announcements.queries import (
    count_recipients,
    filters_of,
    recipient_language_column,
    recipients_query,
)
from conference.clock import utcnow
from conference.config import LANGUAGES
from conference.extensions import db
from conference.mailer import outbox
from conference.registration.models import Registration
from conference.text import clean_text

BATCH_SIZE = 25_000  # recipients per transaction (one INSERT ... SELECT)
SUBJECT_MAX = 150
BODY_MAX = 20_000


class BulkEmailError(Exception):
    """A bulk email cannot be saved or sent. The message is safe to show to organizers."""


# ---------------------------------------------------------------------------------------
# Drafts


def save_draft(conference, *, subject, body, filters, essential=False, author=None, draft=None):
    """Save a draft (a new one, or changes to ``draft``) and commit; return it.

    :param subject: ``{"ar": ..., "en": ...}``, likewise ``body``; both languages required.
    :raises BulkEmailError: a text is missing or too long, or ``draft`` was already sent.
    """
    subject = {lang: clean_text((subject or {}).get(lang)) or "" for lang in LANGUAGES}
    body = {lang: clean_text((body or {}).get(lang), multiline=True) or "" for lang in LANGUAGES}
    for lang in LANGUAGES:
        if not subject[lang] or not body[lang]:
            raise BulkEmailError(_l("Write the subject and the message in Arabic and in English"))
        if len(subject[lang]) > SUBJECT_MAX or len(body[lang]) > BODY_MAX:
            raise BulkEmailError(_l("The subject or the message is too long"))
    now = utcnow()
    if draft is None:
        draft = Broadcast(
            conference=conference,
            created_by_id=author.id if author is not None else None,
            created_at=now,
        )
        db.session.add(draft)
    elif not draft.is_draft:
        raise BulkEmailError(_l("This email has already been sent: it cannot be changed"))
    draft.subject = subject
    draft.body = body
    draft.filters = filters.as_dict()
    draft.is_essential = bool(essential)
    draft.updated_at = now
    db.session.commit()
    return draft


# ---------------------------------------------------------------------------------------
# A test to oneself


def send_test(broadcast, *, to, name=None):
    """Queue one message with both language versions to ``to`` (the organizer); commit.

    The recipients' copies each carry one language; the test carries both, one after the
    other, with a sample unsubscribe link. The draft's texts are kept with the message:
    it shows them as they were when the test was asked for.
    """
    intent = outbox.Intent(
        kind=TEST_KIND,
        recipient=to,
        recipient_name=name or None,
        language=LANGUAGES[0],
        snapshot={
            "subject": dict(broadcast.subject),
            "body": dict(broadcast.body),
            "essential": bool(broadcast.is_essential),
        },
    )
    row = outbox.enqueue(intent)
    db.session.commit()
    return row


# ---------------------------------------------------------------------------------------
# Sending


def send_broadcast(broadcast, *, actor=None, seconds=None):
    """Start sending ``broadcast`` (once) and queue its messages for up to ``seconds``.

    Returns whether every message is queued; if not, calling it again (or
    ``queue_broadcast``) goes on where it stopped.

    :raises BulkEmailError: nobody is in the segment.
    """
    start_sending(broadcast, actor=actor)
    return queue_broadcast(broadcast, seconds=seconds)


def start_sending(broadcast, *, actor=None):
    """Fix the audience, mark the broadcast sent and record it in the audit log; commit.

    Does nothing for a broadcast already started (a double click, a retry).

    :raises BulkEmailError: nobody is in the segment.
    """
    broadcast_id = broadcast.id
    database.begin_write()
    broadcast = _locked(broadcast_id)
    if broadcast.started_at is not None:
        db.session.commit()
        return broadcast
    filters = filters_of(broadcast)
    audience = count_recipients(broadcast.conference, filters, essential=broadcast.is_essential)
    if audience.total == 0:
        db.session.rollback()
        raise BulkEmailError(_l("Nobody in this group can get the email. Choose another group."))
    broadcast.started_at = utcnow()
    broadcast.max_registration_id = db.session.scalar(sa.select(sa.func.max(Registration.id)))
    broadcast.recipients = audience.total
    audit.record(
        "bulk_email.sent",
        actor=actor,
        broadcast=broadcast.id,
        filters=filters.as_dict(),
        recipients=audience.total,
        essential=broadcast.is_essential,
    )
    db.session.commit()
    return broadcast


def queue_broadcast(broadcast, *, seconds=None, progress=None):
    """Queue a started broadcast's messages, batch by batch, for up to ``seconds``.

    Each batch commits; ``progress``, if given, is called with the number it queued.
    Returns whether every message is queued. Safe to run again, and in several processes
    at once.
    """
    if broadcast.started_at is None:
        raise BulkEmailError(_l("This email has not been sent yet"))
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        finished, added = _queue_batch(broadcast.id)
        if progress is not None:
            progress(added)
        if finished:
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False


def _queue_batch(broadcast_id):
    """Queue the next batch in one transaction; return (whether it is done, how many).

    A batch is the next ``BATCH_SIZE`` recipients after the cursor, in id order: their
    highest id is read first, then one ``INSERT ... SELECT`` (``outbox.enqueue_select``)
    queues everyone of the segment up to it, and the cursor moves there.
    """
    database.begin_write()
    broadcast = _locked(broadcast_id)
    if broadcast.queued_at is not None:
        db.session.commit()
        return True, 0
    after = broadcast.last_registration_id or 0
    last = broadcast.max_registration_id or 0
    segment = recipients_query(
        broadcast.conference, filters_of(broadcast), essential=broadcast.is_essential
    ).where(Registration.id > after, Registration.id <= last)
    batch = (
        segment.with_only_columns(Registration.id)
        .order_by(Registration.id)
        .limit(BATCH_SIZE)
        .subquery()
    )
    count, upto = db.session.execute(sa.select(sa.func.count(), sa.func.max(batch.c.id))).one()
    added = 0
    if count:
        added = outbox.enqueue_select(
            segment.where(Registration.id <= upto).with_only_columns(
                Registration.id,
                Registration.email,
                Registration.full_name,
                recipient_language_column(),
            ),
            kind=KIND,
            key_prefix=f"broadcast:{broadcast.id}:",
            broadcast_id=broadcast.id,
        )
        broadcast.queued += added
        broadcast.last_registration_id = upto
    done = count < BATCH_SIZE or upto >= last
    if done:
        broadcast.queued_at = utcnow()
        broadcast.recipients = broadcast.queued
    db.session.commit()
    return done, added


def _locked(broadcast_id):
    """The broadcast row, read afresh and locked until the commit (PostgreSQL)."""
    return db.session.scalars(
        sa.select(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


# ---------------------------------------------------------------------------------------
# Unsubscribing


def set_announcements(registration, *, wanted):
    """Unsubscribe ``registration`` from announcements (or subscribe it again); commit."""
    if registration.announcements_opt_out == (not wanted):
        return registration
    registration.announcements_opt_out = not wanted
    registration.updated_at = utcnow()
    db.session.commit()
    return registration
