"""The transactional outbox: enqueue in the caller's transaction, render and deliver after commit.

``enqueue`` only adds a row to the current session: the message exists if and only if
the change that caused it commits. The row says what to send (an ``Intent``: the kind,
the ids, the language, a snapshot of the values to show), not the rendered message:
features register a renderer per kind (``@outbox.renderer("registration.confirmation")``)
and the deliverer renders each message after claiming it. Private links are minted at
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

import base64
import functools
import logging
import random
import re
import smtplib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.policy import EmailPolicy
from email.utils import make_msgid
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_mail import Message

from conference import database
from conference.clock import utcnow
from conference.extensions import db
from conference.mailer import headers
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.mailer.rendering import PRIVATE_LINK_REMOVED, Attachment, Email, ascii_filename
from conference.mailer.smtp import mail

log = logging.getLogger("conference.mailer")

# A batch's outcomes are committed together once this many are waiting, or once this many
# seconds have passed since the last commit: a commit per message costs about as much as
# sending it (a disk flush each, on PostgreSQL). A crash re-sends at most what was waiting.
RECORD_EVERY = 20
RECORD_SECONDS = 1.0


class OutboxError(Exception):
    """An outbox operation cannot be done. The message is safe to show to organizers."""


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
    return bool(config.get("MAIL_SERVER") or config.get("DEV_MAILBOX"))


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


def enqueue(intent, *, key=None, forget_after_sending=False, broadcast_id=None, fresh=False):
    """Add ``intent`` to the outbox in the current transaction; return its row.

    Nothing is committed here: the caller's commit sends it, its rollback drops it.
    Enqueueing an ``idempotency key`` already in the outbox returns the existing row;
    ``fresh`` says the caller knows the key is new (it names a row made in this
    transaction), which spares the lookup.
    With ``forget_after_sending`` the address and snapshot are blanked once sent.
    """
    if key is not None and not fresh:  # a key of our own making is new: no lookup
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
        )
    )
    db.session.add(row)
    if has_request_context():
        g.outbox_enqueued = True  # deliver after this request, in the embedded default
    return row


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
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(OutboxMessage.__table__).on_conflict_do_nothing(
        index_elements=[OutboxMessage.idempotency_key]
    )
    # No RETURNING: psycopg then runs one prepared statement in pipeline mode, instead
    # of parsing one huge multi-row INSERT per page (several times slower).
    db.session.execute(statement, rows)
    if has_request_context():
        g.outbox_enqueued = True
    return len(rows)


def _row_values(intent, *, key, now, forget_after_sending=False, broadcast_id=None):
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
        "message_id": make_msgid(domain=_message_id_domain()),
        "status": MessageStatus.pending,
        "attempts": 0,
        "locked_until": None,
        "last_error": None,
        "next_attempt_at": now,
        "created_at": now,
        "sent_at": None,
    }


# ---------------------------------------------------------------------------------------
# Rendering

_renderers = {}


class RenderError(Exception):
    """A message cannot be rendered (its registration is gone, say). Safe to show organizers."""


def renderer(kind):
    """Register ``function(row, rendering) -> Email`` as the renderer of ``kind`` messages.

    The mailer imports no feature: each feature registers its renderers when its module
    is imported by the feature's ``init_app``. A renderer reads what it needs (the
    registration, the tracks) and never writes: it asks ``rendering`` to (``stage``).
    """

    def register(function):
        _renderers[kind] = function
        return function

    return register


@dataclass
class Rendering:
    """The rendering of one batch of messages: what it shares, and the rows it must write.

    ``display`` renders for organizers to read (the outbox page, ``flask outbox show``):
    renderers then mint no private link and show ``PRIVATE_LINK_REMOVED`` instead.
    ``cache`` lets a renderer do once per batch what every message shares (a bulk email's
    body in each language). ``stage`` collects writes (a private link's hash: a statement
    and its parameters) that ``write`` runs in one short transaction, one executemany per
    statement, before any of the batch is sent.
    """

    display: bool = False
    cache: dict = field(default_factory=dict)
    staged: list = field(default_factory=list)

    def stage(self, statement, **params):
        self.staged.append((statement, params))

    def write(self):
        """Run the staged writes, one executemany per statement, in the current transaction."""
        by_statement = {}
        for statement, params in self.staged:
            by_statement.setdefault(statement, []).append(params)
        self.staged = []
        for statement, rows in by_statement.items():
            db.session.execute(statement, rows)


def render(row, rendering=None):
    """Return the ``Email`` for outbox ``row``, rendered now.

    :raises RenderError: the message cannot be rendered (say why).
    """
    rendering = rendering or Rendering()
    if not row.recipient:
        raise RenderError("its recipient was erased")
    legacy = (row.snapshot or {}).get("_rendered")
    if legacy is not None:
        return _legacy_email(row, legacy, display=rendering.display)
    function = _renderers.get(row.kind)
    if function is None:
        raise RenderError(f"no renderer for messages of kind {row.kind!r}")
    return function(row, rendering)


def render_for_display(row):
    """The message as organizers may read it: rendered again, its private links removed.

    Mints nothing and writes nothing.
    """
    return render(row, Rendering(display=True))


# A private link in a message rendered before the outbox stored intents (see migration
# 0005): "/registration/<token>" or "/invitation/<token>", up to the end of the link.
_STORED_LINK = re.compile(r"https?://[^\s<>\"']*/(?:registration|invitation)/[^\s<>\"']+")


def _legacy_email(row, rendered, *, display):
    """The message as it was rendered before migration 0005, stored in the snapshot."""

    def shown(text):
        return _STORED_LINK.sub(str(PRIVATE_LINK_REMOVED), text) if display and text else text

    return Email(
        kind=row.kind,
        recipient=row.recipient,
        recipient_name=row.recipient_name,
        language=row.language,
        subject=rendered.get("subject") or "",
        text=shown(rendered.get("text") or ""),
        html=shown(rendered.get("html") or ""),
        calendar=(rendered.get("calendar") or "").encode("utf-8") or None,
        attachments=[
            Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
            for a in rendered.get("attachments") or []
        ],
        headers={k: shown(v) for k, v in (rendered.get("headers") or {}).items()},
    )


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
    rendering = Rendering()
    claimed = []
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed_ids))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).all()
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
FORGOTTEN = {
    "recipient": "",
    "recipient_name": None,
    "subject": "",
    "snapshot": {},
}


def forget_recipient(address, *, registration_id=None):
    """Blank the messages of an erasure: unsent ones are dropped, the rest emptied.

    With ``registration_id``, those are the registration's own messages, whatever address
    they were queued for, and messages to ``address`` that belong to no registration
    (written before messages named theirs); another registration that uses the same
    address now (someone who registered again after cancelling) keeps its messages.
    Without it, every message to ``address``. Runs in the caller's transaction.
    """
    if registration_id is None:
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


class _SMTPPolicy(EmailPolicy):
    """``email.policy.SMTP`` that remembers the headers it parsed and folded: same bytes.

    Writing a message with ``policy.SMTP`` parses and refolds every header of every part
    each time it is read, which took twice as long as sending the message to a local
    server; most of those headers are the same in every message (``MIME-Version``,
    ``Content-Type: text/plain; charset="utf-8"``, the sender...). Both methods are pure
    functions of the header's name and value, so their results are kept (a bounded LRU).
    ``clone`` returns the policy itself when it changes nothing (the generator clones it
    for every part), so that all the parts share the one cache.
    """

    def clone(self, **changes):
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self
        return super().clone(**changes)

    def header_fetch_parse(self, name, value):
        if isinstance(value, headers.FoldedHeader):  # written already, and once per message
            return value
        try:
            return self._parsed(name, value)
        except TypeError:  # an unhashable value: not worth remembering
            return super().header_fetch_parse(name, value)

    def fold_binary(self, name, value):
        if isinstance(value, headers.FoldedHeader):
            return super().fold_binary(name, value)
        try:
            return self._folded(name, value)
        except TypeError:
            return super().fold_binary(name, value)

    @functools.lru_cache(maxsize=2048)  # noqa: B019 (one instance, kept for the process)
    def _parsed(self, name, value):
        return super().header_fetch_parse(name, value)

    @functools.lru_cache(maxsize=2048)  # noqa: B019
    def _folded(self, name, value):
        return super().fold_binary(name, value)


SMTP_POLICY = _SMTPPolicy(linesep="\r\n")  # what email.policy.SMTP is: default, CRLF


class OutboxMail(Message):
    """Flask-Mail's message, written out with ``SMTP_POLICY`` (Flask-Mail: ``policy.SMTP``).

    Subject, From, To and Reply-To are written by ``mailer.headers`` (see there why not by
    Flask-Mail): each recipient, the sender and the reply address are kept as a
    ``(display name, address)`` pair, and Flask-Mail only ever sees the bare addresses,
    which are also what the SMTP envelope uses. Takes Flask-Mail's arguments: addresses as
    pairs or ``"Name <address>"`` text.
    """

    def __init__(self, *, recipients=(), sender=None, reply_to=None, **kwargs):
        sender = headers.mailbox(sender or current_app.extensions["mail"].default_sender)
        recipients = [headers.mailbox(recipient) for recipient in recipients]
        reply_to = headers.mailbox(reply_to) if reply_to else None
        super().__init__(
            recipients=[address for _, address in recipients], sender=sender[1], **kwargs
        )
        if len(recipients) != 1:
            raise headers.HeaderValueError("an outbox message has exactly one recipient")
        self.structured_headers = [
            headers.address_header("From", *sender),
            headers.address_header("To", *recipients[0]),
            headers.address_header("Reply-To", *reply_to) if reply_to else None,
            headers.text_header("Subject", self.subject) if self.subject else None,
        ]

    def _message(self):
        message = super()._message()
        for header in filter(None, self.structured_headers):
            if header.name in message:
                message.replace_header(header.name, header)  # in Flask-Mail's place
            else:
                message[header.name] = header
        return message

    def as_bytes(self):
        return self._message().as_bytes(policy=SMTP_POLICY)


def build_message(row, email):
    """Return the Flask-Mail message for an outbox row and its rendered ``email``.

    Layout: ``multipart/mixed`` › ``multipart/alternative`` › text, HTML and (last)
    ``text/calendar; method=…``; then ``invite.ics`` and any other attachment.
    """
    config = current_app.config
    headers = {
        "Auto-Submitted": "auto-generated",
        "Content-Language": email.language,
        **(email.headers or {}),
    }
    message = OutboxMail(
        subject=email.subject,
        recipients=[(email.recipient_name or "", email.recipient)],
        body=email.text,
        sender=config["MAIL_DEFAULT_SENDER"],
        reply_to=config.get("MAIL_REPLY_TO") or None,
        extra_headers=headers,
    )
    message.html = email.html  # before the calendar: the dict order is the part order
    if email.calendar:
        calendar = email.calendar.decode("utf-8")
        message.alts[f"calendar; method={email.calendar_method}"] = calendar
        message.attach("invite.ics", "application/ics", email.calendar)
    for attachment in email.attachments:
        message.attach(
            ascii_filename(attachment.filename), attachment.content_type, attachment.data
        )
    message.msgId = row.message_id
    return message


def attachment_names(email):
    """The file names the recipient sees, the invitation first."""
    names = ["invite.ics"] if email.calendar else []
    return names + [ascii_filename(a.filename) for a in email.attachments]


def _message_id_domain():
    config = current_app.config
    return (
        config.get("MAIL_MESSAGE_ID_DOMAIN") or urlsplit(config["BASE_URL"]).hostname or "localhost"
    )


def retry(message_id=None, *, failed=False):
    """Queue failed messages again: one by id, or every failed one. Commits; returns the count.

    :raises OutboxError: no such message, or it was already sent.
    """
    now = utcnow()
    if message_id is not None:
        row = db.session.get(OutboxMessage, message_id)
        if row is None:
            raise OutboxError(f"There is no message {message_id}.")
        if row.status == MessageStatus.sent:
            raise OutboxError(f"Message {message_id} was already sent.")
        rows = [row]
    elif failed:
        rows = db.session.scalars(sa.select(OutboxMessage).filter_by(status=MessageStatus.failed))
    else:
        raise OutboxError("Give a message id or --failed.")
    count = 0
    for row in rows:
        row.status = MessageStatus.pending
        row.attempts = 0
        row.next_attempt_at = now
        row.locked_until = None
        count += 1
    db.session.commit()
    return count


def counts():
    """Return the number of messages in each status (every status present, zero or more)."""
    found = Counter(
        dict(
            db.session.execute(
                sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    )
    return {status: found.get(status, 0) for status in MessageStatus}


def list_messages(*, status=None, limit=20):
    """Return the most recent messages, newest first, optionally of one status."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.filter_by(status=status)
    return list(db.session.scalars(query))
