"""Bulk email to a group of attendees: drafts, previews, a test to oneself, sending, and
the unsubscribe link.

Nothing here reads ``request`` or calls ``flash``: the back-office views, the
``flask broadcast`` command and the tests call these functions; those that change
something commit.

Sending fixes the audience first: the registrations that match the segment, are active
and (unless the message is essential) have not unsubscribed from announcements, up to
the highest registration id at that moment. Then one outbox message per person is
queued (what to send: the broadcast id, the registration id, the address and language;
not the rendered message), ``BATCH_SIZE`` registrations at a time in id order. Each
batch is one short transaction that locks the broadcast row, queues the messages
(idempotency key ``broadcast:<id>:<registration id>``) and moves the broadcast's cursor
(``last_registration_id``). So a request that runs out of time, a double click or a
second process resumes where the last batch ended, memory stays flat at any size, and
no message is ever queued twice.

The deliverer renders the messages: once per language for each batch it sends; each
recipient's copy differs only in its unsubscribe link, a signed token carrying the
registration id (no row per message), made when the copy is rendered.
"""

import dataclasses
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape

from conference import audit, database
from conference.clock import utcnow
from conference.config import LANGUAGES
from conference.extensions import db
from conference.i18n import direction
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.mailer.rendering import Email, render_email
from conference.manage.bulk_models import Broadcast
from conference.registration.models import Registration, RegistrationStatus
from conference.registration.queries import Filters, filtered
from conference.text import clean_text
from conference.urls import external_url

BATCH_SIZE = 500
SUBJECT_MAX = 150
BODY_MAX = 20_000
# Seconds a web request spends queueing before it hands back the page; the rest is
# queued by pressing the button again or by ``flask broadcast queue``.
DEFAULT_REQUEST_SECONDS = 20
UNSUBSCRIBE_SALT = "announcements-unsubscribe"
TEMPLATE = "broadcast/announcement"
KIND = "broadcast.announcement"
TEST_KIND = "broadcast.test"
FILTER_FIELDS = tuple(field.name for field in dataclasses.fields(Filters))


class BulkEmailError(Exception):
    """A bulk email cannot be saved or sent. The message is safe to show to organizers."""


@dataclass
class Audience:
    """Who a segment reaches: people by email language, and those left out."""

    by_language: dict
    unsubscribed: int = 0  # in the segment, but they asked for no announcements

    @property
    def total(self):
        return sum(self.by_language.values())


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
            by_language[_language(language)] += count
    return Audience(by_language=dict(by_language), unsubscribed=unsubscribed)


def _language(language):
    return language if language in LANGUAGES else "en"


# ---------------------------------------------------------------------------------------
# The message


def render_message(broadcast, language, *, unsubscribe_url=None, to="", name=None):
    """Render ``broadcast`` in ``language`` as its recipients get it; return an ``Email``."""
    if broadcast.is_essential:
        unsubscribe_url = None
    headers = {"Precedence": "bulk"}
    if unsubscribe_url:
        # RFC 8058: mail clients offer "unsubscribe" and POST to the link themselves.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return render_email(
        TEMPLATE,
        to=to,
        name=name,
        language=language,
        headers=headers,
        **_context(broadcast, language, unsubscribe_url),
    )


def _context(broadcast, language, unsubscribe_url):
    body = broadcast.body.get(language, "")
    return {
        "subject": broadcast.subject.get(language, ""),
        "body_text": body,
        "paragraphs": body_paragraphs(body),
        "unsubscribe_url": None if broadcast.is_essential else unsubscribe_url,
        "is_essential": broadcast.is_essential,
    }


def preview(broadcast, language):
    """The message in ``language`` exactly as a recipient gets it, with a sample link."""
    return render_message(broadcast, language, unsubscribe_url=sample_unsubscribe_url())


def sample_unsubscribe_url():
    """An unsubscribe link that looks like the real ones and unsubscribes nobody."""
    return external_url("announcements.unsubscribe", token=unsubscribe_token(0))


_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»،؛"


def body_paragraphs(text):
    """Return an organizer's plain text as HTML paragraphs (``Markup``).

    Everything is escaped; a blank line starts a paragraph, a line break stays a line
    break, and ``http(s)://`` addresses become links.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n\s*", text):
        if block.strip():
            lines = [_linkify(line.rstrip()) for line in block.split("\n")]
            paragraphs.append(Markup("<br>\n").join(lines))
    return paragraphs


def _linkify(line):
    html = Markup("")
    position = 0
    for found in _URL.finditer(line):
        url = found.group(0)
        # Punctuation after an address belongs to the sentence, not to the address
        # (a closing bracket only when the address has more of them than opening ones).
        while url[-1] in _TRAILING and (url[-1] != ")" or url.count(")") > url.count("(")):
            url = url[:-1]
        end = found.start() + len(url)
        html += escape(line[position : found.start()])
        html += Markup('<a href="{0}" style="color:#0b5d45;">{0}</a>').format(url)
        position = end
    return html + escape(line[position:])


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


@outbox.renderer(TEST_KIND)
def _render_test(row, rendering):
    snapshot = row.snapshot
    draft = SimpleNamespace(
        subject=snapshot["subject"], body=snapshot["body"], is_essential=snapshot["essential"]
    )
    return bilingual_message(draft, to=row.recipient, name=row.recipient_name)


def bilingual_message(broadcast, *, to, name=None):
    """The test of ``broadcast``: both languages, one after the other, with a sample link."""
    url = sample_unsubscribe_url()
    parts = [render_message(broadcast, lang, unsubscribe_url=url, to=to) for lang in LANGUAGES]
    subject = _("Test: %(subject)s", subject=" / ".join(part.subject for part in parts))
    with force_locale(LANGUAGES[0]):
        html = render_template(
            "emails/mailer/bilingual.html",
            subject=subject,
            parts=[
                {
                    "language": lang,
                    "direction": direction(lang),
                    "html": _content_html(broadcast, lang, url),
                }
                for lang in LANGUAGES
            ],
        )
    return Email(
        kind=TEST_KIND,
        recipient=to,
        recipient_name=name or None,
        language=parts[0].language,
        subject=subject[:300],
        text="\n\n---\n\n".join(part.text for part in parts),
        html=html,
    )


def _content_html(broadcast, language, unsubscribe_url):
    """The message's content in ``language``, without the layout around it."""
    with force_locale(language):
        return Markup(
            render_template(
                "emails/broadcast/_content.html",
                **_context(broadcast, language, unsubscribe_url),
            )
        )


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


