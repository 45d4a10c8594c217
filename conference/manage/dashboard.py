"""The dashboard: seats per track, registrations per day, email, and the setup checklist.

Aggregates only, no personal data: volunteer coordinators see it too.
"""

from flask import current_app, render_template
from flask_login import current_user

from conference.access import PUBLIC, Role, access_of, roles
from conference.i18n import current_language, direction
from conference.manage import attendee_services, bp, stats


def may_open(endpoint):
    """Whether the signed-in user may open ``endpoint`` (and the page exists)."""
    view = current_app.view_functions.get(endpoint)
    allowed = access_of(view) if view is not None else None
    return allowed == PUBLIC or bool(allowed and current_user.role in allowed)


@bp.route("/dashboard")
@roles(Role.admin, Role.organizer, Role.coordinator)
def dashboard():
    """The state of the conference at a glance, and what is left to set up."""
    conference = attendee_services.current_conference()
    if conference is None:
        return render_template("manage/dashboard.html", conference=None)
    numbers = stats.dashboard_numbers(conference)
    return render_template(
        "manage/dashboard.html",
        conference=conference,
        numbers=numbers,
        seats=stats.track_seats(conference, numbers),
        chart=stats.bar_chart(numbers["days"], rtl=direction(current_language()) == "rtl"),
        checklist=stats.checklist(conference, numbers=numbers),
        may_open=may_open,
        refresh_seconds=stats.cache_seconds(),
    )
