"""Queueing: what to send (``Intent``), added to the outbox in the caller's transaction.

``enqueue`` only adds a row to the current session: the message exists if and only if
the change that caused it commits. The row says what to send (the kind, the ids, the
language, a snapshot of the values to show), not the rendered message: the deliverer
renders it (``renderers``) after claiming it (``delivery``).
"""

import uuid
from dataclasses import dataclass, field
from email.utils import make_msgid
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from conference.clock import utcnow
from conference.extensions import db
from conference.mailer.models import MessageStatus, OutboxMessage


def deliver_after_request():
    """Ask for a delivery pass once this request's response is sent (if there is one).

    The embedded default has no deliverer process: ``mailer.init_app`` wakes its thread
    after a request that queued (or re-queued) mail. Elsewhere this does nothing.
    """
    if has_request_context():
        g.outbox_enqueued = True


def delivery_requested():
    """Whether this request asked for a delivery pass (``deliver_after_request``)."""
    return bool(g.get("outbox_enqueued"))


@dataclass
class Intent:
    """What to send to one recipient; the renderer of ``kind`` turns it into an ``Email``.

    ``snapshot`` holds the values the message must show as they are now (JSON): the
    renderer reads the rest (names of tracks, the conference) when it renders. Keys that
    start with "_" are dropped from the row once the message is sent.
    """

    kind: str
    recipient: str
    language: str
    recipient_name: str | None = None
    registration_id: int | None = None
    snapshot: dict = field(default_factory=dict)


def enqueue(intent, *, key=None, forget_after_sending=False, broadcast_id=None, send_at=None):
    """Add ``intent`` to the outbox in the current transaction; return its row.

    Nothing is committed here: the caller's commit sends it, its rollback drops it.
    Enqueueing an ``idempotency key`` already in the outbox returns the existing row
    (a key the caller knows is new: ``enqueue_new``).
    With ``forget_after_sending`` the address and snapshot are blanked once sent.
    With ``send_at`` (naive UTC) the message waits for that time (a reminder); a message
    whose cause is gone before then is taken back with ``drop_pending``.
    """
    if key is not None:
        existing = db.session.scalar(sa.select(OutboxMessage).filter_by(idempotency_key=key))
        if existing is not None:
            return existing
    key = key or f"{intent.kind}:{uuid.uuid4()}"
    row = OutboxMessage(
        **_row_values(
            intent,
            key=key,
            forget_after_sending=forget_after_sending,
            broadcast_id=broadcast_id,
            now=utcnow(),
            send_at=send_at,
        )
    )
    db.session.add(row)
    deliver_after_request()
    return row


def enqueue_new(intent, *, key):
    """Add ``intent`` under ``key``, which the caller knows is new (it names a row made in
    this transaction), with one Core INSERT now: no lookup, no ORM object. Returns nothing.

    For the hot paths (a new registration's confirmation): the ORM's flush of one row at
    the commit cost more than the INSERT itself. Runs in the current transaction.
    """
    db.session.execute(
        sa.insert(OutboxMessage.__table__).values(**_row_values(intent, key=key, now=utcnow()))
    )
    deliver_after_request()


def enqueue_many(keyed_intents, *, broadcast_id=None):
    """Add many messages, given as ``(key, intent)`` pairs; return how many were added.

    For bulk email, where ``enqueue``'s lookup and flush per message would cost two
    round trips each: keys already in the outbox are found with one query and skipped,
    and the rest go in one executemany INSERT (``ON CONFLICT DO NOTHING`` as a backstop,
    so a concurrent caller with the same keys cannot make it fail). Callers that may race
    on the same keys should serialise themselves (a row lock) for the count to be exact.
    Runs in the current transaction.
    """
    keyed_intents = list(keyed_intents)
    if not keyed_intents:
        return 0
    existing = set(
        db.session.scalars(
            sa.select(OutboxMessage.idempotency_key).where(
                OutboxMessage.idempotency_key.in_([key for key, _ in keyed_intents])
            )
        )
    )
    now = utcnow()
    rows = [
        _row_values(intent, key=key, broadcast_id=broadcast_id, now=now)
        for key, intent in keyed_intents
        if key not in existing
    ]
    if not rows:
        return 0
    statement = _insert(OutboxMessage.__table__).on_conflict_do_nothing(
        index_elements=[OutboxMessage.idempotency_key]
    )
    # No RETURNING: psycopg then runs one prepared statement in pipeline mode, instead
    # of parsing one huge multi-row INSERT per page (several times slower).
    db.session.execute(statement, rows)
    deliver_after_request()
    return len(rows)


