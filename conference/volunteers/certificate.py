"""The certificate of hours: proof of service for school, printable, in both languages.

It lists the shifts actually worked (a coordinator marked them arrived, and they were
not dropped: ``services.hours_worked``) and their total, with the conference and its
organizer. The volunteer opens it from their private link; staff from the volunteer's
page, a coordinator only for a volunteer they can see (``scope``) and with only the
shifts of the tracks they coordinate. One page holds an English and an Arabic block,
each rendered in its own language (``force_locale``) and marked with its ``lang`` and
``dir``; the print stylesheet makes it one A4 sheet without the site's frame.
"""

from zoneinfo import ZoneInfo

from babel import numbers
from flask import Blueprint, abort, current_app, render_template
from flask_babel import force_locale
from flask_login import current_user
from markupsafe import Markup

from conference import audit
from conference.access import Role, public, roles
from conference.clock import utcnow
from conference.extensions import db
from conference.i18n import date_locale, format_clock, format_date_range, format_day, translate
from conference.volunteers import scope, services
from conference.volunteers.checks import to_local

bp = Blueprint("volunteer_certificate", __name__)

BLOCK_LANGUAGES = ("en", "ar")


@bp.after_request
def keep_private(response):
    response.cache_control.no_store = True
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/volunteer/<secret:token>/certificate")
@public
def show(token):
    """The volunteer's own certificate, from their private link."""
    volunteer = services.find_by_token(token)
    if volunteer is None or volunteer.conference.slug != current_app.config["CONFERENCE_SLUG"]:
        abort(404)
    worked, _total = services.hours_worked(volunteer)
    return _page(volunteer, worked, token=token)


@bp.route("/manage/volunteers/people/<int:volunteer_id>/certificate")
@roles(Role.admin, Role.organizer, Role.coordinator)
def staff(volunteer_id):
    """A volunteer's certificate for staff to print: a coordinator's shows their tracks'
    shifts only, and only for a volunteer on one of them (404 otherwise)."""
    volunteer = scope.volunteer_or_404(current_user, volunteer_id)
    worked, _total = services.hours_worked(volunteer)
    visible = {s.id for s in scope.visible_signups(current_user, volunteer)}
    worked = [s for s in worked if s.id in visible]
    audit.record("volunteers.certificate_viewed", volunteer=volunteer.id, shifts=len(worked))
    db.session.commit()
    partial = scope.scopes_of(current_user) is not None
    return _page(volunteer, worked, partial=partial)


def _page(volunteer, worked, *, token=None, partial=False):
    total = sum(s.shift.hours for s in worked)
    blocks = []
    if worked:
        for language in BLOCK_LANGUAGES:
            with force_locale(language):
                blocks.append(
                    (
                        language,
                        Markup(
                            render_template(
                                "volunteers/_certificate_block.html",
                                **_block(volunteer, worked, total, language),
                                partial=partial,
                            )
                        ),
                    )
                )
    return render_template(
        "volunteers/certificate.html",
        volunteer=volunteer,
        blocks=blocks,
        token=token,
        manage_endpoint=token is not None and "volunteer.manage" in current_app.view_functions,
    )


def _hours(value, language):
    return numbers.format_decimal(round(value, 2), format="#,##0.##", locale=date_locale(language))


def _block(volunteer, worked, total, language):
    """What one language's block shows, its dates and numbers written in that language."""
    conference = volunteer.conference
    zone = ZoneInfo(conference.timezone)
    rows = []
    for signup in worked:
        shift = signup.shift
        start, end = to_local(shift.starts_at, zone), to_local(shift.ends_at, zone)
        rows.append(
            {
                "day": format_day(start.date(), language),
                "time": f"{format_clock(start.time(), language)} – "
                f"{format_clock(end.time(), language)}",
                "role": translate(shift.role.name, language),
                "hours": _hours(shift.hours, language),
            }
        )
    return {
        "language": language,
        "name": volunteer.full_name,
        "conference_name": translate(conference.name, language),
        "organizer": translate(conference.organizer, language),
        "dates": format_date_range(conference.starts_on, conference.ends_on, language),
        "rows": rows,
        "total": total,
        "total_text": _hours(total, language),
        "issued": format_day(to_local(utcnow(), zone).date(), language),
    }
