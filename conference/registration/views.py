"""Registration pages: the form, its answer, the private manage pages, the privacy notice.

Views load, validate a form, call one service and redirect or render; the rules live in
``services``. Pages at a private link (``/registration/<token>``) are never stored by
browsers or proxies and send no Referer, since the token is the key to the registration.
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
    session,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from markupsafe import escape

from conference import text
from conference.access import public
from conference.calendar import ics
from conference.calendar import services as calendar
from conference.clock import utcnow
from conference.content import services as content
from conference.content.models import Track
from conference.extensions import csrf, limiter
from conference.fields import ConfirmForm
from conference.i18n import current_language
from conference.memo import RenderMemo
from conference.registration import checkin_code, email_change, forms, outcome, queries, services
from conference.urls import external_url

bp = Blueprint("registration", __name__)

# The private page's HTML, per process, by what it shows (``_page_key``).
PAGE_MEMO = RenderMemo(maxsize=512)
# The blank registration form's HTML, per process, by what it shows (``_form_key``), with
# slots for what each answer has of its own: the CSRF token, the form's one-time id and
# the seats left in each track.
FORM_MEMO = RenderMemo(maxsize=64)
SUBMISSION_SLOT = "\ufffesubmission\ufffe"

# Session keys: the address shown back on the next page, never put in a URL.
REGISTERED_EMAIL = "registration.email"
REGISTERED_PLACES = "registration.places"
LINK_EMAIL = "registration.link_email"
CHANGED_EMAIL = "registration.changed_email"

# Pages with answers or an address on them, but no token in their own address.
NO_STORE = {
    "registration.register",
    "registration.registered",
    "registration.resend_link",
    "registration.link_sent",
    "registration.email_changed",
}


def _registration_limit():
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _resend_limit():
    return current_app.config["RESEND_RATE_LIMIT"]


@bp.after_request
def keep_private_pages_private(response):
    """Pages at a private link: not stored anywhere, and the link never leaves in a Referer."""
    if request.view_args and "token" in request.view_args:
        response.cache_control.no_store = True
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    elif request.endpoint in NO_STORE:
        response.cache_control.no_store = True
    return response


def _registration_or_404(token, find=None):
    """The active registration ``token`` opens on this site's conference; else 404.

    The link of a registration that has ended (cancelled a moment ago by a twin request,
    say) answers as the cancellation or erasure did.
    """
    registration = (find or queries.find_by_token)(token)
    if registration is None:
        ended = queries.find_ended_by_token(token)
        if ended is not None and _on_this_site(ended):
            abort(_ended(ended.status))
    if registration is None or not _on_this_site(registration):
        abort(404)
    return registration


def _on_this_site(registration):
    return registration.conference.slug == current_app.config["CONFERENCE_SLUG"]


def _ended(status):
    """The page a cancellation (or an erasure) answers with."""
    erased = status == services.RegistrationStatus.erased
    return redirect(url_for(".erased" if erased else ".cancelled"), code=303)


# ---------------------------------------------------------------------------------------
# Registering


# Exempt from the global CSRF check: the form checks its own token, so a page that timed
# out comes back with the answers kept and a line saying what happened, not a 400 page.
@bp.route("/register", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit(_registration_limit, methods=["POST"])
def register():
    """The registration form; a valid answer registers the visitor (or, if repeated, not)."""
    conference = content.conference_or_404(with_tracks=True)
    if not conference.is_registration_open(utcnow()):
        return _closed(conference, 403 if request.method == "POST" else 200)
    if request.method == "GET" and "_flashes" not in session:
        return _blank_form(conference)
    form = forms.RegisterForm.for_conference(conference, language=current_language())
    if form.is_submitted() and form.is_spam:  # looks like success; nothing is saved
        return _show_registered(form.email.data, outcome.shown_places(conference, form.tracks.data))
    if form.validate_on_submit():
        values = form.registration_values()
        try:
            result = services.register_attendee(conference, **values)
        except services.RegistrationError as exc:
            if not conference.is_registration_open(utcnow()):
                return _closed(conference, 403)
            form.form_errors.append(str(exc))
        else:  # new or repeated, the visitor sees the same page
            shown = outcome.shown_places(
                conference,
                values["track_keys"],
                outcome=result,
                submission_id=values["submission_id"],
            )
            return _show_registered(form.email.data, shown)
    return _render_form(conference, form)


def _render_form(conference, form, seats_left=None):
    return render_template(
        "registration/register.html",
        conference=conference,
        form=form,
        seats_left=seats_left or _seats_left,
    )


def _seats_left(track):
    """What the form says of a track's seats: how many are left, or that it is full."""
    if track.seats_left:
        return ngettext("%(num)s place left", "%(num)s places left", track.seats_left)
    return _("Full: you will join the waiting list")


def _seats_slot(track):
    return f"\ufffeseats:{track.id}\ufffe"


