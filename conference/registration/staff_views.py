"""The organizers' attendee pages: the list, one attendee's page and what organizers do
there, track capacities, and the export (columns and streaming: ``exports``).

Personal data: admins and organizers only. Pages with people's details are never stored
by browsers or proxies (``no-store``). Each action is a POST with a CSRF token and is
recorded in the audit log by the service it calls.
"""

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from conference.access import PERSONAL_DATA, may_open, roles
from conference.content import services as content
from conference.content.models import Track
from conference.extensions import db
from conference.fields import ConfirmForm
from conference.i18n import current_language, direction, translate
from conference.registration import exports, queries
from conference.registration import staff_services as services
from conference.registration.errors import RegistrationError
from conference.registration.staff_forms import (
    AttendeeDetailsForm,
    AttendeeFilterForm,
    CapacityForm,
    ExportForm,
)
from conference.urls import database_id
from conference.web import private

bp = Blueprint("registration_staff", __name__, url_prefix="/manage")

PAGE_SIZE = 50


def _registration_or_404(registration_id):
    if not 0 < registration_id < 2**31:  # no such id; and more than the database's integer
        abort(404)
    registration = services.get_registration(content.conference_or_404(), registration_id)
    if registration is None:
        abort(404)
    return registration


def _back(registration):
    return redirect(url_for(".attendee", registration_id=registration.id), code=303)


@bp.route("/attendees")
@roles(*PERSONAL_DATA)
def attendees():
    """Registrations, 50 a page, newest first or by name: search, filter, page both ways."""
    conference = content.conference_or_404()
    form = AttendeeFilterForm.for_conference(conference, request.args)
    sort = request.args.get("sort", "")
    sort = sort if sort in queries.SORTS else queries.DEFAULT_SORT
    after = request.args.get("after", type=database_id)
    before = request.args.get("before", type=database_id) if after is None else None
    # Where the page starts in the list, carried by the previous/next links (counting the
    # rows ahead of a page deep in a large list would cost more than the page).
    start = request.args.get("start", type=database_id) if after or before else 1
    window, places, total = None, {}, 0
    if form.validate():
        filters = form.filters()
        window = services.list_page(
            conference,
            filters,
            sort=sort,
            after_id=after,
            before_id=before,
            size=PAGE_SIZE,
            actor=current_user,
        )
        places = services.places_of(conference, window.rows)
        total = queries.count_matches(conference, filters)
        if not window.has_previous:
            start = 1
        elif start and total <= queries.COUNT_LIMIT:
            start = max(1, min(start, total - len(window.rows) + 1))
    args = form.filters().as_dict()
    if sort != queries.DEFAULT_SORT:
        args["sort"] = sort
    rows = window.rows if window else []
    prev_url = next_url = None
    if rows and window.has_previous:
        prev_start = max(1, start - PAGE_SIZE) if start else None
        prev_url = url_for(".attendees", **args, before=rows[0].id, start=prev_start)
    if rows and window.has_next:
        next_start = start + len(rows) if start else None
        next_url = url_for(".attendees", **args, after=rows[-1].id, start=next_start)

    def url_for_sort(value):
        return url_for(
            ".attendees", **{**args, "sort": value if value != queries.DEFAULT_SORT else None}
        )

    return private(
        render_template(
            "registration/attendees.html",
            conference=conference,
            form=form,
            rows=rows,
            places=places,
            seat_labels={  # translated once a page
                translate(track.name): _("%(track)s: seat", track=translate(track.name))
                for track in conference.tracks
            },
            total=min(total, queries.COUNT_LIMIT),
            more=total > queries.COUNT_LIMIT,
            start=start,
            sort=sort,
            url_for_sort=url_for_sort,
            filtered=bool(form.filters().as_dict()),
            paged=after is not None or before is not None,
            first_url=url_for(".attendees", **args),
            prev_url=prev_url,
            next_url=next_url,
        )
    )


@bp.route("/attendees/<int:registration_id>")
@roles(*PERSONAL_DATA)
def attendee(registration_id):
    """One registration: details, places and waiting-list positions, and the actions."""
    registration = _registration_or_404(registration_id)
    positions = services.view_registration(registration, actor=current_user)
    return private(
        render_template(
            "registration/attendee.html",
            registration=registration,
            positions=positions,
            form=ConfirmForm(),
        )
    )


@bp.route("/attendees/<int:registration_id>/edit", methods=["GET", "POST"])
@roles(*PERSONAL_DATA)
def attendee_edit(registration_id):
    """Correct someone's details: name, address, phone, place, language, needs, consent."""
    registration = _registration_or_404(registration_id)
    if not registration.is_active:
        flash(_("Only an active registration can be changed."), "error")
        return _back(registration)
    form = AttendeeDetailsForm.for_registration(registration)
    if form.validate_on_submit():
        try:
            changed = services.change_details(registration, actor=current_user, **form.details())
        except RegistrationError as exc:
            field = getattr(form, getattr(exc, "field", None) or "", None)
            (field.errors if field is not None else form.form_errors).append(str(exc))
        else:
            if changed:
                flash(_("The details are saved."), "success")
            return _back(registration)
    return private(
        render_template("registration/attendee_edit.html", registration=registration, form=form)
    )


