"""The back office's own blueprint (``manage``, under ``/manage``) and its home page, the
dashboard: the leading figures as tiles, seats per track, registrations per day, and the
set-up list as a banner.

Aggregates only, no personal data: volunteer coordinators see it too.
"""

from flask import Blueprint, render_template, request, session
from flask_login import current_user

from conference.access import Role, may_open, roles
from conference.content import services as content
from conference.i18n import current_language, direction
from conference.manage import stats
from conference.memo import RenderMemo
from conference.volunteers import stats as volunteer_stats

bp = Blueprint("manage", __name__, url_prefix="/manage")

# The dashboard's HTML, per process, by everything it shows (``_dashboard_key``).
DASHBOARD_MEMO = RenderMemo(maxsize=64)


@bp.route("/dashboard")
@roles(Role.admin, Role.organizer, Role.coordinator)
def dashboard():
    """The state of the conference at a glance, and what is left to set up."""
    conference = content.current_conference()
    if conference is None:
        return render_template("manage/dashboard.html", conference=None)
    numbers = stats.dashboard_numbers(conference)
    seats = stats.track_seats(conference)
    setup = stats.setup_status(conference, numbers=numbers)
    volunteers = volunteer_stats.cached_figures(conference, current_user)
    refresh_seconds = stats.cache_seconds()

    def render():
        return render_template(
            "manage/dashboard.html",
            conference=conference,
            numbers=numbers,
            seats=seats,
            headline=stats.headline(numbers, seats),
            setup=setup,
            chart=stats.bar_chart(numbers["days"], rtl=direction(current_language()) == "rtl"),
            may_open=may_open,
            volunteers=volunteers,
            refresh_seconds=refresh_seconds,
        )

    if "_flashes" in session:  # a message to show once: rendered, never kept
        return render()
    setup_shown = tuple(
        (check.key, check.done, check.how, "" if check.done else str(check.text))
        for check in setup.checks
    )  # a check's label follows from its key and the language
    key = _dashboard_key(conference, numbers, seats, setup_shown, volunteers, refresh_seconds)
    return DASHBOARD_MEMO.get_or_render_form_page(key, render)


def _dashboard_key(conference, *shown):
    """Everything the page is made of, read just now (docs/design.md, "Back office").

    Who is signed in (the menu and links follow the role; the header shows the name),
    the language and address, the conference's row, and every figure the body shows (the
    headline and the chart are computed from them). Their ``repr`` is the key: plain
    values and dataclasses, so equal figures give equal keys.
    """
    user = current_user._get_current_object()
    row = conference.__table__.columns.keys()
    return repr(
        (
            user.id,
            user.role,
            user.name,
            user.email,
            current_language(),
            request.full_path,
            tuple(getattr(conference, name) for name in row),
            shown,
        )
    )
