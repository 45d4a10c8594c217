"""Email attendees: compose in both languages, check, send a test to yourself, send; then
watch the messages leave. And the public unsubscribe page the emails link to.

The flow (POST, redirect, GET): the compose form saves a draft and opens its check page
(``manage.broadcast``), which shows both versions as recipients get them and the number
of people; from there the organizer changes it, sends a test to their own address, or
sends it. After sending, the same page shows progress and delivery status.
"""

import click
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_number
from flask_babel import gettext as _
from flask_login import current_user

from conference.access import Role, public, roles
from conference.config import LANGUAGES
from conference.content import services as content
from conference.extensions import cache, csrf, db
from conference.i18n import current_language, direction, translate
from conference.mailer import outbox
from conference.manage import bp
from conference.manage import bulk_services as services
from conference.manage.bulk_forms import ComposeForm
from conference.manage.bulk_models import Broadcast

# The public side: the unsubscribe link in announcements. Not under /manage, and its
# ``flask broadcast`` commands finish queueing from a terminal.
public_bp = Blueprint("announcements", __name__, cli_group="broadcast")

BULK_ROLES = (Role.admin, Role.organizer)
DELIVERY_SECONDS = 5

# The preview frame shows the email's own HTML, inline styles and all; nothing in it
# may run, load or submit anything.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


def _broadcast_or_404(conference, broadcast_id):
    return services.get_broadcast(conference, broadcast_id) or abort(404)


def _request_seconds():
    return current_app.config.get("BULK_EMAIL_REQUEST_SECONDS", services.DEFAULT_REQUEST_SECONDS)


@bp.route("/email", methods=["GET", "POST"])
@roles(*BULK_ROLES)
def bulk_email():
    """Write an email to a group of attendees; below, the emails sent and drafts kept."""
    conference = content.conference_or_404()
    form = ComposeForm.for_conference(conference)
    if request.method == "GET":
        form.preset(request.args)  # "email these people" from the attendee list
    if form.validate_on_submit():
        return _save(conference, form)
    return render_template(
        "manage/bulk_email.html",
        conference=conference,
        form=form,
        broadcasts=services.list_broadcasts(conference),
        number=format_number,
    )


@bp.route("/email/<int:broadcast_id>/edit", methods=["GET", "POST"])
@roles(*BULK_ROLES)
def broadcast_edit(broadcast_id):
    """Change a draft before it is sent."""
    conference = content.conference_or_404()
    broadcast = _broadcast_or_404(conference, broadcast_id)
    if not broadcast.is_draft:
        flash(_("This email has already been sent: it cannot be changed"), "error")
        return redirect(url_for(".broadcast", broadcast_id=broadcast.id), code=303)
    form = ComposeForm.for_conference(conference)
    if request.method == "GET":
        form.fill_from(broadcast)
    if form.validate_on_submit():
        return _save(conference, form, draft=broadcast)
    return render_template(
        "manage/bulk_email.html", conference=conference, form=form, draft=broadcast
    )


def _save(conference, form, draft=None):
    try:
        broadcast = services.save_draft(
            conference,
            **form.texts(),
            filters=form.filters(),
            essential=form.essential.data,
            author=current_user,
            draft=draft,
        )
    except services.BulkEmailError as exc:
        form.form_errors.append(str(exc))
        return render_template(
            "manage/bulk_email.html", conference=conference, form=form, draft=draft
        )
    return redirect(url_for(".broadcast", broadcast_id=broadcast.id), code=303)


@bp.route("/email/<int:broadcast_id>")
@roles(*BULK_ROLES)
def broadcast(broadcast_id):
    """A draft: both versions as recipients see them, and who gets it. Once sent: progress
    and delivery status."""
    conference = content.conference_or_404()
    broadcast = _broadcast_or_404(conference, broadcast_id)
    filters = services.filters_of(broadcast)
    context = {
        "conference": conference,
        "broadcast": broadcast,
        "segment": _segment(conference, filters),
        "number": format_number,
        "version_names": {"ar": _("Arabic version"), "en": _("English version")},
    }
    if broadcast.is_draft:
        return render_template(
            "manage/bulk_preview.html",
            audience=services.count_recipients(
                conference, filters, essential=broadcast.is_essential
            ),
            versions=[
                (lang, direction(lang), services.preview(broadcast, lang)) for lang in LANGUAGES
            ],
            **context,
        )
    return render_template(
        "manage/bulk_status.html",
        delivery=_delivery(broadcast),
        mail_configured=outbox.is_configured(),
        outbox_page="manage.outbox" in current_app.view_functions,
        **context,
    )


def _delivery(broadcast):
    """The delivery counts, at most a few seconds old: reloading the page does not count
    100,000 rows each time."""
    key = f"manage.broadcast.{broadcast.id}.delivery"
    delivery = cache.get(key)
    if delivery is None:
        delivery = services.delivery_status(broadcast)
        cache.set(key, delivery, timeout=DELIVERY_SECONDS)
    return delivery