@bp.route("/attendees/<int:registration_id>/cancel", methods=["GET", "POST"])
@roles(*PERSONAL_DATA)
def attendee_cancel(registration_id):
    """Ask, then cancel someone's registration: their seats go to those waiting."""
    registration = _registration_or_404(registration_id)
    if not registration.is_active:
        flash(_("This registration is already cancelled."), "error")
        return _back(registration)
    form = ConfirmForm()
    if form.validate_on_submit():
        if services.cancel_attendee(registration, actor=current_user):
            flash(_("The registration is cancelled and its holder has been emailed."), "success")
        else:  # cancelled a moment ago, by another organizer or the holder
            flash(_("This registration is already cancelled."), "error")
        return _back(registration)
    return private(
        render_template("registration/attendee_cancel.html", registration=registration, form=form)
    )


@bp.post("/attendees/<int:registration_id>/resend")
@roles(*PERSONAL_DATA)
def attendee_resend(registration_id):
    """Email someone their confirmation again, with a new private link."""
    registration = _registration_or_404(registration_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.resend_confirmation(registration, actor=current_user)
        except RegistrationError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The confirmation is on its way again."), "success")
    return _back(registration)


@bp.post("/attendees/<int:registration_id>/places/<int:place_id>/confirm")
@roles(*PERSONAL_DATA)
def attendee_confirm_place(registration_id, place_id):
    """Give a waiting person a seat in one track now, ahead of the line."""
    registration = _registration_or_404(registration_id)
    if ConfirmForm().validate_on_submit():
        try:
            raised = services.confirm_place(registration, place_id, actor=current_user)
        except RegistrationError as exc:
            flash(str(exc), "error")
        else:
            flash(
                _("The seat is confirmed, the track has one more seat, and they have been emailed.")
                if raised
                else _("The seat is confirmed and they have been emailed."),
                "success",
            )
    return _back(registration)


@bp.route("/tracks", methods=["GET", "POST"])
@roles(*PERSONAL_DATA)
def tracks():
    """Seats in each track: change a capacity; a raise gives seats to those waiting."""
    conference = content.conference_or_404()
    form = CapacityForm()
    by_key = {track.key: track for track in conference.tracks}
    if form.is_submitted() and form.track.data not in by_key:
        abort(400)
    if form.validate_on_submit():
        track = by_key[form.track.data]
        try:
            promoted = services.change_capacity(track, form.capacity.data, actor=current_user)
        except RegistrationError as exc:
            form.capacity.errors.append(str(exc))
        else:
            flash(_capacity_message(track, promoted), "success")
            return redirect(url_for(".tracks"), code=303)
    return render_template("registration/tracks.html", conference=conference, form=form)


def _capacity_message(track, promoted):
    saved = ngettext(
        "%(track)s now has %(num)s seat.",
        "%(track)s now has %(num)s seats.",
        track.capacity,
        track=translate(track.name),
    )
    if not promoted:
        return saved
    moved = ngettext(
        "%(num)s person on the waiting list got a seat and has been emailed.",
        "%(num)s people on the waiting list got a seat and have been emailed.",
        len(promoted),
    )
    return f"{saved} {moved}"


# ---------------------------------------------------------------------------------------
# The export


@bp.route("/export", methods=["GET", "POST"])
@roles(*PERSONAL_DATA)
def export():
    """Choose filters, columns and a format; download the matching attendees."""
    conference = content.conference_or_404()
    tracks = db.session.scalars(
        sa.select(Track).where(Track.conference_id == conference.id).order_by(Track.position)
    ).all()
    form = ExportForm().set_tracks(tracks)
    if request.method == "GET":  # a link from the attendee list carries its filters
        form.preset(request.args)
    if form.validate_on_submit():
        return _export(conference, form)
    back_url = None
    if "registration_staff.attendees" in current_app.view_functions:
        back_url = url_for("registration_staff.attendees", **form.filters().as_dict())
    response = make_response(
        render_template("registration/export.html", form=form, back_url=back_url)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _export(conference, form):
    download = exports.export_attendees(
        conference,
        form.filters(),
        form.columns.data,
        form.file_format.data,
        right_to_left=direction(current_language()) == "rtl",
    )
    response = Response(stream_with_context(download.body), mimetype=download.mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports.filename(download.extension)}"'
    )
    response.headers["Cache-Control"] = "no-store"
    if download.length is not None:
        response.content_length = download.length
    return response


@bp.app_template_global()
def can_export():
    """Whether the signed-in user may export attendees (for the "Export this list" link)."""
    return may_open("registration_staff.export")
