"""Email attendees: compose in both languages, check, send a test to yourself, send; then
watch the messages leave. (The public unsubscribe page the emails link to is in ``views``.)

The flow (POST, redirect, GET): the list of emails (``announcements.index``) leads to the
compose form (``announcements.compose``), which saves a draft and opens its check page
(``announcements.broadcast``), which shows both versions as recipients get them and the number
of people; from there the organizer changes it, sends a test to their own address, or
sends it. After sending, the same page shows progress and delivery status.
"""

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
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from conference.access import Role, roles
from conference.announcements import emails, queries, services
from conference.announcements.staff_forms import ComposeForm
from conference.config import LANGUAGES
from conference.content import services as content
from conference.extensions import cache
from conference.i18n import direction, translate
from conference.mailer import outbox

bp = Blueprint("announcements", __name__, url_prefix="/manage")

BULK_ROLES = (Role.admin, Role.organizer)
DELIVERY_SECONDS = 5
# The mailer's outbox page, linked to when it exists (by name: no feature imports another's
# views).
OUTBOX_PAGE = "outbox.index"

# The preview frame shows the email's own HTML, inline styles and all; nothing in it
# may run, load or submit anything.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


def _broadcast_or_404(conference, broadcast_id):
    return queries.get_broadcast(conference, broadcast_id) or abort(404)


def _request_seconds():
    return current_app.config["BULK_EMAIL_REQUEST_SECONDS"]


@bp.get("/email")
@roles(*BULK_ROLES)
def index():
    """The emails sent and the drafts kept, newest first, and the button to write one."""
    conference = content.conference_or_404()
    return render_template(
        "announcements/index.html",
        conference=conference,
        broadcasts=queries.list_broadcasts(conference),
        number=format_number,
    )


@bp.route("/email/new", methods=["GET", "POST"])
@roles(*BULK_ROLES)
def compose():
    """Write an email to a group of attendees (the list's "New email")."""
    conference = content.conference_or_404()
    form = ComposeForm.for_conference(conference)
    if request.method == "GET":
        form.preset(request.args)  # "email these people" from the attendee list
    if form.validate_on_submit():
        return _save(conference, form)
    return render_template("announcements/compose.html", conference=conference, form=form)


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
        "announcements/compose.html", conference=conference, form=form, draft=broadcast
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
            "announcements/compose.html", conference=conference, form=form, draft=draft
        )
    return redirect(url_for(".broadcast", broadcast_id=broadcast.id), code=303)


@bp.route("/email/<int:broadcast_id>")
@roles(*BULK_ROLES)
def broadcast(broadcast_id):
    """A draft: both versions as recipients see them, and who gets it. Once sent: progress
    and delivery status."""
    conference = content.conference_or_404()
    broadcast = _broadcast_or_404(conference, broadcast_id)
    filters = queries.filters_of(broadcast)
    context = {
        "conference": conference,
        "broadcast": broadcast,
        "segment": _segment(conference, filters),
        "number": format_number,
        "version_names": {"ar": _("Arabic version"), "en": _("English version")},
    }
    if broadcast.is_draft:
        return render_template(
            "announcements/preview.html",
            audience=queries.count_recipients(
                conference, filters, essential=broadcast.is_essential
            ),
            versions=[
                (lang, direction(lang), emails.preview(broadcast, lang)) for lang in LANGUAGES
            ],
            **context,
        )
    return render_template(
        "announcements/status.html",
        delivery=_delivery(broadcast),
        mail_configured=outbox.is_configured(),
        outbox_page=OUTBOX_PAGE in current_app.view_functions,
        **context,
    )


def _delivery(broadcast):
    """The delivery counts, at most a few seconds old: reloading the page does not count
    100,000 rows each time."""
    key = f"announcements.broadcast.{broadcast.id}.delivery"
    delivery = cache.get(key)
    if delivery is None:
        delivery = queries.delivery_status(broadcast)
        cache.set(key, delivery, timeout=DELIVERY_SECONDS)
    return delivery


@bp.route("/email/<int:broadcast_id>/preview/<any(ar, en):language>")
@roles(*BULK_ROLES)
def broadcast_preview(broadcast_id, language):
    """The HTML email itself, for the frame on the check page."""
    conference = content.conference_or_404()
    broadcast = _broadcast_or_404(conference, broadcast_id)
    response = make_response(emails.preview(broadcast, language).html)
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
        flash(
            _(
                "A test with both versions is on its way to %(email)s.",
                email=current_user.email,
            ),
            "success",
        )
    else:
        flash(
            _("The test is in the outbox. No mail server is set up yet, so it waits there."),
            "warning",
        )
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
            flash(
                _("Sent. Every message is in the outbox; below you can follow their delivery."),
                "success",
            )
        else:
            flash(
                _("Part of the messages are in the outbox. Press “Queue the rest” to go on."),
                "warning",
            )
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