@bp.route("/email/<int:broadcast_id>/preview/<any(ar, en):language>")
@roles(*BULK_ROLES)
def broadcast_preview(broadcast_id, language):
    """The HTML email itself, for the frame on the check page."""
    conference = content.conference_or_404()
    broadcast = _broadcast_or_404(conference, broadcast_id)
    response = make_response(services.preview(broadcast, language).html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.cache_control.no_store = True
    return response


@bp.post("/email/<int:broadcast_id>/test")
@roles(*BULK_ROLES)
def broadcast_test(broadcast_id):
    """Queue both versions, in one message, to the signed-in organizer."""
    conference = content.conference_or_404()
    broadcast = _broadcast_or_404(conference, broadcast_id)
    services.send_test(broadcast, to=current_user.email, name=current_user.name)
    if outbox.is_configured():
        flash(_("A test with both versions is on its way to %(email)s.", email=current_user.email))
    else:
        flash(_("The test is in the outbox. No mail server is set up yet, so it waits there."))
    return redirect(url_for(".broadcast", broadcast_id=broadcast.id), code=303)


@bp.post("/email/<int:broadcast_id>/send")
@roles(*BULK_ROLES)
def broadcast_send(broadcast_id):
    """Send it: queue one message per person. Pressing it again only resumes queueing."""
    conference = content.conference_or_404()
    broadcast = _broadcast_or_404(conference, broadcast_id)
    try:
        done = services.send_broadcast(broadcast, actor=current_user, seconds=_request_seconds())
    except services.BulkEmailError as exc:
        flash(str(exc), "error")
    else:
        if done:
            flash(_("Sent. Every message is in the outbox; below you can follow their delivery."))
        else:
            flash(_("Part of the messages are in the outbox. Press “Queue the rest” to go on."))
    return redirect(url_for(".broadcast", broadcast_id=broadcast.id), code=303)


def _segment(conference, filters):
    """The segment in words: (label, value, language of the value or None) rows."""
    rows = []
    if filters.track:
        track = next((t for t in conference.tracks if t.key == filters.track), None)
        rows.append((_("Track"), translate(track.name) if track else filters.track, None))
    if filters.status:
        labels = {"confirmed": _("Confirmed seat"), "waitlisted": _("On a waiting list")}
        rows.append((_("Status"), labels.get(filters.status, filters.status), None))
    if filters.language:
        names = {"ar": "العربية", "en": "English"}
        rows.append((_("Email language"), names[filters.language], filters.language))
    if filters.checked_in:
        labels = {"yes": _("Checked in"), "no": _("Not checked in")}
        rows.append((_("Checked in"), labels[filters.checked_in], None))
    if filters.q:
        rows.append((_("Name or email address contains"), filters.q, "auto"))
    return rows


# ---------------------------------------------------------------------------------------
# Unsubscribing (public)


@public_bp.after_request
def keep_link_private(response):
    """The token is the key: the page is not stored, indexed or sent on in a Referer."""
    response.cache_control.no_store = True
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# Mail clients POST here themselves for one-click unsubscribing (RFC 8058), with no
# session and no CSRF token: the signed token in the address is the only credential,
# and all it can do is stop announcements.
@public_bp.route("/unsubscribe/<secret:token>", methods=["GET", "POST"])
@public
@csrf.exempt
def unsubscribe(token):
    """GET: a page with an unsubscribe button. POST (that button, or the mail client):
    no more announcements."""
    registration = services.find_by_unsubscribe_token(token) or abort(404)
    if request.method == "POST":
        services.set_announcements(registration, wanted=False)
    return _unsubscribe_page(token, registration)


@public_bp.post("/unsubscribe/<secret:token>/undo")
@public
def resubscribe(token):
    """Receive announcements again, after unsubscribing by mistake."""
    registration = services.find_by_unsubscribe_token(token) or abort(404)
    services.set_announcements(registration, wanted=True)
    return _unsubscribe_page(token, registration, resubscribed=True)


def _unsubscribe_page(token, registration, resubscribed=False):
    """The page in the visitor's language, then the same words in the other one."""
    state = "out" if registration.announcements_opt_out else "in"
    if resubscribed:
        state = "back"
    other = "en" if current_language() == "ar" else "ar"
    with force_locale(other):
        in_other = _unsubscribe_texts(state)
    return render_template(
        "manage/bulk_unsubscribe.html",
        token=token,
        state=state,
        texts=_unsubscribe_texts(state),
        other=other,
        in_other=in_other,
    )


def _unsubscribe_texts(state):
    texts = {
        "in": {
            "title": _("Unsubscribe from announcements"),
            "text": _(
                "The For Syria organizers sometimes email everyone who registered with "
                "news about the conference. You can stop these announcements. Messages "
                "about your own registration still come."
            ),
        },
        "out": {
            "title": _("You are unsubscribed"),
            "text": _(
                "You will not receive announcements from the For Syria organizers any more. "
                "Messages about your own registration still come."
            ),
        },
        "back": {
            "title": _("You are subscribed again"),
            "text": _("You will receive announcements from the For Syria organizers again."),
        },
    }[state]
    texts["unsubscribe"] = _("Unsubscribe")
    texts["resubscribe"] = _("Receive announcements again")
    return texts


# ---------------------------------------------------------------------------------------
# ``flask broadcast``


@public_bp.cli.command("queue")
@click.argument("broadcast_id", type=int)
def queue_command(broadcast_id):
    """Finish queueing the messages of bulk email BROADCAST_ID (after sending started)."""
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise click.ClickException(f"There is no bulk email {broadcast_id}.")
    remaining = max(broadcast.recipients - broadcast.queued, 0)
    try:
        with click.progressbar(length=remaining, label="Queueing messages") as bar:
            services.queue_broadcast(broadcast, progress=bar.update)
    except services.BulkEmailError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.refresh(broadcast)
    click.echo(f"Bulk email {broadcast_id}: {broadcast.queued} messages queued.")
