"""The volunteers' set-up in the back office: roles and shifts (coordinators, within their
tracks), the settings and the coordinators' tracks (organizers and administrators).

A role or shift outside a coordinator's tracks answers 404, as the board does: other
tracks' ids are not confirmed. A form that fails answers 400 with every message.
"""

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from conference.access import Role, may_open, roles
from conference.clock import utcnow
from conference.content import services as content
from conference.i18n import format_clock, format_day, translate
from conference.volunteers import checks, scope
from conference.volunteers import setup_services as services
from conference.volunteers.setup_forms import (
    DeleteShiftForm,
    RoleForm,
    ScopesForm,
    SettingsForm,
    ShiftForm,
)

bp = Blueprint("volunteers_setup", __name__, url_prefix="/manage/volunteers/setup")

COORDINATING = (Role.admin, Role.organizer, Role.coordinator)
ORGANIZING = (Role.admin, Role.organizer)


def _scopes():
    return scope.scopes_of(current_user)


def _track_choices(conference, scopes):
    return [
        (key, translate(track.name) if track else _("General (no track)"))
        for key, track in services.tracks_of(conference, scopes)
    ]


def _render(template, form=None, status=None, **context):
    if status is None:
        status = 400 if form is not None and form.is_submitted() and form.errors else 200
    return render_template(template, form=form, **context), status


def _refused(form, exc):
    field = getattr(form, exc.field or "", None)
    (field.errors if field is not None else form.form_errors).append(str(exc))


def _back():
    return redirect(url_for(".index"), code=303)


@bp.route("")
@roles(*COORDINATING)
def index():
    """Roles by track with their shifts; a coordinator sees their tracks only."""
    conference = content.conference_or_404()
    scopes = _scopes()
    zone = ZoneInfo(conference.timezone)
    return render_template(
        "volunteers/staff/roles.html",
        conference=conference,
        groups=services.roles_by_track(conference, scopes),
        scopes=scopes,
        may_open=may_open,
        open_now=checks.settings_of(conference).is_open(utcnow()),
        clock=lambda moment: format_clock(checks.to_local(moment, zone).time()),
    )


@bp.route("/roles/new", methods=["GET", "POST"])
@roles(*COORDINATING)
def role_new():
    conference = content.conference_or_404()
    scopes = _scopes()
    if scopes is not None and not scopes:
        abort(404)
    form = RoleForm()
    form.set_choices(_track_choices(conference, scopes))
    if form.validate_on_submit():
        try:
            role = services.create_role(
                conference, form.values(), scopes=scopes, actor=current_user
            )
        except services.SetupError as exc:
            _refused(form, exc)
        else:
            flash(_("The role “%(name)s” is created.", name=translate(role.name)), "success")
            return _back()
    return _render("volunteers/staff/roles_form.html", form, role=None)


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@roles(*COORDINATING)
def role_edit(role_id):
    conference = content.conference_or_404()
    scopes = _scopes()
    role = services.role_in_scope(conference, role_id, scopes) or abort(404)
    form = RoleForm()
    form.set_choices(_track_choices(conference, scopes))
    if not form.is_submitted():
        form.fill(role)
    if form.validate_on_submit():
        try:
            services.update_role(role, form.values(), scopes=scopes, actor=current_user)
        except services.SetupError as exc:
            _refused(form, exc)
        else:
            flash(_("The role is saved."), "success")
            return _back()
    return _render("volunteers/staff/roles_form.html", form, role=role)


def _shift_form(conference, scopes):
    form = ShiftForm()
    roles_ = [r for _track, group in services.roles_by_track(conference, scopes) for r in group]
    days = [(n, format_day(day)) for n, day in enumerate(conference.days, 1)]
    form.set_choices([(r.id, translate(r.name)) for r in roles_], days)
    return form


@bp.route("/shifts/new", methods=["GET", "POST"])
@roles(*COORDINATING)
def shift_new():
    conference = content.conference_or_404()
    scopes = _scopes()
    form = _shift_form(conference, scopes)
    if not form.role.choices:
        abort(404)
    if not form.is_submitted():
        form.min_people.data, form.max_people.data = 1, 2
    if form.validate_on_submit():
        try:
            services.create_shift(conference, form.values(), scopes=scopes, actor=current_user)
        except services.SetupError as exc:
            _refused(form, exc)
        else:
            flash(_("The shift is created."), "success")
            return _back()
    return _render("volunteers/staff/shift_form.html", form, shift=None)


