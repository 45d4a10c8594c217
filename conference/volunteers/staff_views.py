"""The coordinators' pages: the staffing board, a shift's team (attendance, removing and
moving someone, a message to the team), the volunteers with their hours, and exports.

Every page is for administrators, organizers and coordinators, and shows only what the
reader's scope allows (``scope``): another track's shift or person is a 404. Pages with
people's details are never stored by browsers (``private``); each action is a POST with
a CSRF token, audited by the service it calls.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from conference.access import Role, may_open, roles
from conference.content import services as content
from conference.i18n import current_language, direction, format_clock, format_day, translate
from conference.volunteers import exports, scope, services, staff_queries, staff_services
from conference.volunteers.board_forms import (
    AttendanceForm,
    BoardFilterForm,
    ExportForm,
    MoveForm,
    PeopleFilterForm,
    RemoveForm,
    TeamEmailForm,
)
from conference.volunteers.models import AgeGroup, Attendance
from conference.web import private

bp = Blueprint("volunteers_staff", __name__, url_prefix="/manage/volunteers")

STAFF = (Role.admin, Role.organizer, Role.coordinator)
PAGE_SIZE = 50
MARKS = {"arrived": Attendance.arrived, "no_show": Attendance.no_show, "clear": None}


def _shift_or_404(shift_id):
    conference = content.conference_or_404()
    shift = scope.shift_or_404(current_user, shift_id)
    if shift.conference_id != conference.id:
        abort(404)
    return shift


def _signup_or_404(shift, signup_id):
    signup = staff_queries.signup_on(shift, signup_id)
    if signup is None:
        abort(404)
    return signup


def _back(shift, signup=None):
    anchor = f"#person-{signup.id}" if signup is not None else ""
    return redirect(url_for(".shift", shift_id=shift.id) + anchor, code=303)


@bp.app_template_global()
def board_shift_label(shift):
    """A shift in a few words: "Welcome desk, Friday, 18 March, 08:30–12:30"."""
    zone = staff_queries.zone_of(shift.conference)
    start = staff_queries.checks.to_local(shift.starts_at, zone)
    end = staff_queries.checks.to_local(shift.ends_at, zone)
    return _(
        "%(role)s, %(day)s, %(start)s–%(end)s",
        role=translate(shift.role.name),
        day=format_day(start.date()),
        start=format_clock(start.time()),
        end=format_clock(end.time()),
    )


@bp.app_template_global()
def board_shift_clock(shift):
    """A shift's local start and end times: "8:30 AM – 12:30 PM"."""
    zone = staff_queries.zone_of(shift.conference)
    start = staff_queries.checks.to_local(shift.starts_at, zone)
    end = staff_queries.checks.to_local(shift.ends_at, zone)
    return f"{format_clock(start.time())} – {format_clock(end.time())}"


@bp.app_template_global()
def board_language_word(code):
    """A language's name in the reader's language ("Arabic" / «العربية»)."""
    return {"ar": _("Arabic"), "en": _("English")}.get(code, code)


@bp.app_template_global()
def board_age_word(age_group):
    """An age group in words."""
    return {
        AgeGroup.under_18: _("Under 18"),
        AgeGroup.adult_18_24: _("18 to 24"),
        AgeGroup.adult_25_plus: _("25 or over"),
    }.get(age_group, "")


@bp.route("")
@roles(*STAFF)
def board():
    """The staffing board: the shifts in the reader's scope, by day, filled against their
    minimum and maximum, under-staffed ones standing out; as a chart and a table."""
    conference = content.conference_or_404()
    all_days = staff_queries.board(conference, current_user).days
    form = BoardFilterForm(request.args).offer(
        days=all_days, scope_choices=staff_queries.scope_choices(conference, current_user)
    )
    found = None
    if form.validate():
        found = staff_queries.board(
            conference,
            current_user,
            day=form.chosen_day(),
            track=form.track.data or None,
            under_only=form.under.data,
        )
    filtered = bool(form.day.data or form.track.data or form.under.data)
    return render_template(
        "volunteers/staff/board.html", form=form, board=found, filtered=filtered
    ), (200 if found is not None else 400)


