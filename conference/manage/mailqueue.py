"""The outbox page: the mail the app has sent, is about to send or could not send.

Pages over ``conference.mailer.outbox`` (named ``mailqueue`` so it is not confused with
it). Without a mail server (the embedded default) nothing is sent, and this is where
organizers read what the app would have sent. The outbox stores what to send, not the
rendered message: these pages render it again (``outbox.render_for_display``) with its
private links removed, minting none, so neither the page nor the ``.eml`` download ever
holds a working link. A message's HTML part is never put into the page: it is shown as
escaped source, and the whole message can be downloaded as an ``.eml`` file to open in a
mail program.
"""

import logging

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from conference import database
from conference.access import PERSONAL_DATA, roles
from conference.accounts.forms import ConfirmForm
from conference.clock import utcnow
from conference.extensions import cache, db
from conference.mailer import outbox
from conference.mailer.models import MessageStatus, OutboxMessage
from conference.manage import bp, display  # noqa: F401 - display registers filters
from conference.pager import keyset_page
from conference.urls import database_id
from conference.web import private

log = logging.getLogger("conference.manage")

PAGE_SIZE = 50
COUNTS_KEY = "manage.outbox.counts"
COUNTS_SECONDS = 30  # the page shows counts at most this old; a retry here refreshes them

STATUS_LABELS = {
    MessageStatus.pending: _l("Waiting"),
    MessageStatus.sending: _l("Being sent"),
    MessageStatus.sent: _l("Sent"),
    MessageStatus.failed: _l("Failed"),
}


# --- Queries (plain functions: the views and the tests call them) -------------------------


def status_counts():
    """Messages in each status, cached briefly so the page never counts on every view."""
    counts = cache.get(COUNTS_KEY)
    if counts is None:
        counts = {status.value: n for status, n in outbox.counts().items()}
        cache.set(COUNTS_KEY, counts, timeout=COUNTS_SECONDS)
    return {MessageStatus(value): n for value, n in counts.items()}


def forget_counts():
    cache.delete(COUNTS_KEY)


def list_page(*, status=None, before_id=None, size=PAGE_SIZE):
    """One page of messages, newest first, and the id to continue before (or ``None``).

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
    return keyset_page(query, OutboxMessage.id, before=before_id, size=size)


def retry_failed_message(message_id):
    """Queue one failed message again. Commits.

    :raises outbox.OutboxError: there is no such message, or it has not failed.
    """
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.status != MessageStatus.failed:
        raise outbox.OutboxError(_("Only a failed message can be tried again."))
    count = outbox.retry(message_id)
    forget_counts()
    return count


def retry_all_failed():
    """Queue every failed message again. Commits; returns how many.

    One UPDATE rather than ``outbox.retry(failed=True)``, which loads every failed row
    with its bodies: after a mail-server outage during a bulk email that can be 100,000.
    """
    database.begin_write()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.failed)
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
    return result.rowcount


def _deliver_after_response():
    # The embedded default sends after a request that queued mail (mailer.init_app).
    g.outbox_enqueued = True


# --- Pages -------------------------------------------------------------------------------


def _status_arg():
    value = request.args.get("status", "", type=str)
    try:
        return MessageStatus(value) if value else None
    except ValueError:
        return None  # an unknown status shows every message


def _render_error(exc):
    if isinstance(exc, outbox.RenderError):
        return str(exc)
    log.warning("message cannot be shown", exc_info=True)
    return exc.__class__.__name__


def _message_or_404(message_id):
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        abort(404)
    return row


@bp.route("/outbox", endpoint="outbox")  # the function name would hide the outbox module
@roles(*PERSONAL_DATA)
def outbox_page():
    """Messages newest first, 50 a page, by status; retry what failed."""
    status = _status_arg()
    before = request.args.get("before", type=database_id)
    rows, next_before = list_page(status=status, before_id=before)
    args = {"status": status.value} if status else {}
    counts = status_counts()
    return private(
        render_template(
            "manage/outbox.html",
            rows=rows,
            status=status,
            counts=counts,
            failed_count=counts[MessageStatus.failed],
            labels=STATUS_LABELS,
            configured=outbox.is_configured(),
            first_url=url_for(".outbox", **args) if before is not None else None,
            next_url=url_for(".outbox", **args, before=next_before) if next_before else None,
            confirm=ConfirmForm(),
        )
    )


@bp.route("/outbox/<int:message_id>")
@roles(*PERSONAL_DATA)
def outbox_message(message_id):
    """One message: who it is for, what happened, and its text as the recipient reads it."""
    row = _message_or_404(message_id)
    email, render_error = None, None
    if row.recipient:  # emptied when the attendee erased their registration
        try:
            email = outbox.render_for_display(row)
        except Exception as exc:  # the page still shows the row, and says why
            render_error = _render_error(exc)
    return private(
        render_template(
            "manage/outbox_message.html",
            row=row,
            email=email,
            render_error=render_error,
            attachment_names=outbox.attachment_names(email) if email else [],
            labels=STATUS_LABELS,
            configured=outbox.is_configured(),
            confirm=ConfirmForm(),
        )
    )


@bp.route("/outbox/<int:message_id>/message.eml")
@roles(*PERSONAL_DATA)
def outbox_message_download(message_id):
    """The whole message as an .eml file, to open in a mail program."""
    row = _message_or_404(message_id)
    if not row.recipient:  # emptied when the attendee erased their registration
        abort(404)
    try:
        email = outbox.render_for_display(row)
    except Exception as exc:
        flash(_("This message cannot be shown: %(reason)s", reason=_render_error(exc)), "error")
        return redirect(url_for(".outbox_message", message_id=message_id), code=303)
    body = outbox.build_message(row, email).as_bytes()
    response = Response(body, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="message-{row.id}.eml"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/outbox/<int:message_id>/retry")
@roles(*PERSONAL_DATA)
def outbox_retry(message_id):
    """Try one failed message again."""
    _message_or_404(message_id)
    if ConfirmForm().validate_on_submit():
        try:
            retry_failed_message(message_id)
        except outbox.OutboxError as exc:
            flash(str(exc), "error")
        else:
            _deliver_after_response()
            flash(_("The message will be sent again."), "success")
    return redirect(url_for(".outbox_message", message_id=message_id), code=303)


@bp.post("/outbox/retry-failed")
@roles(*PERSONAL_DATA)
def outbox_retry_failed():
    """Try every failed message again."""
    if ConfirmForm().validate_on_submit():
        count = retry_all_failed()
        if count:
            _deliver_after_response()
        flash(
            ngettext(
                "%(num)s failed message will be sent again.",
                "%(num)s failed messages will be sent again.",
                count,
            ),
            "success",
        )
    return redirect(url_for(".outbox"), code=303)
