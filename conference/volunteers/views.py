"""The public volunteer pages: the sign-up, its answer, a lost link, the erased page.

Views load, validate a form, call one service and redirect or render; the rules live in
``services`` and ``rules``. The answer to a sign-up comes from the session, never from
the database, so a repeated address reads exactly as a first sign-up.
"""

from datetime import datetime, timedelta

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from conference import text
from conference.access import public
from conference.clock import utcnow
from conference.content import services as content
from conference.extensions import csrf, limiter
from conference.i18n import current_language
from conference.registration.forms import EMAIL_MAX
from conference.volunteers import catalog, checks, forms, link, services

bp = Blueprint("volunteers", __name__)
bp.context_processor(catalog.template_helpers)

# Session keys: what the next page shows back, never put in a URL.
SIGNED_UP = "volunteers.signed_up"
LINK_EMAIL = "volunteers.link_email"

# Pages with answers or an address on them.
NO_STORE = {
    "volunteers.signup",
    "volunteers.signed_up",
    "volunteers.resend_link",
    "volunteers.link_sent",
}


def _signup_limit():
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _resend_limit():
    return current_app.config["RESEND_RATE_LIMIT"]


@bp.after_request
def keep_answers_private(response):
    if request.endpoint in NO_STORE:
        response.cache_control.no_store = True
    return response


# Exempt from the global CSRF check: the form checks its own token, so a page that timed
# out comes back with the answers kept and a line saying what happened.
@bp.route("/volunteer", methods=["GET", "POST"])
@public
@csrf.exempt
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    """The sign-up form: details, the sessions to keep free, the shifts (filterable)."""
    conference = content.conference_or_404()
    now = utcnow()
    settings = checks.settings_of(conference)
    if not settings.is_open(now):
        return _closed(conference, 403 if request.method == "POST" else 200)
    shifts = catalog.all_shifts(conference)
    sessions = catalog.sessions_with_times(conference)
    form = forms.SignupForm.for_conference(
        conference, shifts, sessions, language=current_language()
    )
    if form.is_submitted() and form.is_spam:  # looks like success; nothing is saved
        return _show_signed_up(form, settings, now)
    refusals = {}
    if form.validate_on_submit():
        try:
            services.sign_up(conference, now=now, **form.signup_values())
        except services.Refused as exc:
            refusals = exc.refusals
        except services.VolunteerError as exc:
            if not checks.settings_of(conference).is_open(utcnow()):
                return _closed(conference, 403)
            form.show_error(exc)
        else:  # new or repeated, the visitor sees the same page
            return _show_signed_up(form, settings, now)
    # Refused shifts are shown with their reasons: none may be hidden by the filter.
    args = {} if refusals and form.is_submitted() else request.args
    chosen = catalog.read_filter(conference, args.get("track"), args.get("day"))
    body = render_template(
        "volunteers/signup.html",
        conference=conference,
        form=form,
        days=catalog.by_day(conference, shifts, chosen),
        all_days=[day.day for day in catalog.by_day(conference, shifts)],
        chosen=chosen,
        sessions=sessions,
        shifts={shift.id: shift for shift in shifts},
        refusals=refusals,
    )
    return body, 400 if form.errors or refusals else 200


def _show_signed_up(form, settings, now):
    shown = {"email": (text.clean_text(form.email.data) or "")[:EMAIL_MAX]}
    if form.is_minor:
        shown["guardian"] = (text.clean_text(form.guardian_email.data) or "")[:EMAIL_MAX]
        held_until = now + timedelta(hours=settings.guardian_hold_hours)
        shown["held_until"] = held_until.isoformat(timespec="seconds")
    session[SIGNED_UP] = shown
    return redirect(url_for(".signed_up"), code=303)


def _closed(conference, status):
    """The "sign-up is closed" page: in the page language, then in the other one."""
    other = "en" if current_language() == "ar" else "ar"
    with force_locale(other):
        in_other = _closed_texts()
    body = render_template(
        "volunteers/closed.html",
        conference=conference,
        texts=_closed_texts(),
        other=other,
        in_other=in_other,
    )
    return body, status


def _closed_texts():
    return {
        "title": _("Volunteer sign-up is closed"),
        "text": _(
            "You cannot sign up to volunteer at For Syria at the moment. "
            "Check this page again later."
        ),
    }


@bp.route("/volunteer/done")
@public
def signed_up():
    """The answer to a sign-up: the same words whether it was new or repeated."""
    shown = session.pop(SIGNED_UP, None)
    if not isinstance(shown, dict) or "email" not in shown:
        return redirect(url_for(".signup"))
    try:
        held_until = datetime.fromisoformat(shown["held_until"]) if "held_until" in shown else None
    except (TypeError, ValueError):
        held_until = None
    return render_template(
        "volunteers/signed_up.html",
        email=shown["email"],
        guardian=shown.get("guardian"),
        held_until=held_until,
    )


@bp.route("/volunteer/link", methods=["GET", "POST"])
@public
@csrf.exempt  # as the sign-up form: the form checks its own token
@limiter.limit(_resend_limit, methods=["POST"])
def resend_link():
    """Ask for the private link again; the answer never says whether the address is known."""
    conference = content.conference_or_404()
    form = forms.ResendLinkForm()
    if form.validate_on_submit():
        link.send_link(conference, form.email.data)
        session[LINK_EMAIL] = form.email.data
        return redirect(url_for(".link_sent"), code=303)
    body = render_template("volunteers/resend_link.html", form=form)
    return body, 400 if form.errors else 200


@bp.route("/volunteer/link/sent")
@public
def link_sent():
    email = session.pop(LINK_EMAIL, None)
    if email is None:
        return redirect(url_for(".resend_link"))
    return render_template("volunteers/link_sent.html", email=email)


@bp.route("/volunteer/erased")
@public
def erased():
    return render_template("volunteers/erased.html")
