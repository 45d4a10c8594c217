"""The back office's own blueprint (``manage``, under ``/manage``) and its home page, the
dashboard: the leading figures as tiles, seats per track, registrations per day, and the
set-up list as a banner.

Aggregates only, no personal data: volunteer coordinators see it too.
"""

from flask import Blueprint, render_template
from flask_login import current_user

from conference.access import Role, may_open, roles
from conference.content import services as content
from conference.i18n import current_language, direction
from conference.manage import stats
from conference.volunteers import stats as volunteer_stats

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.route("/dashboard")
@roles(Role.admin, Role.organizer, Role.coordinator)
def dashboard():
    """The state of the conference at a glance, and what is left to set up."""
    conference = content.current_conference()
    if conference is None:
        return render_template("manage/dashboard.html", conference=None)
    numbers = stats.dashboard_numbers(conference)
    seats = stats.track_seats(conference, numbers)
    return render_template(
        "manage/dashboard.html",
        conference=conference,
        numbers=numbers,
        seats=seats,
        headline=stats.headline(numbers, seats),
        setup=stats.setup_status(conference, numbers=numbers),
        chart=stats.bar_chart(numbers["days"], rtl=direction(current_language()) == "rtl"),
        may_open=may_open,
        volunteers=volunteer_stats.cached_figures(conference, current_user),
        refresh_seconds=stats.cache_seconds(),
    )