def _blank_form(conference):
    """The form as a first visit sees it, kept per process (docs/design.md, "Registration").

    Rendered once per key; each answer then fills in its own CSRF token, a new one-time
    id and each track's seats left, read now, so no two visitors share an id or a token.
    """
    submission_id = forms.new_submission_id()

    def render():
        form = forms.RegisterForm.for_conference(conference, language=current_language())
        form.submission_id.data = SUBMISSION_SLOT
        return _render_form(conference, form, seats_left=_seats_slot)

    html = FORM_MEMO.get_or_render_form_page(_form_key(conference), render)
    html = html.replace(SUBMISSION_SLOT, submission_id)
    for track in conference.tracks:
        html = html.replace(_seats_slot(track), str(escape(_seats_left(track))))
    return html


def _form_key(conference):
    """Everything the blank form is made of but its slots, read in this request."""
    conference_row = conference.__table__.columns.keys()
    counts = {"seats_taken", "places_waiting"}  # filled in per answer, or not shown
    track_row = [name for name in Track.__table__.columns.keys() if name not in counts]
    return repr(
        (
            current_language(),
            request.full_path,
            tuple(getattr(conference, name) for name in conference_row),
            tuple(tuple(getattr(track, name) for name in track_row) for track in conference.tracks),
        )
    )


def _show_registered(email, shown):
    session[REGISTERED_EMAIL] = (text.clean_text(email) or "")[: forms.EMAIL_MAX]
    session[REGISTERED_PLACES] = [item.as_list() for item in shown]
    return redirect(url_for(".registered"), code=303)


def _closed(conference, status):
    """The "registration is closed" page: in the page language, then in the other one."""
    other = "en" if current_language() == "ar" else "ar"
    with force_locale(other):
        in_other = _closed_texts()
    body = render_template(
        "registration/closed.html",
        conference=conference,
        texts=_closed_texts(),
        other=other,
        in_other=in_other,
    )
    return body, status


def _closed_texts():
    return {
        "title": _("Registration is closed"),
        "text": _(
            "Registration for For Syria is not open at the moment. Check this page again later."
        ),
    }


@bp.route("/register/done")
@public
def registered():
    """The answer to a registration: the same words whether it was new, repeated or refused."""
    email = session.pop(REGISTERED_EMAIL, None)
    stored = session.pop(REGISTERED_PLACES, None)
    if email is None:
        return redirect(url_for(".register"))
    conference = content.conference_or_404()
    places = outcome.from_session(conference, stored)
    return render_template("registration/registered.html", email=email, places=places)


@bp.route("/privacy")
@public
def privacy():
    """What we keep about attendees, why, for how long and who sees it."""
    return render_template("registration/privacy.html", conference=content.conference_or_404())


# ---------------------------------------------------------------------------------------
# A lost link


@bp.route("/register/link", methods=["GET", "POST"])
@public
@csrf.exempt  # as the registration form: the form checks its own token
@limiter.limit(_resend_limit, methods=["POST"])
def resend_link():
    """Ask for the private link again; the answer never says whether the address is known."""
    conference = content.conference_or_404()
    form = forms.ResendLinkForm()
    if form.validate_on_submit():
        services.send_manage_link(conference, form.email.data)
        session[LINK_EMAIL] = form.email.data
        return redirect(url_for(".link_sent"), code=303)
    return render_template("registration/resend_link.html", form=form)


@bp.route("/register/link/sent")
@public
def link_sent():
    email = session.pop(LINK_EMAIL, None)
    if email is None:
        return redirect(url_for(".resend_link"))
    return render_template("registration/link_sent.html", email=email)


# ---------------------------------------------------------------------------------------
# The private link


@bp.route("/registration/<secret:token>")
@public
def manage(token):
    """The registration behind a private link: places, details, and what can be done."""
    registration = _registration_or_404(token, queries.find_page_by_token)
    waiting = queries.places_in_line(registration.waitlisted_places)

    def render():
        return render_template(
            "registration/manage.html",
            registration=registration,
            token=token,
            waiting=waiting,
            checkin_qr=checkin_code.checkin_qr_svg(registration),
        )

    if "_flashes" in session:  # a message to show once: rendered, never kept
        return render()
    # The token has opened this registration; the key holds everything the page is made
    # of, as read from the database just now (docs/design.md, "Private pages").
    return PAGE_MEMO.get_or_render(_page_key(registration, token, waiting), render)


def _page_key(registration, token, waiting):
    row = registration.__table__.columns.keys()
    return (
        registration.id,
        token,
        request.full_path,
        current_language(),
        registration.conference.content_version,
        tuple(getattr(registration, name) for name in row),
        tuple((p.id, p.track_id, p.status, p.confirmed_at) for p in registration.places),
        tuple(sorted(waiting.items())),
    )


