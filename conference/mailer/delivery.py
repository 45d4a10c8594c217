"""Delivery: claim due messages, render them, send them over SMTP, record each outcome.

The outbox holds what to send (``intents``), not the rendered message: features
register a renderer per kind (``@outbox.renderer("registration.confirmation")``, see
``renderers``) and the deliverer renders each message after claiming it. Private links are minted at
that moment, their hashes committed before the SMTP conversation starts (``Rendering``),
so no working link is ever stored in the outbox. A message that cannot be rendered fails
with the reason (organizers can retry it). ``deliver_pending`` (run by ``flask outbox work``
processes, and in the embedded default right after a request) claims due messages so
that several deliverers never send the same one, sends a batch over one SMTP
connection, and records each outcome:

* 2xx: sent.
* 4xx replies, refused or dropped connections, timeouts: tried again later, with
  exponential back-off and jitter, up to ``OUTBOX_MAX_ATTEMPTS``.
* 5xx: failed for good, with the server's reply kept for organizers.

Delivery is at least once: outcomes are committed a few messages (or at most a second)
at a time, and a crash between the server's 250 and that commit re-sends those messages
once their lease is over, with the same Message-ID, so clients can tell. A claim is a
lease: a deliverer still sending a batch when a quarter of it has passed (a slow server)
renews it, so that others do not take the rest of its batch for abandoned and send it too.
"""

import logging
import random
import smtplib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_mail import Message

from conference import database
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer.intents import FORGOTTEN
from conference.mailer.mime import build_message
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.mailer.renderers import RenderError, Rendering, render
from conference.mailer.smtp import mail

log = logging.getLogger("conference.mailer")

RECORD_EVERY = 20
RECORD_SECONDS = 1.0


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_reason: str | None = None

    @property
    def claimed(self):
        return len(self.sent) + len(self.retrying) + len(self.failed)


def is_configured(app=None):
    """Return whether mail goes anywhere: a mail server, or the development mailbox.

    Without either, messages wait.
    """
    config = (app or current_app).config
    return bool(config["MAIL_SERVER"] or config["DEV_MAILBOX"])


def deliver_pending(*, batch_size=None, now=None):
    """Send the messages that are due, one batch per SMTP connection; return a report.

    Safe to run in several processes at once. Call it outside any transaction of your
    own (it commits). Does nothing, and says why in the report, when no mail server is
    configured.
    """
    report = DeliveryReport()
    if not is_configured():
        report.skipped_reason = "no mail server configured (MAIL_SERVER)"
        return report
    db.session.commit()
    batch_size = batch_size or current_app.config["OUTBOX_BATCH_SIZE"]
    while True:
        claimed = claim_batch(batch_size, now=now)
        if not claimed:
            return report
        _send_batch(claimed, report, now=now)


@dataclass
class Claimed:
    """A message this process has claimed: its id, attempt number and what to send."""

    id: int
    attempts: int
    message: Message | None
    error: str | None = None  # set when the row cannot even be turned into a message
    forget: bool = False
    lease: datetime | None = None  # the row's locked_until while this process holds it
    subject: str | None = None  # what it says, recorded with the outcome
    # The snapshot to keep once sent (its "_" keys dropped), or None to leave it as it is.
    snapshot_after: dict | None = None


