"""The volunteer's private link and the guardian's confirmation.

The token in the address is the key: these pages are never stored by browsers or
proxies, send no Referer and are not indexed; the token is redacted from every log line
(``<secret:token>``). The calendar feed and the certificate have blueprints of their own.
"""

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from conference.access import public
from conference.clock import utcnow
from conference.fields import ConfirmForm
from conference.i18n import current_language, format_number
from conference.volunteers import catalog, checks, forms, services
from conference.volunteers.models import SignupStatus, TokenPurpose

bp = Blueprint("volunteer", __name__)
bp.context_processor(catalog.template_helpers)


@bp.after_request
def keep_private_pages_private(response):
    """Pages at a private link: not stored anywhere, and the link never leaves in a Referer."""
    if request.view_args and "token" in request.view_args:
        response.cache_control.no_store = True
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _on_this_site(volunteer):
    return volunteer.conference.slug == current_app.config["CONFERENCE_SLUG"]


def _volunteer_or_404(token):
    volunteer = services.find_by_token(token)
    if volunteer is None or not _on_this_site(volunteer):
        abort(404)
    return volunteer


def _cutoff(volunteer, now):
    """Shifts starting before this can no longer be changed from the link."""
    settings = checks.settings_of(volunteer.conference)
    return now + timedelta(hours=settings.change_deadline_hours), settings


def _other_link(endpoint, token):
    """A link to another feature's page at this token, if that page exists."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, token=token)
    return None


@bp.route("/volunteer/<secret:token>")
@public
def manage(token):
    """My shifts, my hours, and what I can change."""
    volunteer = _volunteer_or_404(token)
    now = utcnow()
    cutoff, settings = _cutoff(volunteer, now)
    worked, hours = services.hours_worked(volunteer)
    return render_template(
        "volunteers/manage.html",
        volunteer=volunteer,
        token=token,
        signups=volunteer.current_signups,
        cutoff=cutoff,
        deadline_hours=settings.change_deadline_hours,
        worked=worked,
        # A whole number picks its plural form; a fraction reads as the "other" form.
        hours_form=int(hours) if hours == int(hours) else 100,
        hours_text=format_number(round(hours, 1)),
        feed_url=_other_link("volunteer_feed.manage", token),
        certificate_url=_other_link("volunteer_certificate.show", token),
    )


@bp.route("/volunteer/<secret:token>/shifts", methods=["GET", "POST"])
@public
def add_shifts(token):
    """Add shifts: the same picker as the sign-up, each refusal next to its shift."""
    volunteer = _volunteer_or_404(token)
    conference = volunteer.conference
    now = utcnow()
    shifts = catalog.all_shifts(conference)
    mine = {s.shift_id for s in volunteer.current_signups}
    offered = [shift for shift in shifts if shift.id not in mine]
    form = forms.AddShiftsForm.offering(shifts)  # mine too: the rules say "already"
    refusals = {}
    if form.validate_on_submit():
        try:
            services.add_shifts(volunteer, form.shifts.data, now=now)
        except services.Refused as exc:
            refusals = exc.refusals
        except services.VolunteerError as exc:
            form.shifts.errors = [*form.shifts.errors, exc]
        else:
            flash(_("Your new shifts are saved. We have emailed you the details."), "success")
            return redirect(url_for(".manage", token=token), code=303)
    elif not form.is_submitted():  # say in advance which shifts they could not take
        refusals = catalog.refusals_for(volunteer, offered, now, current_language())
    # Refused shifts are shown with their reasons: none may be hidden by the filter.
    args = {} if refusals and form.is_submitted() else request.args
    chosen = catalog.read_filter(conference, args.get("track"), args.get("day"))
    body = render_template(
        "volunteers/add_shifts.html",
        volunteer=volunteer,
        token=token,
        conference=conference,
        form=form,
        days=catalog.by_day(conference, shifts, chosen),
        all_days=[day.day for day in catalog.by_day(conference, shifts)],
        chosen=chosen,
        mine=mine,
        shifts={shift.id: shift for shift in shifts},
        refusals=refusals,
        advance=not form.is_submitted(),
    )
    return body, 400 if form.errors or refusals and form.is_submitted() else 200


@bp.route("/volunteer/<secret:token>/shifts/<int:shift_id>/drop", methods=["GET", "POST"])
@public
def drop(token, shift_id):
    """Drop one of my shifts, after a confirmation (until the change deadline)."""
    volunteer = _volunteer_or_404(token)
    signup = next((s for s in volunteer.current_signups if s.shift_id == shift_id), None)
    if signup is None:
        abort(404)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            services.drop_shift(volunteer, shift_id, now=utcnow())
        except services.VolunteerError as exc:
            error = str(exc)
        else:
            flash(_("You have dropped the shift. We have emailed you to confirm it."), "success")
            return redirect(url_for(".manage", token=token), code=303)
    cutoff, _settings = _cutoff(volunteer, utcnow())
    body = render_template(
        "volunteers/drop.html",
        volunteer=volunteer,
        token=token,
        signup=signup,
        form=form,
        error=error,
        too_late=signup.shift.starts_at < cutoff,
    )
    return body, 409 if error else 200


@bp.route("/volunteer/<secret:token>/erase", methods=["GET", "POST"])
@public
def erase(token):
    """Erase my data, after a confirmation: my places go to others."""
    volunteer = _volunteer_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.erase_volunteer(volunteer)  # nothing more, if a twin request did it
        return redirect(url_for("volunteers.erased"), code=303)
    return render_template("volunteers/erase.html", volunteer=volunteer, token=token, form=form)


@bp.route("/volunteer/guardian/<secret:token>", methods=["GET", "POST"])
@public
def guardian(token):
    """The guardian's confirmation: who, which shifts, and a button to confirm them."""
    volunteer = services.find_by_token(token, TokenPurpose.guardian)
    if volunteer is None or not _on_this_site(volunteer):
        return render_template("volunteers/guardian_unknown.html"), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        services.confirm_guardian(token, now=utcnow())  # a second time changes nothing
        return redirect(url_for(".guardian", token=token), code=303)
    signups = sorted(volunteer.signups, key=lambda s: (s.shift.starts_at, s.shift_id))
    held = [s for s in signups if s.status == SignupStatus.held]
    confirmed = [s for s in signups if s.status == SignupStatus.confirmed]
    ended = [
        s
        for s in signups
        if s.status == SignupStatus.dropped and s.held_until is not None and not s.confirmed_at
    ]
    return render_template(
        "volunteers/guardian.html",
        volunteer=volunteer,
        token=token,
        form=form,
        held=held,
        confirmed=confirmed,
        ended=ended,
    )
