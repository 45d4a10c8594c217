"""The outbox page: the mail the app has sent, is about to send or could not send.

Back-office pages over the outbox (``admin`` lists and retries). Without a mail server
(the embedded default) nothing is sent, and this is where organizers read what the app
would have sent. The outbox stores what to send, not the rendered message: these pages
render it again (``renderers.render_for_display``) with its
private links removed, minting none, so neither the page nor the ``.eml`` download ever
holds a working link. A message's HTML part is never put into the page: it is shown as
escaped source, and the whole message can be downloaded as an ``.eml`` file to open in a
mail program.
"""

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext

from conference.access import PERSONAL_DATA, roles
from conference.fields import ConfirmForm
from conference.mailer import admin
from conference.mailer.delivery import is_configured
from conference.mailer.mime import attachment_names, build_message
from conference.mailer.models import MessageStatus
from conference.mailer.renderers import RenderError, render_for_display
from conference.urls import database_id
from conference.web import private

log = logging.getLogger("conference.mailer")

bp = Blueprint("outbox", __name__, url_prefix="/manage")


def status_labels():
    """Each status in words: a state, not a verb ("Sent" is also a column's header)."""
    return {
        MessageStatus.pending: pgettext("message status", "Waiting"),
        MessageStatus.sending: pgettext("message status", "Being sent"),
        MessageStatus.sent: pgettext("message status", "Sent"),
        MessageStatus.failed: pgettext("message status", "Failed"),
    }


# The pill each status is shown as (see templates/_macros/lists.html).
STATUS_PILLS = {
    MessageStatus.pending: "waiting",
    MessageStatus.sending: "neutral",
    MessageStatus.sent: "ok",
    MessageStatus.failed: "danger",
}


def _status_arg():
    value = request.args.get("status", "", type=str)
    try:
        return MessageStatus(value) if value else None
    except ValueError:
        return None  # an unknown status shows every message


def _render_error(exc):
    if isinstance(exc, RenderError):
        return str(exc)
    log.warning("message cannot be shown", exc_info=True)
    return exc.__class__.__name__


def _message_or_404(message_id):
    return admin.get_message(message_id) or abort(404)


@bp.route("/outbox")
@roles(*PERSONAL_DATA)
def index():
    """Messages newest first, 50 a page, by status; retry what failed."""
    status = _status_arg()
    after = request.args.get("after", type=database_id)
    before = request.args.get("before", type=database_id) if after is None else None
    start = request.args.get("start", type=database_id) if after or before else 1
    window = admin.list_page(status=status, after_id=after, before_id=before)
    rows = window.rows
    args = {"status": status.value} if status else {}
    counts = admin.status_counts()  # at most 30 seconds old: the range is approximate too
    total = counts[status] if status else sum(counts.values())
    if not window.has_previous:
        start = 1
    elif start:
        start = max(1, min(start, total - len(rows) + 1))
    prev_url = next_url = None
    if rows and window.has_previous:
        prev_start = max(1, start - admin.PAGE_SIZE) if start else None
        prev_url = url_for(".index", **args, before=rows[0].id, start=prev_start)
    if rows and window.has_next:
        next_url = url_for(
            ".index", **args, after=rows[-1].id, start=start + len(rows) if start else None
        )
    return private(
        render_template(
            "mailer/outbox.html",
            rows=rows,
            status=status,
            counts=counts,
            total=max(total, (start or 1) + len(rows) - 1) if rows else total,
            start=start,
            failed_count=counts[MessageStatus.failed],
            labels=status_labels(),
            pills=STATUS_PILLS,
            kind_label=admin.kind_label,
            configured=is_configured(),
            paged=after is not None or before is not None,
            first_url=url_for(".index", **args),
            prev_url=prev_url,
            next_url=next_url,
            confirm=ConfirmForm(),
        )
    )


@bp.route("/outbox/<int:message_id>")
@roles(*PERSONAL_DATA)
def message(message_id):
    """One message: who it is for, what happened, and its text as the recipient reads it."""
    row = _message_or_404(message_id)
    email, render_error = None, None
    if row.recipient:  # emptied when the attendee erased their registration
        try:
            email = render_for_display(row)
        except Exception as exc:  # the page still shows the row, and says why
            render_error = _render_error(exc)
    return private(
        render_template(
            "mailer/outbox_message.html",
            row=row,
            email=email,
            render_error=render_error,
            attachment_names=attachment_names(email) if email else [],
            labels=status_labels(),
            pills=STATUS_PILLS,
            kind_label=admin.kind_label,
            configured=is_configured(),
            confirm=ConfirmForm(),
        )
    )


@bp.route("/outbox/<int:message_id>/message.eml")
@roles(*PERSONAL_DATA)
def message_download(message_id):
    """The whole message as an .eml file, to open in a mail program."""
    row = _message_or_404(message_id)
    if not row.recipient:  # emptied when the attendee erased their registration
        abort(404)
    try:
        email = render_for_display(row)
    except Exception as exc:
        flash(_("This message cannot be shown: %(reason)s", reason=_render_error(exc)), "error")
        return redirect(url_for(".message", message_id=message_id), code=303)
    body = build_message(row, email).as_bytes()
    response = Response(body, mimetype="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="message-{row.id}.eml"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/outbox/<int:message_id>/retry")
@roles(*PERSONAL_DATA)
def retry(message_id):
    """Try one failed message again."""
    _message_or_404(message_id)
    if ConfirmForm().validate_on_submit():
        try:
            admin.retry_failed_message(message_id)
        except admin.OutboxError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The message will be sent again."), "success")
    return redirect(url_for(".message", message_id=message_id), code=303)


@bp.post("/outbox/retry-failed")
@roles(*PERSONAL_DATA)
def retry_failed():
    """Try every failed message again."""
    if ConfirmForm().validate_on_submit():
        count = admin.retry_all_failed()
        flash(
            ngettext(
                "%(num)s failed message will be sent again.",
                "%(num)s failed messages will be sent again.",
                count,
            ),
            "success",
        )
    return redirect(url_for(".index"), code=303)