@bp.route("/shifts/<int:shift_id>")
@roles(*STAFF)
def shift(shift_id):
    """A shift's team for the day: contacts, needs, attendance, and the actions."""
    shift = _shift_or_404(shift_id)
    staff_services.view_team(shift, actor=current_user)
    team = staff_queries.team(shift)
    met = staff_queries.checks.needs_met([shift]).get(shift.id)
    return private(
        render_template(
            "volunteers/staff/shift.html",
            shift=shift,
            team=team,
            need_met=met,
            form=AttendanceForm(),
            export_form=ExportForm(),
        )
    )


@bp.post("/shifts/<int:shift_id>/people/<int:signup_id>/attendance")
@roles(*STAFF)
def attendance(shift_id, signup_id):
    """Mark someone arrived or not come, or take the mark back."""
    shift = _shift_or_404(shift_id)
    signup = _signup_or_404(shift, signup_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        staff_services.mark_attendance(signup, MARKS[form.mark.data], current_user)
    except services.VolunteerError as exc:
        flash(str(exc), "error")
    return _back(shift, signup)


@bp.route("/shifts/<int:shift_id>/people/<int:signup_id>/remove", methods=["GET", "POST"])
@roles(*STAFF)
def remove(shift_id, signup_id):
    """Ask, then take someone off the shift; they are emailed, the place is free again."""
    shift = _shift_or_404(shift_id)
    signup = _signup_or_404(shift, signup_id)
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            services.drop_shift(
                signup.volunteer, shift.id, actor=current_user, reason=form.reason.data or None
            )
        except services.VolunteerError as exc:
            flash(str(exc), "error")
        else:
            flash(_("They are off this shift and have been emailed."), "success")
        return _back(shift)
    return private(
        render_template("volunteers/staff/remove.html", shift=shift, signup=signup, form=form),
        400 if form.errors else 200,
    )


@bp.route("/shifts/<int:shift_id>/people/<int:signup_id>/move", methods=["GET", "POST"])
@roles(*STAFF)
def move(shift_id, signup_id):
    """Move someone to another shift: the rules are checked; they are emailed both changes."""
    shift = _shift_or_404(shift_id)
    signup = _signup_or_404(shift, signup_id)
    conference = shift.conference
    targets = staff_queries.move_targets(conference, current_user, shift)
    form = MoveForm().offer(targets, board_shift_label)
    if form.validate_on_submit():
        target = _shift_or_404(int(form.to_shift.data))
        try:
            moved = staff_services.move(
                signup, target, current_user, reason=form.reason.data or None
            )
        except staff_services.MoveRefused as exc:
            form.to_shift.errors.append(_("They cannot be moved there: %(reason)s", reason=exc))
        except services.VolunteerError as exc:
            flash(str(exc), "error")
            return _back(shift)
        else:
            flash(_("They are moved and have been emailed."), "success")
            return redirect(url_for(".shift", shift_id=moved.shift_id), code=303)
    return private(
        render_template("volunteers/staff/move.html", shift=shift, signup=signup, form=form),
        400 if form.errors else 200,
    )


@bp.route("/shifts/<int:shift_id>/email", methods=["GET", "POST"])
@roles(*STAFF)
def email_team(shift_id):
    """Write to everyone on the shift; the messages go through the outbox."""
    shift = _shift_or_404(shift_id)
    form = TeamEmailForm()
    if form.validate_on_submit():
        try:
            queued = staff_services.email_team(
                shift,
                current_user,
                subject=form.subject.data,
                body=form.body.data,
                submission_id=form.submission_id.data,
            )
        except services.VolunteerError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(
                ngettext(
                    "The message is on its way to %(num)s person.",
                    "The message is on its way to %(num)s people.",
                    queued,
                )
                if queued
                else _("Nobody new to send it to: it has gone already."),
                "success",
            )
            return _back(shift)
    return private(
        render_template(
            "volunteers/staff/email.html",
            shift=shift,
            form=form,
            count=staff_services.team_size(shift),
        ),
        400 if form.errors else 200,
    )


@bp.route("/people")
@roles(*STAFF)
def people():
    """The volunteers in the reader's scope: search, filters, hours worked, no-shows."""
    conference = content.conference_or_404()
    form = PeopleFilterForm(request.args)
    form.offer(
        days=staff_queries.board(conference, current_user).days,
        scope_choices=staff_queries.scope_choices(conference, current_user),
    )
    form.offer_roles(staff_queries.visible_roles(conference, current_user))
    sort = request.args.get("sort", "")
    sort = sort if sort in staff_queries.PEOPLE_SORTS else staff_queries.DEFAULT_PEOPLE_SORT
    page = request.args.get("page", 1, type=int)
    page = page if 1 <= page <= 10_000 else 1
    rows, filters = [], staff_queries.PeopleFilters()
    if form.validate():
        filters = staff_queries.PeopleFilters(
            q=form.q.data or "",
            track=form.track.data or None,
            role=form.role.data or None,
            day=form.chosen_day(),
        )
        staff_services.view_people(filters.as_dict(), actor=current_user)
        rows = staff_queries.people(conference, current_user, filters, sort=sort)
    args = filters.as_dict()
    if sort != staff_queries.DEFAULT_PEOPLE_SORT:
        args["sort"] = sort
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    first = (page - 1) * PAGE_SIZE + 1 if shown else None
    return private(
        render_template(
            "volunteers/staff/people.html",
            form=form,
            rows=shown,
            total=len(rows),
            first=first,
            last=first + len(shown) - 1 if shown else None,
            sort=sort,
            url_for_sort=lambda value: url_for(
                ".people",
                **{**args, "sort": value if value != staff_queries.DEFAULT_PEOPLE_SORT else None},
            ),
            prev_url=url_for(".people", **args, page=page - 1) if page > 1 and shown else None,
            next_url=url_for(".people", **args, page=page + 1)
            if page * PAGE_SIZE < len(rows)
            else None,
            filtered=bool(filters.as_dict()),
        ),
        200 if not form.errors else 400,
    )


@bp.route("/people/<int:volunteer_id>")
@roles(*STAFF)
def person(volunteer_id):
    """One volunteer: contact, guardian, their shifts in the reader's scope, hours."""
    conference = content.conference_or_404()
    volunteer = scope.volunteer_or_404(current_user, volunteer_id)
    if volunteer.conference_id != conference.id:
        abort(404)
    staff_services.view_volunteer(volunteer, actor=current_user)
    signups, hours = staff_queries.person_hours(current_user, volunteer)
    certificate = "volunteer_certificate.staff"
    return private(
        render_template(
            "volunteers/staff/person.html",
            volunteer=volunteer,
            signups=signups,
            hours=hours,
            certificate_endpoint=certificate if may_open(certificate) else None,
        )
    )


@bp.route("/export", methods=["GET", "POST"])
@roles(*STAFF)
def export():
    """Choose every shift or one, and CSV or XLSX; download the roster."""
    conference = content.conference_or_404()
    shifts = staff_queries.visible_shifts(conference, current_user)
    form = ExportForm().offer(shifts, board_shift_label)
    if request.method == "GET" and request.args.get("shift"):
        value = request.args["shift"]
        if value in {choice.value for choice in form.shift.choices}:
            form.shift.data = value
    if form.validate_on_submit():
        chosen = _shift_or_404(int(form.shift.data)) if form.shift.data else None
        download = exports.export_roster(
            conference,
            current_user,
            form.file_format.data,
            shift=chosen,
            right_to_left=direction(current_language()) == "rtl",
        )
        response = Response(stream_with_context(download.body), mimetype=download.mimetype)
        name = exports.filename(download.extension, chosen.id if chosen else None)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        if download.length is not None:
            response.content_length = download.length
        return response
    return private(
        render_template("volunteers/staff/export.html", form=form),
        400 if form.errors else 200,
    )