def enqueue_select(recipients, *, kind, key_prefix, broadcast_id=None):
    """Queue one message of ``kind`` per row of ``recipients`` in one statement; return how
    many were added.

    For bulk email: the rows never reach Python. ``recipients`` is a SELECT of four
    columns, in this order: the registration id (unique among its rows), the address,
    the name and the language. Each message's idempotency key is ``key_prefix`` followed
    by the registration id, and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``
    skips the keys already in the outbox, so queueing the same rows again adds nothing.
    The Message-IDs share a random part drawn here and end with the registration id.
    Runs in the current transaction.
    """
    table = OutboxMessage.__table__
    source = recipients.subquery("recipient")
    registration_id, address, name, language = source.c
    now = utcnow()
    stem = f"<{uuid.uuid4().hex}."
    domain = f"@{message_id_domain()}>"

    def constant(value, column):
        return sa.literal(value, type_=table.c[column].type)

    columns = {
        "idempotency_key": sa.literal(key_prefix) + sa.cast(registration_id, sa.String),
        "kind": constant(kind, "kind"),
        "recipient": address,
        "recipient_name": name,
        "language": language,
        "registration_id": registration_id,
        "snapshot": constant({}, "snapshot"),
        "forget_after_sending": sa.false(),
        "broadcast_id": constant(broadcast_id, "broadcast_id"),
        "message_id": sa.literal(stem) + sa.cast(registration_id, sa.String) + sa.literal(domain),
        "status": constant(MessageStatus.pending, "status"),
        "attempts": sa.literal(0),
        "next_attempt_at": constant(now, "next_attempt_at"),
        "created_at": constant(now, "created_at"),
    }
    statement = _insert(table).from_select(
        list(columns), sa.select(*columns.values()).select_from(source).where(sa.true())
    )
    result = db.session.execute(
        statement.on_conflict_do_nothing(index_elements=[table.c.idempotency_key]),
        execution_options={"preserve_rowcount": True},  # not kept for INSERT otherwise
    )
    added = max(result.rowcount, 0)
    if added:
        deliver_after_request()
    return added


def _insert(table):
    """The dialect's INSERT, which has ``on_conflict_do_nothing``."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _row_values(intent, *, key, now, forget_after_sending=False, broadcast_id=None, send_at=None):
    """The outbox row for ``intent``, as column values."""
    return {
        "idempotency_key": key,
        "kind": intent.kind,
        "recipient": intent.recipient,
        "recipient_name": intent.recipient_name,
        "language": intent.language,
        "subject": None,
        "registration_id": intent.registration_id,
        "snapshot": intent.snapshot or {},
        "forget_after_sending": forget_after_sending,
        "broadcast_id": broadcast_id,
        "message_id": make_msgid(domain=message_id_domain()),
        "status": MessageStatus.pending,
        "attempts": 0,
        "locked_until": None,
        "last_error": None,
        "next_attempt_at": send_at or now,
        "created_at": now,
        "sent_at": None,
    }


FORGOTTEN = {
    "recipient": "",
    "recipient_name": None,
    "subject": "",
    "snapshot": {},
}


def drop_pending(*keys):
    """Take back the unsent messages with these idempotency ``keys`` (a scheduled reminder
    whose shift was dropped). Runs in the caller's transaction; a message a deliverer
    has already claimed is past taking back.
    """
    db.session.execute(
        sa.delete(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key.in_(keys),
            OutboxMessage.status == MessageStatus.pending,
        )
        .execution_options(synchronize_session=False)
    )


def forget_recipient(address, *, registration_id=None, kind_prefix=None):
    """Blank the messages of an erasure: unsent ones are dropped, the rest emptied.

    With ``registration_id``, those are the registration's own messages, whatever address
    they were queued for, and messages to ``address`` that belong to no registration
    (written before messages named theirs); another registration that uses the same
    address now (someone who registered again after cancelling) keeps its messages.
    Without it, every message to ``address``; with ``kind_prefix`` only those of kinds
    that start with it (a volunteer's, not the same person's attendee messages). Runs in
    the caller's transaction.
    """
    if kind_prefix is not None:
        theirs = sa.and_(
            OutboxMessage.recipient == address,
            OutboxMessage.kind.startswith(kind_prefix, autoescape=True),
        )
    elif registration_id is None:
        theirs = OutboxMessage.recipient == address
    else:
        theirs = sa.or_(
            OutboxMessage.registration_id == registration_id,
            sa.and_(OutboxMessage.registration_id.is_(None), OutboxMessage.recipient == address),
        )
    db.session.execute(
        sa.delete(OutboxMessage)
        .where(theirs, OutboxMessage.status == MessageStatus.pending)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(OutboxMessage)
        .where(theirs)
        .values(**FORGOTTEN)
        .execution_options(synchronize_session=False)
    )


def message_id_domain():
    """The domain in Message-IDs: ``MAIL_MESSAGE_ID_DOMAIN``, else ``BASE_URL``'s host."""
    config = current_app.config
    return config["MAIL_MESSAGE_ID_DOMAIN"] or urlsplit(config["BASE_URL"]).hostname or "localhost"