@bp.route("/shifts/<int:shift_id>", methods=["GET", "POST"])
@roles(*COORDINATING)
def shift_edit(shift_id):
    conference = content.conference_or_404()
    scopes = _scopes()
    shift = services.shift_in_scope(conference, shift_id, scopes) or abort(404)
    form = _shift_form(conference, scopes)
    if not form.is_submitted():
        day, starts, ends = services.local_parts(shift)
        form.role.data, form.day.data = str(shift.role_id), str(day)
        form.starts.data, form.ends.data = starts, ends
        form.place_en.data, form.place_ar.data = shift.place.get("en"), shift.place.get("ar")
        form.min_people.data, form.max_people.data = shift.min_people, shift.max_people
        form.language_need.data = shift.language_need or ""
    if form.validate_on_submit():
        try:
            changes = services.update_shift(shift, form.values(), scopes=scopes, actor=current_user)
        except services.SetupError as exc:
            _refused(form, exc)
        else:
            flash(_shift_saved(changes, shift), "success")
            return _back()
    return _render("volunteers/staff/shift_form.html", form, shift=shift)


def _shift_saved(changes, shift):
    if not changes or not shift.taken:
        return _("The shift is saved.")
    return ngettext(
        "The shift is saved, and the volunteer on it has been emailed the change.",
        "The shift is saved, and the %(num)s volunteers on it have been emailed the change.",
        shift.taken,
    )


@bp.route("/shifts/<int:shift_id>/delete", methods=["GET", "POST"])
@roles(*COORDINATING)
def shift_delete(shift_id):
    """Ask, then delete a shift; with people on it, they are taken off and emailed."""
    conference = content.conference_or_404()
    scopes = _scopes()
    shift = services.shift_in_scope(conference, shift_id, scopes) or abort(404)
    form = DeleteShiftForm()
    if form.validate_on_submit():
        try:
            told = services.delete_shift(
                shift, scopes=scopes, actor=current_user, remove_people=form.agreed()
            )
        except services.SetupError as exc:  # someone signed up since: ask again
            flash(str(exc), "error")
            return redirect(url_for(".shift_delete", shift_id=shift_id), code=303)
        else:
            flash(
                ngettext(
                    "The shift is deleted and the volunteer on it has been emailed.",
                    "The shift is deleted and the %(num)s volunteers on it have been emailed.",
                    told,
                )
                if told
                else _("The shift is deleted."),
                "success",
            )
        return _back()
    return render_template("volunteers/staff/shift_form_delete.html", shift=shift, form=form)


@bp.route("/settings", methods=["GET", "POST"])
@roles(*ORGANIZING)
def settings():
    """The sign-up window and the shift rules."""
    conference = content.conference_or_404()
    current = checks.settings_of(conference)
    form = SettingsForm()
    if not form.is_submitted():
        local = services.local_settings(conference, current)
        form.signup_open.data = "open" if current.signup_open else "closed"
        form.opens_at.data, form.closes_at.data = local["opens_at"], local["closes_at"]
        form.change_deadline_hours.data = current.change_deadline_hours
        form.max_consecutive_hours.data = current.max_consecutive_minutes // 60
        form.min_break_minutes.data = current.min_break_minutes
        form.max_daily_hours.data = current.max_daily_minutes // 60
        form.guardian_hold_hours.data = current.guardian_hold_hours
        form.reminder_hours.data = current.reminder_hours
    if form.validate_on_submit():
        try:
            services.save_settings(conference, form.values(), actor=current_user)
        except services.SetupError as exc:
            _refused(form, exc)
        else:
            flash(_("The volunteering settings are saved."), "success")
            return redirect(url_for(".settings"), code=303)
    return _render("volunteers/staff/settings.html", form, conference=conference, settings=current)


@bp.route("/coordinators", methods=["GET", "POST"])
@roles(*ORGANIZING)
def coordinators():
    """Each coordinator and the tracks they coordinate."""
    conference = content.conference_or_404()
    choices = _track_choices(conference, None)
    choices[0] = ("general", _("General (no track)"))
    form = ScopesForm()
    form.set_choices(choices)
    if form.validate_on_submit():
        try:
            user_id = int(form.user.data or 0)
        except ValueError:
            user_id = 0
        try:
            changed = services.set_scopes(conference, user_id, form.scopes.data, actor=current_user)
        except services.SetupError as exc:
            form.scopes.errors.append(str(exc))
        else:
            flash(
                _("The coordinator's tracks are saved.")
                if changed
                else _("Nothing changed: those were already their tracks."),
                "success",
            )
            return redirect(url_for(".coordinators"), code=303)
    return _render(
        "volunteers/staff/coordinators.html",
        form,
        people=services.coordinators(),
        choices=choices,
        may_open=may_open,
    )