def claim_batch(limit, *, now=None):
    """Mark up to ``limit`` due messages as being sent by this process; return them.

    PostgreSQL: candidates are read ``FOR UPDATE SKIP LOCKED``, so concurrent deliverers
    take different rows without waiting. SQLite: the claim runs in a ``BEGIN IMMEDIATE``
    transaction. Both: the status update is guarded (``WHERE status = 'pending'``) and
    only rows it changed are ours. The claim is committed first, then the messages are
    rendered (``_render_claimed``): a crash in between leaves them claimed, and sent once
    the lease is over.
    """
    now = now or utcnow()
    database.begin_write()
    _release_abandoned(now)
    lease_until = now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    candidates = (
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.pending, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    candidate_ids = db.session.scalars(candidates).all()
    claimed_ids = []
    if candidate_ids:
        claim = (
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(candidate_ids), OutboxMessage.status == MessageStatus.pending
            )
            .values(
                status=MessageStatus.sending,
                locked_until=lease_until,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if db.engine.dialect.update_returning:  # PostgreSQL, SQLite 3.35+: one statement
            claimed_ids = db.session.scalars(claim.returning(OutboxMessage.id)).all()
        else:
            for message_id in candidate_ids:
                if db.session.execute(claim.where(OutboxMessage.id == message_id)).rowcount:
                    claimed_ids.append(message_id)
    db.session.commit()
    return _render_claimed(claimed_ids, lease_until) if claimed_ids else []


def _render_claimed(claimed_ids, lease_until):
    """Render the messages just claimed, then commit what rendering wrote (link hashes).

    Rendering reads in a transaction of its own, which writes nothing (on SQLite, the
    claim's write lock is already released); the rows it asks for (``Rendering.stage``)
    are added in one short write transaction, committed before any of them is sent: a
    link in a message that reached its recipient always works. A message that cannot be
    rendered fails with the reason. The messages are built here, so that sending needs
    no database access.
    """
    claimed = []
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed_ids))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    rendering = Rendering(rows=rows)
    for row in rows:
        item = Claimed(row.id, row.attempts, None, forget=row.forget_after_sending)
        item.lease = lease_until
        try:
            email = render(row, rendering)
            item.message = build_message(row, email)
        except Exception as exc:  # a row we cannot render would fail on every attempt
            log.warning(
                "message cannot be rendered",
                exc_info=not isinstance(exc, RenderError),
                extra={"fields": {"id": row.id, "kind": row.kind}},
            )
            reason = str(exc) if isinstance(exc, RenderError) else repr(exc)
            item.error = f"not sent: cannot be rendered: {reason}"[:500]
        else:
            item.subject = email.subject[:300]
            if any(name.startswith("_") for name in row.snapshot or {}):
                item.snapshot_after = {
                    k: v for k, v in row.snapshot.items() if not k.startswith("_")
                }
        claimed.append(item)
    db.session.rollback()  # rendering only read
    if rendering.staged:
        database.begin_write()
        rendering.write()
        db.session.commit()
    return claimed