def _intent(row):
    """One recipient's message: who, in which language; the broadcast says what."""
    return outbox.Intent(
        kind=KIND,
        recipient=row.email,
        recipient_name=row.full_name,
        language=_language(row.language),
        registration_id=row.id,
    )


def _queue_batch(broadcast_id):
    """Queue the next batch in one transaction; return (whether it is done, how many)."""
    database.begin_write()
    broadcast = _locked(broadcast_id)
    if broadcast.queued_at is not None:
        db.session.commit()
        return True, 0
    after = broadcast.last_registration_id or 0
    rows = db.session.execute(
        recipients_query(
            broadcast.conference, filters_of(broadcast), essential=broadcast.is_essential
        )
        .with_only_columns(
            Registration.id, Registration.email, Registration.full_name, Registration.language
        )
        .where(Registration.id > after, Registration.id <= (broadcast.max_registration_id or 0))
        .order_by(Registration.id)
        .limit(BATCH_SIZE)
    ).all()
    added = outbox.enqueue_many(
        ((f"broadcast:{broadcast.id}:{row.id}", _intent(row)) for row in rows),
        broadcast_id=broadcast.id,
    )
    broadcast.queued += added
    if rows:
        broadcast.last_registration_id = rows[-1].id
    done = len(rows) < BATCH_SIZE or rows[-1].id >= (broadcast.max_registration_id or 0)
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


@outbox.renderer(KIND)
def _render_announcement(row, rendering):
    """One recipient's copy; the broadcast is rendered once per delivery batch."""
    messages = rendering.cache.get((KIND, row.broadcast_id))
    if messages is None:
        broadcast = db.session.get(Broadcast, row.broadcast_id or 0)
        if broadcast is None:
            raise outbox.RenderError("its bulk email no longer exists")
        messages = rendering.cache[(KIND, row.broadcast_id)] = _Messages(broadcast)
    return messages.for_recipient(row, display=rendering.display)


class _Messages:
    """A broadcast rendered once per language; each recipient's copy swaps in their link.

    Rendering three templates per person would cost more than everything else together.
    The unsubscribe link is rendered as a random placeholder made of letters and digits
    only, which HTML escaping leaves alone, and replaced for each person.
    """

    def __init__(self, broadcast):
        self.essential = broadcast.is_essential
        self.placeholder = "unsubscribe" + secrets.token_hex(16)
        url = None if self.essential else self.placeholder
        self.rendered = {
            lang: render_message(broadcast, lang, unsubscribe_url=url) for lang in LANGUAGES
        }
        self.link = external_url("announcements.unsubscribe", token=self.placeholder)
        self.sign = _serializer().dumps  # one serializer: it derives its key once

    def for_recipient(self, row, *, display=False):
        """``row``'s copy (an outbox row); for display, with the sample unsubscribe link."""
        email = self.rendered[_language(row.language)]
        if self.essential:
            return dataclasses.replace(
                email, recipient=row.recipient, recipient_name=row.recipient_name
            )
        token = unsubscribe_token(0) if display else self.sign(row.registration_id)
        url = self.link.replace(self.placeholder, token)
        return dataclasses.replace(
            email,
            recipient=row.recipient,
            recipient_name=row.recipient_name,
            text=email.text.replace(self.placeholder, url),
            html=email.html.replace(self.placeholder, str(escape(url))),
            headers={k: v.replace(self.placeholder, url) for k, v in email.headers.items()},
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


# ---------------------------------------------------------------------------------------
# Unsubscribing


def _serializer():
    config = current_app.config
    # Links in old emails keep working after a key rotation (SECRET_KEY_FALLBACKS).
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
    return URLSafeSerializer(keys, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(registration_id):
    """The token in a registration's unsubscribe link: its id, signed. It does not expire."""
    return _serializer().dumps(registration_id)


def find_by_unsubscribe_token(token):
    """Return the registration an unsubscribe token names, or ``None`` (forged, erased)."""
    if not token or len(token) > 200:
        return None
    try:
        registration_id = _serializer().loads(token)
    except BadSignature:
        return None
    if type(registration_id) is not int:
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status == RegistrationStatus.erased:
        return None
    return registration


def set_announcements(registration, *, wanted):
    """Unsubscribe ``registration`` from announcements (or subscribe it again); commit."""
    if registration.announcements_opt_out == (not wanted):
        return registration
    registration.announcements_opt_out = not wanted
    registration.updated_at = utcnow()
    db.session.commit()
    return registration