@bp.route("/registration/<secret:token>/tracks", methods=["GET", "POST"])
@public
def change_tracks(token):
    """Choose tracks again: new ones get a seat or a place in line, dropped seats go on."""
    registration = _registration_or_404(token)
    form = forms.ManageTracksForm.for_registration(registration)
    if form.validate_on_submit():
        try:
            changed = services.change_tracks(registration, form.tracks.data)
        except services.RegistrationEnded as exc:
            return _ended(exc.status)
        except services.RegistrationError as exc:
            form.form_errors.append(str(exc))
        else:
            if changed:
                flash(_("Your tracks are saved. We have emailed you the details."), "success")
            else:
                flash(_("Your tracks are unchanged."), "success")
            return redirect(url_for(".manage", token=token), code=303)
    waiting = queries.places_in_line(registration.waitlisted_places)
    return render_template(
        "registration/change_tracks.html",
        registration=registration,
        token=token,
        form=form,
        waiting=waiting,
    )


@bp.route("/registration/<secret:token>/details", methods=["GET", "POST"])
@public
def change_details(token):
    """Change name, phone, city, state, email language, needs and photo consent."""
    registration = _registration_or_404(token)
    form = forms.DetailsForm(obj=registration)
    if form.validate_on_submit():
        try:
            services.update_details(registration, **form.details())
        except services.RegistrationEnded as exc:
            return _ended(exc.status)
        except services.RegistrationError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(_("Your details are saved."), "success")
            return redirect(url_for(".manage", token=token), code=303)
    return render_template(
        "registration/change_details.html", registration=registration, token=token, form=form
    )


# ---------------------------------------------------------------------------------------
# A new email address


@bp.route("/registration/<secret:token>/email", methods=["GET", "POST"])
@public
@limiter.limit(_resend_limit, methods=["POST"])
def change_email(token):
    """Ask to move the registration to a new address: a link to confirm goes there."""
    registration = _registration_or_404(token)
    form = forms.EmailChangeForm()
    if form.validate_on_submit():
        try:
            email_change.request_change(registration, form.email.data)
        except services.RegistrationEnded as exc:
            return _ended(exc.status)
        except services.RegistrationError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(
                _(
                    "If this address can be used, we have sent it a link to confirm the "
                    "change. Until you follow it, your registration keeps its address."
                ),
                "success",
            )
            return redirect(url_for(".manage", token=token), code=303)
    body = render_template(
        "registration/change_email.html", registration=registration, token=token, form=form
    )
    return body, 422 if form.errors else 200


@bp.route("/registration/new-address/<secret:token>", methods=["GET", "POST"])
@public
def confirm_email(token):
    """The link sent to a new address: confirm, and the registration moves to it."""
    change = email_change.find_change(token)
    if change is None or not _on_this_site(change.registration):
        message = _("This link has expired or has already been used.")
        return _email_change_refused(message, 404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            registration = email_change.confirm_change(change)
        except services.RegistrationEnded as exc:
            return _ended(exc.status)
        except email_change.EmailChangeError as exc:
            return _email_change_refused(str(exc), 409)
        session[CHANGED_EMAIL] = registration.email
        return redirect(url_for(".email_changed"), code=303)
    return render_template("registration/confirm_email.html", change=change, token=token, form=form)


def _email_change_refused(message, status):
    return render_template("registration/email_change_refused.html", message=message), status


@bp.route("/register/email-changed")
@public
def email_changed():
    email = session.pop(CHANGED_EMAIL, None)
    if email is None:
        return redirect(url_for("site.home"))
    return render_template("registration/email_changed.html", email=email)


@bp.route("/registration/<secret:token>/invite.ics")
@public
def calendar_file(token):
    """The conference as a calendar file, with the same UID as the emailed invitation."""
    registration = queries.find_by_token(token)
    if registration is None or not _on_this_site(registration):
        abort(404)
    if not registration.confirmed_places:
        abort(404)
    conference = registration.conference
    with force_locale(registration.language):
        event = calendar.conference_event(conference, page_url=external_url("site.home"))
        body = ics.feed(
            {registration.ics_uid: event},
            name=None,
            organizer=calendar.organizer(conference, confirmed_only=False),
        )
    response = make_response(body)
    response.content_type = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{conference.slug}.ics"'
    return response


@bp.route("/registration/<secret:token>/cancel", methods=["GET", "POST"])
@public
def cancel(token):
    """Cancel, after a confirmation: the seats go to the people waiting."""
    registration = _registration_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.cancel_registration(registration)  # nothing more, if a twin request did it
        return _ended(registration.status)
    return render_template(
        "registration/cancel.html", registration=registration, token=token, form=form
    )


@bp.route("/registration/<secret:token>/erase", methods=["GET", "POST"])
@public
def erase(token):
    """Cancel and erase the personal data, after a confirmation."""
    registration = _registration_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.erase_registration(registration)  # nothing more, if a twin request did it
        return _ended(registration.status)
    return render_template(
        "registration/erase.html", registration=registration, token=token, form=form
    )


@bp.route("/register/cancelled")
@public
def cancelled():
    return render_template("registration/done.html", done="cancelled")


@bp.route("/register/erased")
@public
def erased():
    return render_template("registration/done.html", done="erased")