def _release_abandoned(now):
    """Put back messages whose deliverer died while sending them."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.sending, OutboxMessage.locked_until < now)
        .values(status=MessageStatus.pending, locked_until=None)
        .execution_options(synchronize_session=False)
    )


def _send_batch(claimed, report, *, now):
    outcomes = _Outcomes()
    pending = list(claimed)
    renew_every = current_app.config["OUTBOX_LEASE_SECONDS"] / 4
    renewed = time.monotonic()
    try:
        with mail.connect() as connection:
            while pending:
                if time.monotonic() - renewed >= renew_every:  # a slow server: keep the claim
                    outcomes.commit()
                    pending = _renew(pending, now=now)
                    renewed = time.monotonic()
                    continue
                item = pending[0]
                if item.message is None:
                    _failed(item, item.error, report, outcomes)
                    pending.pop(0)
                    continue
                try:
                    connection.send(item.message)
                except smtplib.SMTPRecipientsRefused as exc:
                    code, reply = next(iter(exc.recipients.values()))
                    _refused(item, code, reply, report, outcomes, now=now)
                except smtplib.SMTPResponseException as exc:
                    _refused(item, exc.smtp_code, exc.smtp_error, report, outcomes, now=now)
                else:
                    values = {"subject": item.subject}
                    if item.snapshot_after is not None:
                        values["snapshot"] = item.snapshot_after
                    outcomes.add(
                        item.id,
                        status=MessageStatus.sent,
                        sent_at=utcnow(),
                        locked_until=None,
                        last_error=None,
                        **(FORGOTTEN if item.forget else values),
                    )
                    report.sent.append(item.id)
                pending.pop(0)
                outcomes.commit_if_due()
    except (smtplib.SMTPException, OSError) as exc:
        # The connection failed (refused, dropped, timed out): everything not yet
        # recorded is tried again later.
        error = _describe(exc)
        log.warning("smtp connection failed", extra={"fields": {"error": error}})
        for item in pending:
            _retry_later(item, error, report, outcomes, now=now)
    except BaseException:
        outcomes.commit(quietly=True)  # what was sent need not wait for its lease to end
        raise
    outcomes.commit()


class _Outcomes:
    """What became of sent messages, committed a few at a time (``RECORD_EVERY``/``_SECONDS``).

    Until then the messages stay claimed ("sending", under this process's lease): a crash
    before the commit sends them again once the lease is over; none is lost.
    """

    def __init__(self):
        self.waiting = []
        self.since = time.monotonic()

    def add(self, message_id, **values):
        self.waiting.append((message_id, values))

    def commit_if_due(self):
        if len(self.waiting) >= RECORD_EVERY or time.monotonic() - self.since >= RECORD_SECONDS:
            self.commit()

    def commit(self, *, quietly=False):
        """Write the waiting outcomes in one short write transaction."""
        waiting, self.waiting, self.since = self.waiting, [], time.monotonic()
        if not waiting:
            return
        try:
            _record(waiting)
        except Exception:
            db.session.rollback()
            if not quietly:
                raise
            log.exception("outcomes not recorded", extra={"fields": {"count": len(waiting)}})


def _record(outcomes):
    """Update each ``(message id, values)`` row: one executemany per set of columns."""
    table = OutboxMessage.__table__
    by_columns = {}
    for message_id, values in outcomes:
        by_columns.setdefault(tuple(values), []).append(
            {"row_id": message_id, **{f"new_{name}": value for name, value in values.items()}}
        )
    database.begin_write()
    connection = db.session.connection()
    for names, rows in by_columns.items():
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({name: sa.bindparam(f"new_{name}", type_=table.c[name].type) for name in names})
        )
        connection.execute(statement, rows)
    db.session.commit()


def _renew(items, *, now):
    """Extend this process's lease on ``items``; return those it still holds, in order.

    A message whose lease ran out may have been taken over by another deliverer, which
    sends it: this one leaves it alone.
    """
    until = (now or utcnow()) + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    database.begin_write()
    held = []
    for item in items:
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == item.id,
                OutboxMessage.status == MessageStatus.sending,
                OutboxMessage.locked_until == item.lease,
            )
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            item.lease = until
            held.append(item)
        else:
            log.warning("claim lost to another deliverer", extra={"fields": {"id": item.id}})
    db.session.commit()
    return held


# What an erased person's messages keep: that a message of this kind was sent, and when.


def _refused(item, code, reply, report, outcomes, *, now):
    error = f"{code} {_text(reply)}"[:500]
    if 400 <= code < 500:
        _retry_later(item, error, report, outcomes, now=now)
    else:
        _failed(item, error, report, outcomes)


def _failed(item, error, report, outcomes):
    outcomes.add(item.id, status=MessageStatus.failed, locked_until=None, last_error=error[:500])
    report.failed.append(item.id)
    log.warning("message refused", extra={"fields": {"id": item.id, "error": error}})


def _retry_later(item, error, report, outcomes, *, now):
    config = current_app.config
    if item.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        _failed(item, error, report, outcomes)
        return
    base, cap = config["OUTBOX_RETRY_BASE_SECONDS"], config["OUTBOX_RETRY_CAP_SECONDS"]
    delay = min(cap, base * 2 ** (item.attempts - 1)) * random.uniform(0.5, 1.5)
    outcomes.add(
        item.id,
        status=MessageStatus.pending,
        locked_until=None,
        last_error=error[:500],
        next_attempt_at=(now or utcnow()) + timedelta(seconds=delay),
    )
    report.retrying.append(item.id)


def _describe(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{exc.__class__.__name__}: {exc}".strip().rstrip(":")


def _text(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
